/**
 * Running `npm run doctor` as an operator runs it (a child process, the environment in,
 * stdout/stderr/exit status out), and what it must leave as it found: the database's
 * collections, tokens, users and ledger entries.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import faunadb from "faunadb";
import { CHECK_NAMES } from "../../lib/core/doctor/checks.ts";
import type { Ran } from "./processes.ts";

const q = faunadb.query;
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface Doctor {
  child: ChildProcessWithoutNullStreams;
  /** Resolves once stdout holds a line matching `re`. */
  printed(re: RegExp): Promise<void>;
  done: Promise<Ran>;
}

/** `npm run doctor -- …args` with only `env` (and PATH). */
export function startDoctor(args: string[], env: Record<string, string>): Doctor {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/doctor.ts", ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
  let stdout = "";
  let stderr = "";
  const waiting: { re: RegExp; resolve: () => void }[] = [];
  child.stdout.on("data", (d) => {
    stdout += d;
    for (const w of waiting.filter((x) => x.re.test(stdout))) w.resolve();
  });
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<Ran>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return {
    child,
    done,
    printed: (re) =>
      re.test(stdout)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiting.push({ re, resolve })),
            done.then((r) => assert.fail(`doctor exited ${r.code} before printing ${re}:\n${r.stdout}\n${r.stderr}`)),
          ]),
  };
}

export const runDoctor = (args: string[], env: Record<string, string>): Promise<Ran> => startDoctor(args, env).done;

export interface DoctorJson {
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  role?: string;
  clock_offset_ms?: number;
  round_trip_ms?: number;
  revocation_window_ms?: number | null;
  error?: { code: string; message: string };
  [k: string]: unknown;
}

/** The one JSON object of `--json`, its shape checked, and the exit status and error code expected. */
export function doctorJson(r: Ran, exit: number, code?: string): DoctorJson {
  assert.equal(r.code, exit, `doctor exited ${r.code}, expected ${exit}:\n${r.stdout}\n${r.stderr}`);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `--json printed ${lines.length} lines:\n${r.stdout}`);
  const out = JSON.parse(lines[0]!) as DoctorJson;
  assert.equal(typeof out.ok, "boolean");
  assert.equal(out.ok, exit === 0);
  assert.ok(Array.isArray(out.checks));
  for (const c of out.checks) {
    assert.deepEqual(Object.keys(c), ["name", "ok", "detail"]);
    assert.ok((CHECK_NAMES as readonly string[]).includes(c.name), c.name);
    assert.equal(typeof c.ok, "boolean");
    assert.ok(typeof c.detail === "string" && c.detail.length > 0);
  }
  const order = out.checks.map((c) => CHECK_NAMES.indexOf(c.name as (typeof CHECK_NAMES)[number]));
  assert.deepEqual(order, [...order].sort((a, b) => a - b), "checks in their order");
  if (code === undefined) {
    assert.equal(out.error, undefined);
    assert.equal(r.stderr, "");
  } else {
    assert.equal(out.error?.code, code);
    assert.ok(r.stderr.startsWith(`doctor: ${code}: `), r.stderr);
  }
  return out;
}

export const check = (out: DoctorJson, name: string) => out.checks.find((c) => c.name === name);

/** No key's or token's secret in what the command printed. */
export function assertNoSecrets(r: Ran, secrets: readonly string[]): void {
  for (const s of secrets) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), "a secret was printed");
  assert.doesNotMatch(r.stdout + r.stderr, /fn[A-Za-z0-9_-]{24,}/, "something shaped like a secret was printed");
}

/** What the doctor must leave untouched. */
export async function contents(admin: faunadb.Client): Promise<unknown> {
  return admin.query({
    collections: q.Map(q.Select("data", q.Paginate(q.Collections(), { size: 100_000 })), q.Lambda("c", q.Select("id", q.Var("c")))),
    tokens: q.Count(q.Documents(q.Tokens())),
    documents: q.Map(
      q.Select("data", q.Paginate(q.Collections(), { size: 100_000 })),
      q.Lambda("c", [q.Select("id", q.Var("c")), q.Count(q.Documents(q.Var("c")))]),
    ),
  });
}
