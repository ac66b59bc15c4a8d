/**
 * A package as another project gets it: `npm pack`ed, installed into a fresh
 * project in a temporary folder, and its consumers type-checked there by tsc as a
 * project of their own.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

export const exec = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "../..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

export interface PackedPackage {
  tarball: string;
  /** The paths inside the tarball. */
  files: string[];
  /** Its package.json. */
  manifest: { name: string; version: string; dependencies?: Record<string, string>; [field: string]: unknown };
}

/** `npm pack` of the package in `cwd` (built already) into `dir`. */
export async function pack(cwd: string, dir: string): Promise<PackedPackage> {
  const packed = await exec("npm", ["pack", "--json", "--pack-destination", dir], { cwd });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const manifest = JSON.parse(await readFile(join(cwd, "package.json"), "utf8")) as PackedPackage["manifest"];
  return { tarball: join(dir, info!.filename), files: info!.files.map((f) => f.path), manifest };
}

/** Everything `npm run build` reads: the sources and the settings of both packages. */
const BUILD_INPUTS = ["package.json", "tsconfig.json", "tsconfig.build.json", "tsconfig.build-cjs.json", "lib", "reexports", "client/package.json", "client/tsconfig.json", "client/src"];
const BUILD_STAMP = join(ROOT, "dist", ".build-inputs.sha256");

async function buildInputsHash(): Promise<string> {
  const hash = createHash("sha256");
  const add = async (path: string): Promise<void> => {
    if ((await stat(join(ROOT, path))).isDirectory()) {
      for (const entry of (await readdir(join(ROOT, path))).sort()) await add(`${path}/${entry}`);
    } else {
      hash.update(`${path}\0`).update(await readFile(join(ROOT, path))).update("\0");
    }
  };
  for (const input of BUILD_INPUTS) await add(input);
  return hash.digest("hex");
}

/**
 * `npm run build` (both packages), unless the last build in this folder was made from the
 * very same inputs: the package tests of one `npm test` build once, not three times.
 */
export async function buildPackages(): Promise<void> {
  const inputs = await buildInputsHash();
  const built = await readFile(BUILD_STAMP, "utf8").catch(() => "");
  if (built === inputs && existsSync(join(ROOT, "dist/lib/index.js")) && existsSync(join(ROOT, "client/dist/index.js"))) return;
  await exec("npm", ["run", "-s", "build"], { cwd: ROOT });
  await writeFile(BUILD_STAMP, inputs);
}

/** Both packages built (`buildPackages`), then `npm pack` of the one in `cwd` into `dir`. */
export async function buildAndPack(cwd: string, dir: string): Promise<PackedPackage> {
  await buildPackages();
  return pack(cwd, dir);
}

/** Both packages of this repository, built and packed into `dir`. */
export async function buildAndPackBoth(dir: string): Promise<{ server: PackedPackage; client: PackedPackage }> {
  await buildPackages();
  const [server, client] = await Promise.all([pack(ROOT, dir), pack(join(ROOT, "client"), dir)]);
  return { server: server!, client: client! };
}

/** A fresh project (`type: module`) in `dir`/`name`, with `npm install <npmArgs>` run in it. */
export async function installInto(dir: string, name: string, npmArgs: string[]): Promise<string> {
  const app = join(dir, name);
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  // --ignore-scripts: faunadb's postinstall needs the internet (docs/local.md, "Installing offline").
  await exec("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", ...npmArgs], { cwd: app, timeout: 120_000 });
  return app;
}

/**
 * Writes `source` to `app`/`file` and type-checks it with tsc, strict, against the
 * libraries `lib` and the `@types` packages `types` (Node's from this repository, so
 * that the check needs no install of its own). Resolves to tsc's complaints: "" when none.
 */
export async function typecheck(app: string, file: string, source: string, lib: string[], types: string[]): Promise<string> {
  await writeFile(join(app, file), source);
  return typecheckFiles(app, [file], lib, types);
}

/** `files` of `app`, type-checked together as in `typecheck`; tsc's complaints, "" when none. */
export async function typecheckFiles(app: string, files: string[], lib: string[], types: string[]): Promise<string> {
  const project = `tsconfig.${files.length === 1 ? files[0]! : "files"}.json`;
  await writeFile(
    join(app, project),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: "NodeNext",
        moduleResolution: "NodeNext",
        target: "ES2022",
        lib,
        noEmit: true,
        skipLibCheck: false,
        typeRoots: [join(ROOT, "node_modules", "@types")],
        types,
      },
      files,
    }),
  );
  const r = await exec(process.execPath, [TSC, "-p", project], { cwd: app }).catch((e: { stdout: string }) => e);
  return r.stdout;
}
