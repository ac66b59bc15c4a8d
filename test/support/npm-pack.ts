/**
 * A package as another project gets it: `npm pack`ed, installed into a fresh
 * project in a temporary folder, and its consumers type-checked there by tsc as a
 * project of their own.
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

export const exec = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "../..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** `npm run build`, then `npm pack` of the package in `cwd` into `dir`: the tarball's path and the files it holds. */
export async function buildAndPack(cwd: string, dir: string): Promise<{ tarball: string; files: string[] }> {
  await exec("npm", ["run", "-s", "build"], { cwd });
  const packed = await exec("npm", ["pack", "--json", "--pack-destination", dir], { cwd });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(dir, info!.filename), files: info!.files.map((f) => f.path) };
}

/** A fresh project (`type: module`) in `dir`/`name`, with `npm install <npmArgs>` run in it. */
export async function installInto(dir: string, name: string, npmArgs: string[]): Promise<string> {
  const app = join(dir, name);
  await mkdir(app);
  await writeFile(join(app, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  // --ignore-scripts: faunadb's postinstall needs the internet (README, "Installing offline").
  await exec("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", ...npmArgs], { cwd: app, timeout: 120_000 });
  return app;
}

/**
 * Writes `source` to `app`/`file` and type-checks it with tsc, strict, against the
 * libraries `lib` and the `@types` packages `types` (Node's from this repository, so
 * that the check needs no install of its own). Resolves to tsc's complaints: "" when none.
 */
export async function typecheck(app: string, file: string, source: string, lib: string[], types: string[]): Promise<string> {
  const project = `tsconfig.${file}.json`;
  await writeFile(join(app, file), source);
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
      files: [file],
    }),
  );
  const r = await exec(process.execPath, [TSC, "-p", project], { cwd: app }).catch((e: { stdout: string }) => e);
  return r.stdout;
}
