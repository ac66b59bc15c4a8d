/**
 * `npm start` as a child process on free ports, for tests that drive it as a
 * user would: waits for "Ready.", reads the URLs it printed, and stops it with
 * Ctrl-C (SIGINT), killing it outright if it does not exit in time. The .env file it
 * writes for the commands goes to a temporary path unless the test says otherwise.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export interface NpmStart {
  urls: { emulator: string; tokenEndpoint: string; demoPage: string; mint: string };
  /** The .env file it wrote for the commands (absolute). */
  envFile: string;
  output(): string;
  /** SIGINT, then the exit code (SIGKILL after 10 s: null). */
  stop(): Promise<number | null>;
}

const ROOT = resolve(import.meta.dirname, "../..");

/** tsx's loader by URL, so that a child running in another folder finds it. */
export const TSX_IMPORT = import.meta.resolve("tsx");

export async function startNpmStart(env: Record<string, string> = {}, readyWithinMs = 60_000, opts: { cwd?: string } = {}): Promise<NpmStart> {
  const cwd = opts.cwd ?? ROOT;
  // Never the checkout's own .env.local (a developer's npm start may be using it), unless a test runs elsewhere.
  const envFileDefault = opts.cwd ? {} : { START_ENV_FILE: join(tmpdir(), `fte-npm-start-${process.pid}-${randomBytes(4).toString("hex")}.env`) };
  const child = spawn(process.execPath, ["--import", TSX_IMPORT, resolve(ROOT, "scripts/start.ts")], {
    cwd,
    env: { ...process.env, PORT: "0", EMULATOR_PORT: "0", ISSUER_PORT: "0", LOG_LEVEL: "warn", ...envFileDefault, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill("SIGINT");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    const deadline = Date.now() + readyWithinMs;
    while (!out.includes("Ready.")) {
      if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
      if (Date.now() > deadline) throw new Error(`npm start not ready in time:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const line = (label: string) => {
      const m = new RegExp(`^${label} +(\\S+)`, "m").exec(out);
      if (!m) throw new Error(`npm start printed no "${label}" line:\n${out}`);
      return m[1]!;
    };
    const envFile = /^These and the other settings are in (\S+);/m.exec(out);
    if (!envFile) throw new Error(`npm start wrote no .env file:\n${out}`);
    return {
      urls: { emulator: line("Fauna emulator"), tokenEndpoint: line("Token endpoint"), demoPage: line("Demo page"), mint: line("Mint a JWT") },
      envFile: resolve(cwd, envFile[1]!),
      output: () => out,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
