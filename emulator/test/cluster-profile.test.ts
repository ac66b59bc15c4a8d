/**
 * The cluster profile's plumbing (its options, defaults and mistakes) and `X-Query-Timeout`
 * enforced as the server does: 440 `processing time limit exceeded` under 1 s, 503
 * `time out` past it, 409 once the query has contended; nothing committed. The default
 * profile does not enforce it.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../index.ts";
import { startTarget } from "../testing.ts";
import type { EmulatorHandle } from "../src/api.ts";
import { q, clientPool, type Client } from "./support.ts";
import { commitRound, LONG, outcome, pending, startCluster, type ClusterTarget } from "./cluster-support.ts";

describe("profiles", () => {
  test("the cluster profile's defaults; the default profile switches everything off", async () => {
    const emu = await startEmulator({ port: 0, profile: "cluster" });
    const plain = await startEmulator({ port: 0 });
    try {
      const p = emu.profile;
      assert.deepEqual([p.name, p.contention, p.limits, p.queryTimeout], ["cluster", true, true, true]);
      assert.deepEqual([p.commitDelayMs, p.authCacheMs, p.indexBuildRate, p.indexBuildSyncSize, p.maxAttempts, p.retryJitterMs], [20, 60_000, 400, 128, 5, 200]);
      assert.deepEqual(
        { ...plain.profile, indexBuildSyncSize: String(plain.profile.indexBuildSyncSize), indexBuildRate: String(plain.profile.indexBuildRate) },
        { name: "default", contention: false, commitDelayMs: 0, maxAttempts: 1, retryJitterMs: 0, authCacheMs: 0, indexBuildSyncSize: "Infinity", indexBuildRate: "Infinity", limits: false, queryTimeout: false },
      );
    } finally {
      await emu.close();
      await plain.close();
    }
  });

  test("options override the cluster profile's defaults; on the default profile, or out of range, they are refused", async () => {
    const emu = await startEmulator({ port: 0, profile: "cluster", commitDelayMs: 0, authCacheMs: 5_000, indexBuildRate: 1_000 });
    try {
      assert.deepEqual([emu.profile.commitDelayMs, emu.profile.authCacheMs, emu.profile.indexBuildRate], [0, 5_000, 1_000]);
    } finally {
      await emu.close();
    }
    await assert.rejects(startEmulator({ port: 0, authCacheMs: 1 }), { name: "RangeError", message: 'authCacheMs applies to the cluster profile only: add profile: "cluster" (--profile cluster)' });
    await assert.rejects(startEmulator({ port: 0, profile: "cluster", commitDelayMs: -1 }), { message: "commitDelayMs must be a number of milliseconds, 0 or more, got -1" });
    await assert.rejects(startEmulator({ port: 0, profile: "cluster", indexBuildRate: 0 }), { message: "indexBuildRate must be a number of documents per second, above 0, got 0" });
    await assert.rejects(startEmulator({ port: 0, profile: "clustr" as never }), { message: 'profile must be "default" or "cluster", got "clustr"' });
  });
});

test("startTarget({ profile: \"cluster\" }): a suite's database on the cluster profile", async (t) => {
  const target = await startTarget({ profile: "cluster", commitDelayMs: 5 });
  try {
    if (!target.emulator) return t.skip("a real FaunaDB is a cluster already");
    assert.equal(target.emulator.profile.name, "cluster");
    assert.equal(target.emulator.profile.commitDelayMs, 5);
    assert.equal(await target.client().query(q.Select("name", q.CreateCollection({ name: "c" }))), "c");
  } finally {
    await target.close();
  }
});

describe("X-Query-Timeout", () => {
  let cluster: ClusterTarget;
  let plain: EmulatorHandle;
  const plainPool = clientPool(() => plain.url);
  let admin: Client;

  before(async () => {
    cluster = await startCluster({ commitDelayMs: LONG });
    admin = cluster.client();
    plain = await startEmulator({ port: 0 });
    const p = admin.query(q.Do(q.CreateCollection({ name: "jobs" }), q.CreateIndex({ name: "all_jobs", source: q.Collection("jobs") })));
    await commitRound(cluster.emu, 1);
    await p;
    await plainPool.client(plain.secret).query(q.CreateCollection({ name: "jobs" }));
  });
  after(async () => {
    await cluster.close();
    await plainPool.closeAll();
    await plain.close();
  });

  const jobs = (c: Client) => c.query<number>(q.Count(q.Documents(q.Collection("jobs"))));

  test("a write still waiting for its commit at a 100 ms deadline: 440, the client's deadline too aggressive; nothing committed", async () => {
    const before = await jobs(admin);
    const o = await outcome(admin, q.Create(q.Collection("jobs"), { data: { late: true } }), { queryTimeout: 100 });
    assert.equal(o.status, 440);
    assert.equal(o.code, "processing time limit exceeded");
    const within = /^Client set aggressive deadline: query needs 1000, timed out within (\d+)$/.exec(o.description!);
    assert.ok(within && Number(within[1]) >= 95 && Number(within[1]) < 1000, o.description);
    assert.equal(cluster.emu.transactions.pending, 0, "the write no longer waits");
    cluster.emu.clock.advance(LONG);
    assert.equal(await jobs(admin), before, "nothing committed");
  });

  test("past 1 s: 503 time out, Read timed out", async () => {
    const o = await outcome(admin, q.Create(q.Collection("jobs"), {}), { queryTimeout: 1_050 });
    assert.deepEqual([o.status, o.code, o.description], [503, "time out", "Read timed out"]);
  });

  test("a query that contended and then passes its deadline: 409 contended transaction", async () => {
    const contended = q.Do(q.Count(q.Match(q.Index("all_jobs"))), q.Create(q.Collection("jobs"), {}));
    const winner = outcome(cluster.client(), q.Create(q.Collection("jobs"), {}));
    await pending(cluster.emu, 1);
    const loser = outcome(cluster.client(), contended, { queryTimeout: 600 });
    await commitRound(cluster.emu, 2);
    assert.equal((await winner).status, 201);
    await pending(cluster.emu, 1); // the retry (after 0..200 ms), waiting for a commit its deadline comes first
    const o = await loser;
    assert.deepEqual([o.status, o.code, o.retries], [409, "contended transaction", 1]);
  });

  test("reads are answered without waiting for a commit; the default profile does not enforce the deadline", async () => {
    assert.equal((await outcome(admin, q.Add(1, 1), { queryTimeout: 1_000 })).status, 200, "a read does not wait the 10 minutes of commit delay");
    const c = plainPool.client(plain.secret);
    const o = await outcome(c, q.Create(q.Collection("jobs"), {}), { queryTimeout: 1 });
    assert.equal(o.status, 201);
  });
});
