/**
 * delete-expired-tokens against the real driver and the emulator: expiry by the
 * emulator's clock, "touches no live entry" by the emulator's stats, faults by the
 * emulator refusing a query.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, emulatorOnly, type FaunaTarget } from "fql4-emulator/testing";
import { deleteExpiredTokens, type CleanupSummary } from "../lib/core/cleanup.ts";
import { cleanupOptionsFromEnv } from "../lib/core/config/load.ts";
import { CleanupConfigError } from "../lib/core/errors/index.ts";
import { createLedgerSchema, createUsers, issueTokens, readLedgerState, ledgerProblems, secretWorks, type IssueSpec } from "./cleanup-fixtures.ts";
import { LEDGER_BY_EXPIRATION_INDEX } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;
const MIN = 60_000;

const SUMMARY_KEYS = [
  "dryRun",
  "durationMs",
  "event",
  "expiredEntries",
  "ledgerEntriesDeleted",
  "pageSize",
  "pages",
  "queries",
  "stoppedBy",
  "timeBudgetMs",
  "tokensAlreadyGone",
  "tokensDeleted",
  "workRemaining",
];

let target: FaunaTarget;
let client: faunadb.Client;
let users: faunadb.values.Ref[];

/** Specs: `n` tokens for the users in turn, all expiring at `expiresAt`. */
function specs(n: number, expiresAt: number, tokenTtl?: IssueSpec["tokenTtl"]): IssueSpec[] {
  return Array.from({ length: n }, (_, i) => ({ user: users[i % users.length]!, expiresAt, ...(tokenTtl !== undefined ? { tokenTtl } : {}) }));
}

async function dbNow(): Promise<number> {
  return (await client.query(q.ToMillis(q.Now()))) as number;
}

async function expiredIndexSize(): Promise<number> {
  return (await client.query(q.Count(q.Range(q.Match(q.Index(LEDGER_BY_EXPIRATION_INDEX)), [], [q.Now()])))) as number;
}

function quiet(): { log: (s: CleanupSummary) => void; lines: CleanupSummary[] } {
  const lines: CleanupSummary[] = [];
  return { lines, log: (s) => lines.push(s) };
}

