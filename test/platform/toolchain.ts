/**
 * The platforms' own tools, pinned in test/platform/toolchain/package-lock.json: Node 22
 * (what Netlify runs; from the npm registry's `node` package), Netlify's bundler
 * (@netlify/zip-it-and-ship-it) and the Vercel CLI. They are installed here on first use
 * rather than by the project's `npm install`, which stays small; only the npm registry is
 * needed. Anything that cannot be installed is an error, never a reason to skip.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

export const TOOLCHAIN_DIR = fileURLToPath(new URL("./toolchain/", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface Toolchain {
  /** A Node 22 binary. */
  node22: string;
  /** `node netlify-build.mjs <root> <out dir> [<functions dir>]`: what a Netlify deploy builds. */
  netlifyBuildScript: string;
  /** The Vercel CLI's entry (run it with node). */
  vercelCli: string;
}

const paths: Toolchain = {
  node22: `${TOOLCHAIN_DIR}node_modules/node/bin/node`,
  netlifyBuildScript: `${TOOLCHAIN_DIR}netlify-build.mjs`,
  vercelCli: `${TOOLCHAIN_DIR}node_modules/vercel/dist/vc.js`,
};

let ready: Promise<Toolchain> | undefined;

async function install(): Promise<Toolchain> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const opts = { cwd: TOOLCHAIN_DIR, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 };
  if (!existsSync(`${TOOLCHAIN_DIR}node_modules/@netlify/zip-it-and-ship-it`) || !existsSync(paths.vercelCli)) {
    await run(npm, ["ci", "--no-audit", "--no-fund"], opts);
  }
  if (!existsSync(paths.node22)) {
    // The `node` package's own installer fetches the platform's binary from the registry.
    await run(npm, ["run", "preinstall", "--ignore-scripts=false"], { ...opts, cwd: `${TOOLCHAIN_DIR}node_modules/node` });
  }
  const { stdout } = await run(paths.node22, ["--version"]);
  if (!/^v22\./.test(stdout.trim())) throw new Error(`expected Node 22 at ${paths.node22}, got ${stdout.trim()}`);
  return paths;
}

/** Installs what is missing (once per process) and returns where everything is. */
export function toolchain(): Promise<Toolchain> {
  ready ??= install().catch((e: unknown) => {
    ready = undefined;
    throw new Error(`the platform toolchain could not be installed in ${TOOLCHAIN_DIR}: ${(e as Error).message}`);
  });
  return ready;
}
