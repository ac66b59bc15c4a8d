/**
 * Cluster profile: an index over more than 128 documents (or versions) builds in the
 * background: `active: false`, Match on it fails 400 `instance not found` "Index 'x' is
 * not active." at the Match form's position + "index", until `documents / indexBuildRate`
 * seconds have passed on the emulator's clock; then the index document reads
 * `active: true`. The default profile builds every index at once.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../index.ts";
import type { EmulatorHandle } from "../src/api.ts";
import { q, clientPool, expectError, type Client, type Page } from "./support.ts";
import { startCluster, type ClusterTarget } from "./cluster-support.ts";

/** Slow enough that real time never finishes a build within a test: the clock does. */
const RATE = 10;

let cluster: ClusterTarget;
let admin: Client;
let plain: EmulatorHandle;
const plainPool = clientPool(() => plain.url);

before(async () => {
  cluster = await startCluster({ indexBuildRate: RATE });
  admin = cluster.client();
  plain = await startEmulator({ port: 0 });
});
after(async () => {
  await cluster.close();
  await plainPool.closeAll();
  await plain.close();
});

/** A collection holding `n` documents, created in one query. */
async function collectionOf(c: Client, name: string, n: number): Promise<void> {
  await c.query(q.CreateCollection({ name }));
  await c.query(q.Foreach(Array.from({ length: n }, (_, i) => i), q.Lambda("i", q.Create(q.Collection(name), { data: { i: q.Var("i") } }))));
}

const inactive = (name: string, position: (string | number)[]) => ({ status: 400, code: "instance not found", description: `Index '${name}' is not active.`, position });

describe("cluster profile: background index builds", () => {
  test("over 129 documents: active false, Match/Range/Paginate fail until the build is done by the clock, then active", async () => {
    await collectionOf(admin, "big", 129);
    const created = await admin.query<{ active: boolean }>(q.CreateIndex({ name: "big_by_i", source: q.Collection("big"), values: [{ field: ["data", "i"] }] }));
    assert.equal(created.active, false);
    await expectError(admin.query(q.Paginate(q.Match(q.Index("big_by_i")))), inactive("big_by_i", ["paginate", "index"]));
    await expectError(admin.query(q.Paginate(q.Range(q.Match(q.Index("big_by_i")), 0, 10))), inactive("big_by_i", ["paginate", "range", "index"]));
    await expectError(admin.query(q.Count(q.Match(q.Index("big_by_i")))), inactive("big_by_i", ["count", "index"]));
    cluster.emu.clock.advance((129 / RATE) * 1000 - 1_000);
    await expectError(admin.query(q.Exists(q.Match(q.Index("big_by_i")))), inactive("big_by_i", ["exists", "index"]));
    cluster.emu.clock.advance(1_100);
    const page = await admin.query<Page<number>>(q.Paginate(q.Match(q.Index("big_by_i")), { size: 200 }));
    assert.equal(page.data.length, 129);
    assert.equal((await admin.query<{ active: boolean }>(q.Get(q.Index("big_by_i")))).active, true);
  });

  test("128 documents build in the creating transaction: active at once", async () => {
    await collectionOf(admin, "small", 128);
    const created = await admin.query<{ active: boolean }>(q.CreateIndex({ name: "small_by_i", source: q.Collection("small") }));
    assert.equal(created.active, true);
    assert.equal(await admin.query(q.Count(q.Match(q.Index("small_by_i")))), 128);
  });

  test("versions count too: 10 documents with 14 versions each (140) build in the background", async () => {
    await collectionOf(admin, "churn", 10);
    for (let round = 0; round < 13; round++) {
      await admin.query(q.Map(q.Paginate(q.Documents(q.Collection("churn"))), q.Lambda("r", q.Update(q.Var("r"), { data: { round } }))));
    }
    const created = await admin.query<{ active: boolean }>(q.CreateIndex({ name: "churn_by_round", source: q.Collection("churn"), terms: [{ field: ["data", "round"] }] }));
    assert.equal(created.active, false);
    cluster.emu.clock.advance(2_000);
    assert.equal(await admin.query(q.Count(q.Match(q.Index("churn_by_round"), 12))), 10);
  });

  test("active latches: an update cannot make an active index inactive (the server's ActiveValidator)", async () => {
    const c = plainPool.client(plain.secret);
    await c.query(q.CreateCollection({ name: "latch" }));
    await c.query(q.CreateIndex({ name: "latch_all", source: q.Collection("latch") }));
    const updated = await c.query<{ active: boolean }>(q.Update(q.Index("latch_all"), { active: false }));
    assert.equal(updated.active, true);
    assert.equal(await c.query(q.Count(q.Match(q.Index("latch_all")))), 0);
  });

  test("the default profile builds 129 documents at once", async () => {
    const c = plainPool.client(plain.secret);
    await collectionOf(c, "big", 129);
    const created = await c.query<{ active: boolean }>(q.CreateIndex({ name: "big_by_i", source: q.Collection("big") }));
    assert.equal(created.active, true);
    assert.equal(await c.query(q.Count(q.Match(q.Index("big_by_i")))), 129);
  });
});
