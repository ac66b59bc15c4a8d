/**
 * Pages and batches against FaunaDB's per-transaction limits (lib/core/ledger/limits.ts),
 * on the emulator's cluster profile, whose limits are on: one entry of the cleanup's page
 * and of a revocation batch costs, by the metrics headers of the product's own queries, no
 * more than the cost the cap is derived from; a page of MAX_PAGE_SIZE commits within half
 * the limits; every way of asking for a bigger page is refused, naming the cap and why.
 * And FaunaDB's query timeouts, 440 and 503 `time out`, are "not done, retry": the cleanup
 * retries them with pages half as big, the endpoint answers 503 with Retry-After.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startEmulator } from "fql4-emulator";
import { emulatorOnly, startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { deleteExpiredTokens } from "../lib/core/cleanup.ts";
import { revokeUserTokens } from "../lib/core/revoke.ts";
import { cleanupOptionsFromEnv, loadCleanupConfig } from "../lib/core/config/load.ts";
import { FAUNA_TRANSACTION_LIMITS, MAX_PAGE_SIZE, PAGE_ENTRY_COST } from "../lib/core/ledger/limits.ts";
import { DEFAULT_USERS_INDEX } from "../lib/core/ledger/layout.ts";
import { isQueryTimeout, isTransientFaunaError, mapFaunaError } from "../lib/core/fauna/failures.ts";
import { CleanupConfigError, DatabaseUnavailable, InvalidArgument } from "../lib/core/errors/index.ts";
import { createLedgerSchema, createUsers, issueTokens, readLedgerState, ledgerProblems } from "./cleanup-fixtures.ts";
import { meteredClient, type MeteredClient, type QueryMetrics } from "./support/metrics.ts";

const q = faunadb.query;
const HOUR = 3_600_000;
const quiet = { log: () => undefined };

describe("pages within FaunaDB's per-transaction limits (cluster profile)", () => {
  let target: FaunaTarget;
  let m: MeteredClient;
  let users: faunadb.values.Ref[];
  let n = 0;

  before(async () => {
    target = await startTarget({ profile: "cluster" });
    await createLedgerSchema(target.client());
    m = meteredClient(target.endpoint, target.serverSecret);
    users = await createUsers(m.client, ["auth0|expired", "auth0|revoked", "auth0|full"]);
  });
  after(async () => {
    await m.client.close();
    await target.close();
  });

  const dbNow = async () => (await m.client.query(q.ToMillis(q.Now()))) as number;
  /** `count` entries of `user` whose tokens have no ttl, so that a page deletes both documents: the worst case. */
  async function issueLive(user: faunadb.values.Ref, count: number, expiresAt: number): Promise<void> {
    await issueTokens(m.client, Array.from({ length: count }, (_, i) => ({ user, expiresAt: expiresAt + n++ + i, tokenTtl: "none" as const })), 1000);
  }
  function withinEntryCost(page: QueryMetrics, entries: number, what: string): void {
    const calls = page.computeOps * FAUNA_TRANSACTION_LIMITS.callsPerComputeOp;
    // Compute ops are rounded up per query: one op of slack for the query's fixed part.
    assert.ok(calls <= PAGE_ENTRY_COST.calls * entries + FAUNA_TRANSACTION_LIMITS.callsPerComputeOp, `${what}: ${calls / entries} calls per entry > ${PAGE_ENTRY_COST.calls}`);
    assert.ok(page.storageBytesWritten <= PAGE_ENTRY_COST.bytesWritten * entries, `${what}: ${page.storageBytesWritten / entries} bytes written per entry > ${PAGE_ENTRY_COST.bytesWritten}`);
    // A page that costs nothing measured nothing.
    assert.ok(page.computeOps * FAUNA_TRANSACTION_LIMITS.callsPerComputeOp >= (PAGE_ENTRY_COST.calls / 2) * entries, `${what}: ${page.computeOps} compute ops`);
    assert.ok(page.storageBytesWritten >= (PAGE_ENTRY_COST.bytesWritten / 2) * entries, `${what}: ${page.storageBytesWritten} bytes written`);
  }

  test("one entry of a cleanup page and of a revocation batch costs at most the cost the cap assumes", async (t) => {
    const emu = emulatorOnly(t, target, "the clock");
    if (!emu) return;
    const entries = 300;
    await issueLive(users[0]!, entries, (await dbNow()) + 60_000);
    // Two batches' worth: the first records the sign-out, the later ones read each entry too.
    await issueLive(users[1]!, 2 * entries, (await dbNow()) + 24 * HOUR);
    emu.clock.advance(HOUR);

    m.reset();
    const s = await deleteExpiredTokens(m.client, { pageSize: entries, ...quiet });
    assert.deepEqual([s.stoppedBy, s.pages, s.queries, s.tokensDeleted], ["done", 1, 1, entries]);
    withinEntryCost(m.answers[0]!, entries, "cleanup page");

    m.reset();
    const r = await revokeUserTokens(m.client, "auth0|revoked", { usersIndex: DEFAULT_USERS_INDEX, batchSize: entries });
    assert.equal(r.revoked, 2 * entries);
    const batches = m.answers.filter((a) => a.storageBytesWritten > 0);
    assert.equal(batches.length, 2, "two batches deleted them all");
    batches.forEach((b, i) => withinEntryCost(b, entries, `revocation batch ${i + 1}`));
  });

  test(`a page of MAX_PAGE_SIZE (${MAX_PAGE_SIZE}) with every token live commits, within half of every limit`, async (t) => {
    const emu = emulatorOnly(t, target, "the clock");
    if (!emu) return;
    await issueLive(users[2]!, MAX_PAGE_SIZE, (await dbNow()) + 60_000);
    emu.clock.advance(HOUR);
    m.reset();
    const s = await deleteExpiredTokens(m.client, { pageSize: MAX_PAGE_SIZE, ...quiet });
    assert.deepEqual([s.stoppedBy, s.pages, s.ledgerEntriesDeleted, s.tokensDeleted, s.error], ["done", 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE, undefined]);
    const page = m.answers.at(-1)!;
    assert.ok(page.computeOps <= FAUNA_TRANSACTION_LIMITS.computeOps / 2, `${page.computeOps} compute ops`);
    assert.ok(page.storageBytesWritten <= FAUNA_TRANSACTION_LIMITS.bytesWritten / 2, `${page.storageBytesWritten} bytes written`);
    assert.deepEqual(ledgerProblems(await readLedgerState(m.client)), []);
  });

  test("a bigger page is refused wherever it is asked for, naming the cap and why", async () => {
    const big = String(MAX_PAGE_SIZE + 1);
    const env = { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret };
    assert.deepEqual(cleanupOptionsFromEnv({ CLEANUP_PAGE_SIZE: String(MAX_PAGE_SIZE) }), { pageSize: MAX_PAGE_SIZE });
    for (const read of [() => cleanupOptionsFromEnv({ CLEANUP_PAGE_SIZE: big }), () => loadCleanupConfig({ ...env, CLEANUP_PAGE_SIZE: big })]) {
      assert.throws(read, (e: unknown) => {
        assert.ok(e instanceof CleanupConfigError);
        assert.match(e.message, new RegExp(`CLEANUP_PAGE_SIZE must be at most ${MAX_PAGE_SIZE}, got ${big}: .*one FaunaDB transaction.*16 MiB written, 12,000 compute ops`));
        return true;
      });
    }
    m.reset();
    await assert.rejects(deleteExpiredTokens(m.client, { pageSize: MAX_PAGE_SIZE + 1, ...quiet }), (e: unknown) => e instanceof CleanupConfigError && /pageSize must be at most 10000: .*limits/.test(e.message));
    await assert.rejects(
      revokeUserTokens(m.client, "auth0|revoked", { usersIndex: DEFAULT_USERS_INDEX, batchSize: MAX_PAGE_SIZE + 1 }),
      (e: unknown) => e instanceof InvalidArgument && e.code === "ERR_INVALID_ARGUMENT" && /batchSize must be at most 10000: .*limits/.test(e.message),
    );
    assert.equal(m.answers.length, 0, "refused before any query");
  });
});

