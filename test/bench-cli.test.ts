/**
 * The benchmarks' command lines (issue 9): `--help` prints the usage and runs nothing
 * (test/readme-commands.test.ts checks each script's help), a bad option is one line, and
 * bench:cleanup says how it set up a scenario once, not once per database.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "..");

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test("bench:cleanup prints its set-up line once per scenario; a bad option is one line (exit 2)", async () => {
  const r = await run(["--live", "20", "--expired", "40", "--skip-zero-live"]);
  assert.equal(r.code, 0, r.stderr);
  const setup = r.stdout.split("\n").filter((l) => l.includes("(setup:"));
  assert.equal(setup.length, 1, r.stdout);
  assert.match(setup[0]!, /^ {2}\(setup: issued 60 tokens with their ledger entries in [\d.]+ s, in each of two databases\)$/);
  assert.match(r.stdout, /benchmark finished/);

  const bad = await run(["--live", "many"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "bench: --live must be a whole number, got many\n");
  const unknown = await run(["--lve", "5"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "bench: unknown option --lve\nRun `npm run bench -- --help` for usage.\n");
});
