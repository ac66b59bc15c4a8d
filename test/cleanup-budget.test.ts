/**
 * The scheduled cleanup as each platform runs it, with CLEANUP_TIME_BUDGET_MS unset: it
 * must still stop within its default budget (20 s of the platforms' 30 s), on Netlify's
 * scheduled function and on Vercel's cron route alike, and tell FaunaDB so with every
 * query. Without that, the command line's default (no limit) would let a big backlog run
 * into the platform's limit, killed mid-page with no summary.
 *
 * The database answers each page "4 s" later: a real HTTP/2 listener in front of it moves
 * the process's clock (node:test's mock of `Date`) before passing each answer back, so
 * the run sees slow pages while the test takes a moment.
 */
import { after, before, describe, mock, test } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { netlifyCleanupFunction } from "../lib/adapters/netlify.ts";
import { vercelCronRoute } from "../lib/adapters/vercel.ts";
import { runBudgets } from "../lib/core/budgets.ts";
import { createLedgerSchema, createUsers, issueTokens } from "./cleanup-fixtures.ts";
import { startFaunaRecorder, type FaunaRecorder } from "./support/fauna-recorder.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";

const q = faunadb.query;
const PAGE_MS = 4_000;
const PAGE_SIZE = 5;
const { cleanupMs, cleanupSlackMs } = runBudgets();
const logs = captureLogs();

let target: FaunaTarget;
let recorder: FaunaRecorder;
let env: Record<string, string>;
before(async () => {
  target = await startTarget();
  logs.forbid(target.serverSecret, target.adminSecret);
  const client = target.client(target.serverSecret);
  await createLedgerSchema(target.client());
  const [user] = await createUsers(client, ["auth0|backlog"]);
  const now = (await client.query(q.ToMillis(q.Now()))) as number;
  // A backlog of more pages than fit in two runs' budgets.
  await issueTokens(client, Array.from({ length: 60 }, () => ({ user: user!, expiresAt: now + 60_000 })));
  target.emulator?.clock.advance(10 * 60_000);
  recorder = await startFaunaRecorder(target.endpoint, { beforeAnswer: () => mock.timers.tick(PAGE_MS) });
  // No CLEANUP_TIME_BUDGET_MS: the default budget is what is under test.
  env = { FAUNA_ENDPOINT: recorder.endpoint, FAUNA_SECRET: target.serverSecret, CLEANUP_PAGE_SIZE: String(PAGE_SIZE), CRON_SECRET: "cron-secret" };
});
after(
  closeThenCheck(logs, async () => {
    await recorder?.close();
    await target?.close();
  }),
);

/** Runs one platform's handler on the mocked clock; returns its summary and the queries it sent. */
async function run(handle: () => Promise<Response>) {
  mock.timers.enable({ apis: ["Date"], now: Date.now() });
  try {
    const started = Date.now();
    const before = recorder.queries.length;
    const res = await handle();
    const summary = (await res.json()) as Record<string, unknown>;
    return { status: res.status, summary, started, queries: recorder.queries.slice(before) };
  } finally {
    mock.timers.reset();
  }
}

function assertStoppedInBudget(r: Awaited<ReturnType<typeof run>>): void {
  assert.equal(r.status, 200, JSON.stringify(r.summary));
  assert.equal(r.summary.timeBudgetMs, cleanupMs);
  assert.equal(r.summary.stoppedBy, "time-budget", JSON.stringify(r.summary));
  assert.equal(r.summary.workRemaining, true);
  // Pages at 0, 4, 8, 12 and 16 s; one more would end at 24 s, past the 20 s budget.
  assert.equal(r.summary.pages, Math.floor(cleanupMs / PAGE_MS));
  assert.ok((r.summary.durationMs as number) <= cleanupMs, `ran ${r.summary.durationMs} ms`);
  assert.equal(r.summary.ledgerEntriesDeleted, r.queries.length * PAGE_SIZE);
  // Every query tells FaunaDB to give up when the run must be over (budget + slack).
  for (const query of r.queries) {
    const left = Math.min(cleanupMs + cleanupSlackMs - (query.at - r.started), 8_000);
    assert.ok(query.queryTimeout !== undefined && Number(query.queryTimeout) <= left, `X-Query-Timeout ${query.queryTimeout}, ${left} ms left`);
  }
}

describe("with CLEANUP_TIME_BUDGET_MS unset, a scheduled run stops within its default budget", () => {
  test("Netlify's scheduled function", async (t) => {
    if (!target.emulator) return t.skip("needs the emulator's clock");
    const fn = netlifyCleanupFunction(env);
    const r = await run(() => fn(new Request("http://localhost/.netlify/functions/delete-expired-tokens", { method: "POST", body: '{"next_run":"2030-01-01T00:15:00.000Z"}' })));
    assertStoppedInBudget(r);
  });

  test("Vercel's cron route", async (t) => {
    if (!target.emulator) return t.skip("needs the emulator's clock");
    const route = vercelCronRoute(env);
    const r = await run(() => route(new Request("http://localhost/api/cron/delete-expired-tokens", { headers: { authorization: "Bearer cron-secret" } })));
    assertStoppedInBudget(r);
  });
});