describe("FaunaDB's query timeouts are transient", () => {
  test("a real 440 `processing time limit exceeded` and 503 `time out`: transient, a timeout, the database unavailable", async () => {
    // Writes wait ten minutes for their commit: every deadline passes first.
    const emu = await startEmulator({ port: 0, profile: "cluster", commitDelayMs: 600_000 });
    const raw = new faunadb.Client({ secret: emu.secret, endpoint: emu.url, checkNewVersion: false });
    try {
      for (const [queryTimeout, status, code] of [[100, 440, "processing time limit exceeded"], [1_050, 503, "time out"]] as const) {
        const e = await raw.query(q.CreateCollection({ name: `c${status}` }), { queryTimeout }).then(
          () => assert.fail("the write committed"),
          (err: unknown) => err,
        );
        assert.ok(e instanceof faunadb.errors.FaunaHTTPError && e.requestResult.statusCode === status, String(e));
        assert.equal((e.errors() as { code: string }[])[0]!.code, code);
        assert.equal(isTransientFaunaError(e), true, `${status} is transient`);
        assert.equal(isQueryTimeout(e), true, `${status} is a timeout`);
        const mapped = mapFaunaError(e, { endpoint: emu.url });
        assert.ok(mapped instanceof DatabaseUnavailable, `${status} → ${mapped.code}`);
        assert.equal(mapped.failure.cause, `http_${status}:${code}`);
      }
    } finally {
      await raw.close();
      await emu.close();
    }
  });

  test("the cleanup retries a page FaunaDB timed out, with pages half as big, and finishes", async (t) => {
    const target = await startTarget();
    try {
      const emu = emulatorOnly(t, target, "the clock and faults");
      if (!emu) return;
      await createLedgerSchema(target.client());
      const client = target.client(target.serverSecret);
      const [user] = await createUsers(client, ["auth0|timeouts"]);
      const now = (await client.query(q.ToMillis(q.Now()))) as number;
      await issueTokens(client, Array.from({ length: 40 }, (_, i) => ({ user: user!, expiresAt: now + 60_000 + i })));
      emu.clock.advance(HOUR);
      emu.faults.failQueries({ skip: 1, count: 1, status: 440, code: "processing time limit exceeded", description: "Client set aggressive deadline: query needs 1000, timed out within 8000" });
      const first = await deleteExpiredTokens(client, { pageSize: 10, ...quiet });
      // Page 1 of 10; page 2 refused (440) and sent again as 5; then pages of 5: 7 pages, 8 queries.
      assert.deepEqual([first.stoppedBy, first.error, first.reducedPageSize, first.ledgerEntriesDeleted], ["done", undefined, 5, 40]);
      assert.equal(first.queries, first.pages + 1);
      assert.equal(first.pages, 7);

      await issueTokens(client, Array.from({ length: 8 }, (_, i) => ({ user: user!, expiresAt: now + 2 * HOUR + i })));
      emu.clock.advance(2 * HOUR);
      emu.faults.failQueries({ count: 1, status: 503, code: "time out", description: "Read timed out" });
      const second = await deleteExpiredTokens(client, { pageSize: 8, ...quiet });
      assert.deepEqual([second.stoppedBy, second.reducedPageSize, second.ledgerEntriesDeleted, second.queries], ["done", 4, 8, 3]);

      // Any other transient failure is retried as it was: same size.
      await issueTokens(client, Array.from({ length: 4 }, (_, i) => ({ user: user!, expiresAt: now + 4 * HOUR + i })));
      emu.clock.advance(2 * HOUR);
      emu.faults.failQueries({ count: 1, status: 503 });
      const third = await deleteExpiredTokens(client, { pageSize: 8, ...quiet });
      assert.deepEqual([third.stoppedBy, third.reducedPageSize, third.queries], ["done", undefined, 2]);
    } finally {
      await target.close();
    }
  });
});
