/**
 * The thin layers over lib/core/cleanup.ts and lib/core/revoke.ts: the Netlify scheduled function
 * and the two command lines, driven as a deployment would drive them (environment in,
 * JSON out, exit status), against the emulator.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { createLedgerSchema, createUsers, issueTokens, secretWorks, type Issued } from "./cleanup-fixtures.ts";
import { LEDGER_BY_EXPIRATION_INDEX } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;
const MIN = 60_000;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", script, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let target: FaunaTarget;
let client: faunadb.Client;
let env: Record<string, string>;
let users: faunadb.values.Ref[];

async function expiredCount(): Promise<number> {
  return (await client.query(q.Count(q.Range(q.Match(q.Index(LEDGER_BY_EXPIRATION_INDEX)), [], [q.Now()])))) as number;
}

describe("command lines and the scheduled function", () => {
  before(async () => {
    target = await startTarget();
    client = target.client(target.serverSecret);
    await createLedgerSchema(target.client());
    users = await createUsers(client, ["auth0|cli-a", "auth0|cli-b", "auth0|cli-c"]);
    env = { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret };
  });
  after(async () => {
    await target.close();
  });

  test("delete-expired-tokens: --help, bad flags, --dry-run, then a real run", async (t) => {
    const emu = target.emulator;
    if (!emu) return t.skip("needs the emulator's clock");
    const now = (await client.query(q.ToMillis(q.Now()))) as number;
    await issueTokens(client, Array.from({ length: 12 }, (_, i) => ({ user: users[i % 2]!, expiresAt: now + 5 * MIN })));
    await issueTokens(client, Array.from({ length: 3 }, (_, i) => ({ user: users[i % 2]!, expiresAt: now + 5 * MIN, tokenTtl: "none" as const })));
    await issueTokens(client, Array.from({ length: 4 }, (_, i) => ({ user: users[i % 2]!, expiresAt: now + 90 * MIN })));
    emu.clock.advance(10 * MIN);

    const help = await run("scripts/delete-expired-tokens.ts", ["--help"], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--dry-run/);
    assert.equal((await run("scripts/delete-expired-tokens.ts", ["--nope"], env)).code, 2);
    assert.equal((await run("scripts/delete-expired-tokens.ts", ["--page-size", "0"], env)).code, 2);
    const noEnv = await run("scripts/delete-expired-tokens.ts", [], {});
    assert.equal(noEnv.code, 2);
    assert.match(noEnv.stderr, /FAUNA_ENDPOINT/);

    const dry = await run("scripts/delete-expired-tokens.ts", ["--dry-run", "--page-size", "4"], env);
    assert.equal(dry.code, 0, dry.stderr);
    const drySummary = JSON.parse(dry.stdout);
    assert.equal(drySummary.dryRun, true);
    assert.equal(drySummary.expiredEntries, 15);
    assert.equal(drySummary.tokensAlreadyGone, 12);
    assert.equal(drySummary.pages, 4);
    assert.equal(drySummary.timeBudgetMs, null);
    assert.equal(await expiredCount(), 15);
    assert.ok(!dry.stdout.includes(target.serverSecret));

    const real = await run("scripts/delete-expired-tokens.ts", ["--page-size", "4"], env);
    assert.equal(real.code, 0, real.stderr);
    const summary = JSON.parse(real.stdout);
    assert.equal(summary.ledgerEntriesDeleted, 15);
    assert.equal(summary.tokensDeleted, 3);
    assert.equal(summary.workRemaining, false);
    assert.equal(await expiredCount(), 0);
  });

  test("the scheduled function runs the cleanup with the environment's settings", async (t) => {
    const emu = target.emulator;
    if (!emu) return t.skip("needs the emulator's clock");
    const now = (await client.query(q.ToMillis(q.Now()))) as number;
    await issueTokens(client, Array.from({ length: 7 }, (_, i) => ({ user: users[i % 2]!, expiresAt: now + 5 * MIN })));
    emu.clock.advance(10 * MIN);
    const saved = { ...process.env };
    Object.assign(process.env, env, { CLEANUP_PAGE_SIZE: "3", CLEANUP_TIME_BUDGET_MS: "15000" });
    const lines: string[] = [];
    const origLog = console.log;
    console.log = (...a: unknown[]) => void lines.push(a.join(" "));
    try {
      const fn = await import("../netlify/functions/delete-expired-tokens.mts");
      const res = await fn.default(new Request("http://localhost/.netlify/functions/delete-expired-tokens", { method: "POST", body: '{"next_run":"2030-01-01T00:15:00.000Z"}' }));
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.ledgerEntriesDeleted, 7);
      assert.equal(body.pages, 3);
      assert.equal(body.pageSize, 3);
      assert.equal(body.timeBudgetMs, 15000);
      assert.equal(lines.length, 1);
      const logged = JSON.parse(lines[0]!) as Record<string, unknown>;
      assert.equal(logged.event, "delete-expired-tokens");
      assert.equal(logged.ledgerEntriesDeleted, 7);
      assert.ok(!lines[0]!.includes(target.serverSecret));
    } finally {
      console.log = origLog;
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test("the scheduled function with a broken environment answers 500 and names variables only", async () => {
    const saved = { ...process.env };
    delete process.env.FAUNA_ENDPOINT;
    process.env.FAUNA_SECRET = "fnSuperSecretValue0123456789";
    const errors: string[] = [];
    const origError = console.error;
    console.error = (...a: unknown[]) => void errors.push(a.join(" "));
    try {
      // A separate module instance: the one above has already cached its client.
      const fresh = new URL("../netlify/functions/delete-expired-tokens.mts?broken-env", import.meta.url).href;
      const fn = (await import(fresh)) as typeof import("../netlify/functions/delete-expired-tokens.mts");
      const res = await fn.default(new Request("http://localhost/"));
      assert.equal(res.status, 500);
      const body = (await res.json()) as { error: string; error_description: string };
      assert.equal(body.error, "server_error");
      assert.match(body.error_description, /ERR_MISCONFIGURED/);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /FAUNA_ENDPOINT/);
      assert.ok(!errors[0]!.includes("fnSuperSecretValue"));
    } finally {
      console.error = origError;
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test("revoke: --token and --sub end secrets; usage errors exit 2", async () => {
    const now = (await client.query(q.ToMillis(q.Now()))) as number;
    const a: Issued[] = await issueTokens(client, Array.from({ length: 3 }, () => ({ user: users[2]!, expiresAt: now + 60 * MIN })));
    const b: Issued[] = await issueTokens(client, Array.from({ length: 2 }, () => ({ user: users[1]!, expiresAt: now + 60 * MIN })));

    assert.equal((await run("scripts/revoke.ts", ["--help"], env)).code, 0);
    assert.equal((await run("scripts/revoke.ts", [], env)).code, 2);
    assert.equal((await run("scripts/revoke.ts", ["--sub", "x", "--token", "1"], env)).code, 2);
    assert.equal((await run("scripts/revoke.ts", ["--token", "not-a-number"], env)).code, 2);
    // FAUNA_USERS_INDEX is validated as the exchange validates it, before any query.
    const badIndex = await run("scripts/revoke.ts", ["--sub", "auth0|cli-c"], { ...env, FAUNA_USERS_INDEX: "users by sub" });
    assert.equal(badIndex.code, 2);
    assert.match(badIndex.stderr, /FAUNA_USERS_INDEX must be a Fauna collection\/index name/);

    const one = await run("scripts/revoke.ts", ["--token", b[0]!.token.id], env);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(JSON.parse(one.stdout), { revoked: 1, ledgerEntriesDeleted: 1 });
    assert.equal(await secretWorks(target.endpoint, b[0]!.secret), false);
    assert.equal(await secretWorks(target.endpoint, b[1]!.secret), true);
    const again = await run("scripts/revoke.ts", ["--token", b[0]!.token.id], env);
    assert.equal(again.code, 1);

    const all = await run("scripts/revoke.ts", ["--sub", "auth0|cli-c"], env);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(JSON.parse(all.stdout), { revoked: 3, ledgerEntriesDeleted: 3, workRemaining: false });
    for (const i of a) assert.equal(await secretWorks(target.endpoint, i.secret), false);
    assert.equal(await secretWorks(target.endpoint, b[1]!.secret), true);
  });
});
