/**
 * The cleanup under live traffic on the emulator's cluster profile (issue 18.1): exchanges
 * keep arriving (each writes an entry of the expiry index) while scheduled runs drain the
 * expired entries. With the expiry index not serialized, no page contends with a sign-in:
 * every expired entry is gone within a few runs, no run ends in error, and nothing live is
 * touched (every entry re-checked in the transaction that deletes it).
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call, type Reply } from "./support/http-client.ts";
import { issueTokens, ledgerProblems, readLedgerState } from "./cleanup-fixtures.ts";
import { deleteExpiredTokens, type CleanupSummary } from "../lib/core/cleanup.ts";
import { LEDGER_BY_EXPIRATION_INDEX } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

const USERS = Array.from({ length: 8 }, (_, i) => `auth0|traffic-${i}`);
const EXPIRED = 1500;

describe("the cleanup converges under traffic on a cluster", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: USERS, target: { profile: "cluster" } });
  });
  after(() => s.close());

  test(`${EXPIRED} expired entries drained while 8 users keep signing in: every one gone within a few runs, no run in error`, async (t) => {
    const emu = emulatorOnly(t, s.target, "the cluster profile and its clock");
    if (!emu) return;
    const server = s.target.client(s.target.serverSecret);
    const users = await server.query<faunadb.values.Ref[]>(q.Map(USERS, q.Lambda("sub", q.Select(["data", 0], q.Paginate(q.Match(q.Index(s.config.usersIndex), q.Var("sub")))))));
    const now = await server.query<number>(q.ToMillis(q.Now()));
    await issueTokens(server, Array.from({ length: EXPIRED }, (_, i) => ({ user: users[i % users.length]!, expiresAt: now + 60_000 + i })), 250);
    emu.clock.advance(120_000);

    let stop = false;
    const replies: Reply[] = [];
    const traffic = USERS.map(async (sub) => {
      while (!stop) {
        const jwt = s.issuer.mint({ sub });
        logs.forbid(jwt);
        const r = await call(s.url, bearer(jwt));
        if (r.status === 200) logs.forbid(r.body.secret as string);
        replies.push(r);
      }
    });
    const runs: CleanupSummary[] = [];
    try {
      for (let run = 0; run < 10; run++) {
        const expired = await server.query<number>(q.Count(q.Range(q.Match(q.Index(LEDGER_BY_EXPIRATION_INDEX)), [], [q.Now()])));
        if (expired === 0) break;
        // A short budget, so that the drain takes several runs as the scheduled function's does.
        runs.push(await deleteExpiredTokens(s.target.client(s.target.serverSecret), { timeBudgetMs: 200, log: () => undefined }));
      }
    } finally {
      stop = true;
      await Promise.all(traffic);
    }
    const deleted = runs.reduce((n, r) => n + r.ledgerEntriesDeleted, 0);
    t.diagnostic(`runs: ${runs.map((r) => `${r.stoppedBy} ${r.ledgerEntriesDeleted} in ${r.pages} pages`).join("; ")}; exchanges meanwhile: ${replies.length}`);
    for (const r of runs) assert.notEqual(r.stoppedBy, "error", JSON.stringify(r));
    assert.equal(deleted, EXPIRED);
    assert.ok(runs.length <= 6, `${runs.length} runs`);
    assert.equal(await server.query(q.Count(q.Range(q.Match(q.Index(LEDGER_BY_EXPIRATION_INDEX)), [], [q.Now()]))), 0);
    // The traffic went on throughout, and the cleanup touched none of its secrets.
    assert.ok(replies.length >= 20, `${replies.length} exchanges`);
    for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.body));
    const state = await readLedgerState(s.admin);
    assert.deepEqual(ledgerProblems(state), []);
    assert.equal(state.entries.length, state.liveTokens.size);
  });
});