describe("deleteExpiredTokens", () => {
  // A fresh database per test: expiry tests must not see each other's tokens.
  beforeEach(async () => {
    target = await startTarget();
    client = target.client(target.serverSecret);
    await createLedgerSchema(target.client());
    users = await createUsers(client, ["auth0|a", "auth0|b", "auth0|c"]);
  });
  afterEach(async () => {
    await target.close();
  });

  test("one run deletes exactly the expired entries, reads no live one, and logs one summary", async (t) => {
    const emu = emulatorOnly(t, target, "clock and stats");
    if (!emu) return;
    emu.clock.freeze();
    const t0 = await dbNow();
    // 90 tokens the way the exchange issues them (ttl = ledger expiry), 10 that outlive
    // their ledger expiry (no ttl), and live ones expiring after the run.
    const expiringTtl = await issueTokens(client, specs(90, t0 + 10 * MIN));
    const expiringNoTtl = await issueTokens(client, specs(10, t0 + 10 * MIN, "none"));
    const live = await issueTokens(client, specs(120, t0 + 120 * MIN));
    assert.equal(await secretWorks(target.endpoint, expiringNoTtl[0]!.secret), true);

    emu.clock.advance(30 * MIN);
    assert.equal(await expiredIndexSize(), 100);
    const out = quiet();
    emu.stats.reset();
    const first = await deleteExpiredTokens(client, { pageSize: 25, log: out.log });
    const firstStats = emu.stats.snapshot();

    assert.deepEqual(
      { ...first, durationMs: 0 },
      {
        event: "delete-expired-tokens",
        dryRun: false,
        expiredEntries: 100,
        tokensDeleted: 10,
        ledgerEntriesDeleted: 100,
        tokensAlreadyGone: 90,
        pages: 4,
        queries: 4,
        durationMs: 0,
        workRemaining: false,
        stoppedBy: "done",
        pageSize: 25,
        timeBudgetMs: 20_000,
      },
    );
    assert.equal(firstStats.queries, 4);
    // One write per deleted ledger document and per deleted token, nothing else.
    assert.equal(firstStats.documentsWritten, 110);
    // The 100 expired entries, plus what a bounded scan inspects without returning it: one
    // look-ahead per full page (to set `after`; for pages 1-3 that is the next page's first
    // expired entry) and, on the last page, the first entry past the `Now()` bound. No
    // live document is read: the documents read are the guards and the deletes of the
    // expired entries alone (Exists on each ledger document and token, the ledger
    // documents deleted, the 10 tokens deleted).
    assert.equal(firstStats.indexEntriesScanned, 100 + 3 + 1);
    assert.equal(firstStats.documentsRead, 100 + 100 + 100 + 10);

    // Exactly one structured summary, with no secret and no ref in it.
    assert.equal(out.lines.length, 1);
    assert.deepEqual(Object.keys(out.lines[0]!).sort(), SUMMARY_KEYS);
    const logged = JSON.stringify(out.lines[0]);
    for (const i of [...expiringTtl, ...expiringNoTtl, ...live]) {
      assert.ok(!logged.includes(i.secret) && !logged.includes(i.token.id) && !logged.includes(i.entry.id));
    }

    // The expired are gone, the live untouched and still working.
    assert.equal(await expiredIndexSize(), 0);
    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.deepEqual(new Set(state.entries.map((e) => e.entry)), new Set(live.map((i) => i.entry.id)));
    assert.deepEqual(state.liveTokens, new Set(live.map((i) => i.token.id)));
    for (const i of expiringNoTtl) assert.equal(await secretWorks(target.endpoint, i.secret), false);
    for (const i of live.slice(0, 10)) assert.equal(await secretWorks(target.endpoint, i.secret), true);

    // The same expired load next to four times as many live entries costs exactly the
    // same: the live entries are never read.
    const t1 = await dbNow();
    await issueTokens(client, specs(90, t1 + 10 * MIN));
    await issueTokens(client, specs(10, t1 + 10 * MIN, "none"));
    await issueTokens(client, specs(360, t1 + 180 * MIN));
    emu.clock.advance(30 * MIN);
    emu.stats.reset();
    const second = await deleteExpiredTokens(client, { pageSize: 25, log: out.log });
    assert.deepEqual({ ...second, durationMs: 0 }, { ...first, durationMs: 0 });
    assert.deepEqual(emu.stats.snapshot(), firstStats);
    const after2 = await readLedgerState(client);
    assert.equal(after2.entries.length, 480);
    assert.deepEqual(ledgerProblems(after2), []);
  });

  test("with nothing expired, one query and no writes", async (t) => {
    const emu = emulatorOnly(t, target, "stats");
    if (!emu) return;
    await issueTokens(client, specs(30, (await dbNow()) + 60 * MIN));
    emu.stats.reset();
    const s = await deleteExpiredTokens(client, { log: () => undefined });
    assert.equal(s.expiredEntries, 0);
    assert.equal(s.pages, 1);
    assert.equal(s.queries, 1);
    assert.equal(s.workRemaining, false);
    const stats = emu.stats.snapshot();
    assert.equal(stats.documentsWritten, 0);
    assert.equal(stats.documentsRead, 0);
    // Only the bound check: the scan inspects the first live entry to learn the expired
    // range is empty, and neither returns it nor reads its document.
    assert.equal(stats.indexEntriesScanned, 1);
  });

  test("--dry-run counts the expired entries and deletes nothing", async (t) => {
    const emu = emulatorOnly(t, target, "clock and stats");
    if (!emu) return;
    emu.clock.freeze();
    const t0 = await dbNow();
    await issueTokens(client, specs(45, t0 + 5 * MIN));
    await issueTokens(client, specs(7, t0 + 5 * MIN, "none"));
    await issueTokens(client, specs(20, t0 + 90 * MIN));
    emu.clock.advance(10 * MIN);
    emu.stats.reset();
    const s = await deleteExpiredTokens(client, { dryRun: true, pageSize: 20, log: () => undefined });
    assert.equal(s.dryRun, true);
    assert.equal(s.expiredEntries, 52);
    assert.equal(s.tokensAlreadyGone, 45);
    assert.equal(s.tokensDeleted, 0);
    assert.equal(s.ledgerEntriesDeleted, 0);
    assert.equal(s.pages, 3);
    assert.equal(s.workRemaining, false);
    assert.equal(emu.stats.snapshot().documentsWritten, 0);
    assert.equal(await expiredIndexSize(), 52);
  });

  test("a budget too small to finish stops between pages, says so, and the next run completes", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    emu.clock.freeze();
    const t0 = await dbNow();
    await issueTokens(client, specs(60, t0 + 5 * MIN));
    const live = await issueTokens(client, specs(15, t0 + 90 * MIN));
    emu.clock.advance(10 * MIN);

    // A clock that moves 100 ms each time it is read: every page "takes" 100 ms and
    // page k starts at 100 + 200(k-1) ms, so a 1000 ms budget allows exactly 5 pages.
    let fake = 0;
    const now = () => (fake += 100);
    const first = await deleteExpiredTokens(client, { pageSize: 10, timeBudgetMs: 1000, now, log: () => undefined });
    assert.equal(first.pages, 5);
    assert.equal(first.ledgerEntriesDeleted, 50);
    assert.equal(first.workRemaining, true);
    assert.equal(first.stoppedBy, "time-budget");
    assert.equal(await expiredIndexSize(), 10);
    assert.deepEqual(ledgerProblems(await readLedgerState(client)), []);

    // A zero budget still makes progress: the first page always runs.
    const tiny = await deleteExpiredTokens(client, { pageSize: 4, timeBudgetMs: 0, log: () => undefined });
    assert.equal(tiny.pages, 1);
    assert.equal(tiny.ledgerEntriesDeleted, 4);
    assert.equal(tiny.workRemaining, true);

    const second = await deleteExpiredTokens(client, { pageSize: 10, log: () => undefined });
    assert.equal(second.ledgerEntriesDeleted, 6);
    assert.equal(second.workRemaining, false);
    assert.equal(second.stoppedBy, "done");
    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.deepEqual(new Set(state.entries.map((e) => e.entry)), new Set(live.map((i) => i.entry.id)));
  });

  test("two overlapping runs: no error, every expired entry deleted once, counts add up", async (t) => {
    const emu = emulatorOnly(t, target, "clock and faults");
    if (!emu) return;
    emu.clock.freeze();
    const t0 = await dbNow();
    await issueTokens(client, specs(130, t0 + 5 * MIN));
    await issueTokens(client, specs(20, t0 + 5 * MIN, "none"));
    const live = await issueTokens(client, specs(50, t0 + 90 * MIN));
    emu.clock.advance(10 * MIN);

    // The emulator runs queries one at a time, so two overlapping runs interleave their
    // pages but never conflict inside one: this shows the guarded deletes and the counts,
    // not FaunaDB's contention. That is injected instead: the 4th query of the two runs
    // is refused with FaunaDB's 409 "contended transaction", as the loser of two
    // conflicting transactions would be, and the default retry must absorb it.
    emu.faults.failQueries({ status: 409, count: 1, skip: 3 });
    const other = target.client(target.serverSecret);
    const [a, b] = await Promise.all([
      deleteExpiredTokens(client, { pageSize: 10, log: () => undefined }),
      deleteExpiredTokens(other, { pageSize: 10, log: () => undefined }),
    ]);
    for (const s of [a, b]) {
      assert.equal(s.stoppedBy, "done", JSON.stringify(s));
      assert.equal(s.error, undefined);
      assert.equal(s.workRemaining, false);
    }
    assert.ok(a.pages > 1 && b.pages > 1, "the runs did overlap");
    // Exactly one query was refused and sent again.
    assert.equal(a.queries + b.queries, a.pages + b.pages + 1);
    assert.equal(a.ledgerEntriesDeleted + b.ledgerEntriesDeleted, 150);
    assert.equal(a.tokensDeleted + b.tokensDeleted, 20);
    assert.equal(a.tokensAlreadyGone + b.tokensAlreadyGone, 130);
    assert.equal(await expiredIndexSize(), 0);
    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.equal(state.entries.length, live.length);
  });

  test("a refused query ends the run consistently and the next run finishes", async (t) => {
    const emu = emulatorOnly(t, target, "clock and faults");
    if (!emu) return;
    emu.clock.freeze();
    const t0 = await dbNow();
    await issueTokens(client, specs(100, t0 + 5 * MIN));
    const live = await issueTokens(client, specs(25, t0 + 90 * MIN));
    emu.clock.advance(10 * MIN);

    // Two pages go through, the third query is refused.
    emu.faults.failQueries({ skip: 2, count: 1, status: 503 });
    const broken = await deleteExpiredTokens(client, { pageSize: 20, retries: 0, log: () => undefined });
    assert.equal(broken.stoppedBy, "error");
    assert.equal(broken.workRemaining, true);
    assert.equal(broken.pages, 2);
    assert.equal(broken.queries, 3);
    assert.equal(broken.ledgerEntriesDeleted, 40);
    assert.equal(broken.error?.status, 503);
    assert.equal(await expiredIndexSize(), 60);
    assert.deepEqual(ledgerProblems(await readLedgerState(client)), []);

    // With the default retry a single refusal costs one query, not the run.
    emu.faults.failQueries({ skip: 1, count: 1, status: 503 });
    const retried = await deleteExpiredTokens(client, { pageSize: 20, log: () => undefined });
    assert.equal(retried.stoppedBy, "done");
    assert.equal(retried.ledgerEntriesDeleted, 60);
    assert.equal(retried.pages, 3);
    assert.equal(retried.queries, 4);

    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.deepEqual(new Set(state.entries.map((e) => e.entry)), new Set(live.map((i) => i.entry.id)));
  });

  test("a retry is only sent if it still fits in the time budget", async (t) => {
    const emu = emulatorOnly(t, target, "clock and faults");
    if (!emu) return;
    emu.clock.freeze();
    await issueTokens(client, specs(5, (await dbNow()) + 5 * MIN));
    emu.clock.advance(10 * MIN);
    // Clock reads: start 100, page 200, after the failure 300: 200 ms spent > 150 ms budget.
    let fake = 0;
    emu.faults.failQueries({ count: 1, status: 503 });
    const s = await deleteExpiredTokens(client, { timeBudgetMs: 150, now: () => (fake += 100), log: () => undefined });
    assert.equal(s.stoppedBy, "error");
    assert.equal(s.queries, 1);
    assert.equal(s.pages, 0);
    assert.equal(await expiredIndexSize(), 5);
    // The same failure with room left is retried and the run completes.
    fake = 0;
    emu.faults.failQueries({ count: 1, status: 503 });
    const ok = await deleteExpiredTokens(client, { timeBudgetMs: 1000, now: () => (fake += 100), log: () => undefined });
    assert.equal(ok.stoppedBy, "done");
    assert.equal(ok.queries, 2);
    assert.equal(ok.ledgerEntriesDeleted, 5);
  });

  test("two entries for one token in one page: the guarded delete counts it once", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    emu.clock.freeze();
    const t0 = await dbNow();
    const [dup] = await issueTokens(client, specs(1, t0 + 5 * MIN, "none"));
    // A second ledger document for the same token (a replayed or hand-made entry): without
    // the guard the second Delete of the token would fail the whole page, every run.
    await client.query(
      q.Create(q.Collection("auth0_token_exchanges"), {
        data: { token_ref: dup!.token, user_ref: users[0]!, expires_at: q.Time(new Date(t0 + 5 * MIN).toISOString()), issued_at: q.Now() },
      }),
    );
    emu.clock.advance(10 * MIN);
    const s = await deleteExpiredTokens(client, { log: () => undefined });
    assert.equal(s.stoppedBy, "done", JSON.stringify(s));
    assert.equal(s.pages, 1);
    assert.equal(s.ledgerEntriesDeleted, 2);
    assert.equal(s.tokensDeleted, 1);
    assert.equal(s.tokensAlreadyGone, 1);
    assert.equal(await secretWorks(target.endpoint, dup!.secret), false);
  });

  test("an entry with a broken token_ref is deleted, not a blocker", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    emu.clock.freeze();
    const t0 = await dbNow();
    await issueTokens(client, specs(3, t0 + 5 * MIN));
    // A ledger document whose token_ref points at a user document, and one without it.
    await client.query(
      q.Do(
        q.Create(q.Collection("auth0_token_exchanges"), { data: { token_ref: users[0]!, user_ref: users[0]!, expires_at: q.Time(new Date(t0 + 60_000).toISOString()) } }),
        q.Create(q.Collection("auth0_token_exchanges"), { data: { user_ref: users[0]!, expires_at: q.Time(new Date(t0 + 60_000).toISOString()) } }),
      ),
    );
    emu.clock.advance(10 * MIN);
    const s = await deleteExpiredTokens(client, { log: () => undefined });
    assert.equal(s.stoppedBy, "done", JSON.stringify(s));
    assert.equal(s.ledgerEntriesDeleted, 5);
    assert.equal(s.tokensDeleted, 0);
    assert.equal(s.tokensAlreadyGone, 5);
    assert.equal(await client.query(q.Exists(users[0]!)), true, "the user document was not deleted");
  });
});

describe("cleanupOptionsFromEnv", () => {
  test("reads positive integers and rejects anything else", () => {
    assert.deepEqual(cleanupOptionsFromEnv({}), {});
    assert.deepEqual(cleanupOptionsFromEnv({ CLEANUP_PAGE_SIZE: " 500 ", CLEANUP_TIME_BUDGET_MS: "15000" }), { pageSize: 500, timeBudgetMs: 15000 });
    for (const bad of ["0", "-1", "1.5", "ten", "100001"]) {
      assert.throws(() => cleanupOptionsFromEnv({ CLEANUP_PAGE_SIZE: bad }), CleanupConfigError, bad);
    }
    assert.throws(() => cleanupOptionsFromEnv({ CLEANUP_TIME_BUDGET_MS: "20s" }), (e: unknown) => e instanceof CleanupConfigError && e.code === "ERR_CLEANUP_CONFIG");
  });
});
