/**
 * The deployed form of the functions, produced the way each platform produces it, and
 * served the way each platform runs it (test/platform/runtime-runner.mjs, in Node 22 with
 * `require(esm)` off, as on AWS Lambda). Shared by the conformance test and
 * `npm run bench:cold`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { REPO_ROOT, toolchain } from "./toolchain.ts";

const run = promisify(execFile);
const RUNNER = fileURLToPath(new URL("./runtime-runner.mjs", import.meta.url));

/** Node's flag for AWS Lambda's setting: `require()` of an ES module fails. */
export const LAMBDA_NODE_FLAGS = ["--no-experimental-require-module"];

export interface NetlifyBuild {
  settings: { command?: string; publish?: string; publishExists: boolean; functionsDir: string; nodeVersion?: string };
  functions: {
    name: string;
    path: string;
    bundler: string;
    runtimeAPIVersion?: number;
    runtimeVersion?: string;
    schedule?: string;
    routes?: { pattern: string }[];
    trafficRules?: unknown;
    /** Files the bundle was made from: 1 when the function ships as one self-contained file. */
    inputs?: number;
  }[];
}

function lastJsonLine<T>(stdout: string): T {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as T;
}

/**
 * netlify.toml's [build] command, then Netlify's bundler over its [functions] directory;
 * with `functionsDir`, no build command and that directory instead. `root` is the site:
 * this repository unless another is given.
 */
export async function buildForNetlify(outDir: string, functionsDir?: string, root: string = REPO_ROOT): Promise<NetlifyBuild> {
  const tc = await toolchain();
  const { stdout } = await run(tc.node22, [tc.netlifyBuildScript, root, outDir, ...(functionsDir ? [functionsDir] : [])], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 180_000,
  });
  return lastJsonLine<NetlifyBuild>(stdout);
}

/**
 * `vercel build` (the Vercel CLI building `api/` its own way, offline) of the site `root`
 * (this repository unless another is given) into `outDir`. The site's dependencies are
 * already installed, which VERCEL_INSTALL_COMPLETED tells it, so it does not run `npm install`.
 */
export async function buildForVercel(outDir: string, root: string = REPO_ROOT): Promise<string> {
  const tc = await toolchain();
  const project = join(root, ".vercel/project.json");
  if (!existsSync(project)) {
    await mkdir(join(root, ".vercel"), { recursive: true });
    await writeFile(project, JSON.stringify({ projectId: "prj_local", orgId: "team_local", settings: { framework: null } }));
  }
  await run(tc.node22, [tc.vercelCli, "build", "--yes", "--output", outDir], {
    cwd: root,
    env: { ...process.env, VERCEL_INSTALL_COMPLETED: "1", VERCEL_TELEMETRY_DISABLED: "1", FORCE_COLOR: "0" },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 300_000,
  });
  return outDir;
}

export interface RunningFunction {
  url: string;
  /** What the function wrote to stderr/stdout (its logs), for assertions. */
  output(): string;
  close(): Promise<void>;
}

/**
 * Serves a built function in a fresh Node 22 process with `require(esm)` off.
 * `target` is a Netlify function directory or a Vercel module file.
 */
export async function serveBuilt(
  kind: "netlify" | "vercel",
  target: string,
  env: Record<string, string>,
  opts: { timeoutMs?: number } = {},
): Promise<RunningFunction> {
  const tc = await toolchain();
  const child: ChildProcess = spawn(tc.node22, [...LAMBDA_NODE_FLAGS, RUNNER, kind, target, String(opts.timeoutMs ?? 10_000)], {
    // Only what a deployment's environment would hold, plus PATH.
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = /\{"listening":(\d+)\}\n/.exec(buf);
      if (m) {
        out += buf.replace(m[0], "");
        child.stdout!.off("data", onData);
        child.stdout!.on("data", (more: Buffer) => (out += more.toString()));
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`runtime runner exited with ${code}: ${out}${buf}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill();
      }),
  };
}
