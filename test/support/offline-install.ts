/**
 * Packed tarballs installed into a project of its own with no network at all. `npm install
 * <tarball>` would need the registry's metadata of every dependency to choose versions,
 * which a cache filled by `npm ci` does not always hold; so the project gets a lockfile
 * instead: the tarballs, and every package they (and `extra`) need, at the version and in
 * the place this repository's package-lock.json pins. `npm ci --offline` then takes each one
 * from the npm cache by its integrity: the versions tested are the versions the project pins.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { exec, ROOT, type PackedPackage } from "./npm-pack.ts";

/** A package-lock.json entry: what is read here, and the rest copied as it is. */
interface LockEntry {
  version?: string;
  /** A workspace of the repository (the client), which the tarballs stand for. */
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

/** Where Node would find `name` from the package installed at `from` ("" for the project). */
function locate(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; ) {
    const at = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (packages[at]) return at;
    if (!dir) return undefined;
    const up = dir.lastIndexOf("/node_modules/");
    dir = up < 0 ? "" : dir.slice(0, up);
  }
}

/**
 * Writes `app`/package.json (the tarballs as `dependencies`, `extra` as `devDependencies`
 * at the root lockfile's versions) and a package-lock.json, then runs `npm ci --offline`.
 */
export async function installOffline(app: string, packed: PackedPackage[], extra: string[], pkg: Record<string, unknown> = {}): Promise<void> {
  const root = JSON.parse(await readFile(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const own = new Map(packed.map((p) => [p.manifest.name, p]));
  const spec = (p: PackedPackage) => `file:${relative(app, p.tarball)}`;
  const entries: Record<string, LockEntry> = {};
  const queue: [string, string][] = [...packed.map((p) => ["", p.manifest.name] as [string, string]), ...extra.map((n) => ["", n] as [string, string])];
  while (queue.length > 0) {
    const [from, name] = queue.shift()!;
    const mine = own.get(name);
    const at = mine ? `node_modules/${name}` : locate(root.packages, from, name);
    if (!at) throw new Error(`${name} (needed by ${from || "the project"}) is not in package-lock.json`);
    if (entries[at]) continue;
    let entry: LockEntry;
    if (mine) {
      const { version, dependencies, engines, license } = mine.manifest;
      entry = { version, resolved: spec(mine), dependencies, engines, license };
    } else {
      const { dev, peer, devOptional, ...copied } = root.packages[at]!;
      if (copied.link) throw new Error(`${name} is a workspace of this repository: pack it`);
      entry = copied;
    }
    entries[at] = entry;
    for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) queue.push([at, dep]);
  }
  const dependencies = Object.fromEntries(packed.map((p) => [p.manifest.name, spec(p)]));
  const devDependencies = Object.fromEntries(extra.map((n) => [n, entries[`node_modules/${n}`]!.version!]));
  const manifest = { name: basename(app), version: "1.0.0", private: true, ...pkg, dependencies, devDependencies };
  await writeFile(join(app, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  const lock = {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name: manifest.name, version: manifest.version, dependencies, devDependencies }, ...entries },
  };
  await writeFile(join(app, "package-lock.json"), `${JSON.stringify(lock, null, 2)}\n`);
  // --ignore-scripts: faunadb's postinstall needs the internet (docs/local.md, "Installing offline").
  await exec("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: app, timeout: 120_000 });
}
