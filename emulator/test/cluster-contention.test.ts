/**
 * Cluster profile: transactions overlap and contend (optimistic concurrency, validated
 * per document and per serialized index partition at commit; 5 attempts, then 409), and
 * the default profile, where queries run one at a time, never does.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../index.ts";
import type { EmulatorHandle } from "../src/api.ts";
import { q, clientPool, type Client, type Doc } from "./support.ts";
import { commitRound, LONG, outcome, pending, startCluster, within, type ClusterTarget, type Outcome } from "./cluster-support.ts";

let cluster: ClusterTarget;
let admin: Client;
let plain: EmulatorHandle;
const plainPool = clientPool(() => plain.url);

const CONTENDED = { status: 409, code: "contended transaction", description: "Transaction was aborted due to detection of concurrent modification." };

before(async () => {
  cluster = await startCluster({ commitDelayMs: LONG });
  admin = cluster.client();
  plain = await startEmulator({ port: 0 });
  for (const c of [admin, plainPool.client(plain.secret)]) {
    await setup(c, cluster.emu);
  }
});
after(async () => {
  await cluster.close();
  await plainPool.closeAll();
  await plain.close();
});

/** The schema every test uses, created on both emulators (the cluster's writes committed by moving its clock). */
async function setup(c: Client, emu: EmulatorHandle): Promise<void> {
  const run = async (expr: Parameters<Client["query"]>[0]) => {
    const p = c.query(expr);
    if (c === admin) await commitRound(emu, 1);
    await p;
  };
  await run(q.Do(q.CreateCollection({ name: "items" }), q.CreateCollection({ name: "log" }), q.CreateCollection({ name: "users" })));
  await run(
    q.Do(
      q.CreateIndex({ name: "items_by_n", source: q.Collection("items"), values: [{ field: ["data", "n"] }] }),
      q.CreateIndex({ name: "items_by_n_loose", source: q.Collection("items"), values: [{ field: ["data", "n"] }], serialized: false }),
      q.CreateIndex({ name: "items_by_list", source: q.Collection("items"), terms: [{ field: ["data", "list"] }] }),
      q.CreateIndex({ name: "users_by_sub", source: q.Collection("users"), terms: [{ field: ["data", "sub"] }], unique: true }),
    ),
  );
}

/** Creates a document on the cluster (its commit driven by the clock). */
async function create(coll: string, data: object): Promise<Doc> {
  const p = admin.query<Doc>(q.Create(q.Collection(coll), { data }));
  await commitRound(cluster.emu, 1);
  return p;
}

/** Starts a query on the cluster and waits until it waits for its commit (so arrival order is the test's); `done` is its outcome. */
async function inFlight<T>(expr: Parameters<Client["query"]>[0], client = cluster.client()): Promise<{ done: Promise<Outcome<T>> }> {
  const before = cluster.emu.transactions.pending;
  const done = outcome<T>(client, expr);
  await pending(cluster.emu, before + 1);
  return { done };
}

const retries = (outs: Outcome[]): number[] => outs.map((o) => o.retries).sort();

describe("cluster profile: overlapping transactions", () => {
  test("a document read and written by two overlapping queries: the later one is retried and sees the first's write (no lost update)", async () => {
    const doc = await create("items", { n: 0, list: "counter" });
    const inc = q.Update(doc.ref, { data: { n: q.Add(q.Select(["data", "n"], q.Get(doc.ref)), 1) } });
    const a = await inFlight(inc);
    const b = await inFlight(inc);
    cluster.emu.clock.advance(LONG);
    await commitRound(cluster.emu, 1);
    const outs = await Promise.all([a.done, b.done]);
    assert.deepEqual(outs.map((o) => o.status), [200, 200]);
    assert.deepEqual(retries(outs), [0, 1]);
    assert.equal((await admin.query<Doc>(q.Get(doc.ref))).data?.n, 2);
    // Every attempt is counted, as the server bills it: the retried query read and wrote twice.
    const counts = (o: Outcome) => [Number(o.headers["x-emulator-documents-read"]), Number(o.headers["x-emulator-documents-written"])];
    const [once, twice] = outs.sort((x, y) => x.retries - y.retries).map(counts);
    assert.deepEqual(twice, once!.map((n) => 2 * n));
    assert.equal(once![1], 1);
  });

  test("Now() is the snapshot; the write's ts and x-txn-time are its commit, commitDelayMs later", async () => {
    const expr = q.Let({ d: q.Create(q.Collection("log"), { data: { at: q.ToMicros(q.Now()) } }) }, q.Var("d"));
    let txnTime = 0;
    const p = cluster.client().queryWithMetrics<Doc<{ at: number }>>(expr, { observer: (r) => (txnTime = Number((r.responseHeaders as Record<string, string>)["x-txn-time"])) });
    await commitRound(cluster.emu, 1);
    const { value: d } = await p;
    assert.ok(d.ts - d.data!.at >= LONG * 1000, `ts ${d.ts} is at least the commit delay after Now() ${d.data!.at}`);
    assert.equal(txnTime, d.ts);
  });

  test("a Range over a term-less serialized index conflicts with any concurrent write of one of its entries, even outside the range", async () => {
    const writer = await inFlight(q.Create(q.Collection("items"), { data: { n: 500 } }));
    const reader = await inFlight(q.Do(q.Paginate(q.Range(q.Match(q.Index("items_by_n")), 0, 10)), q.Create(q.Collection("log"), {})));
    await commitRound(cluster.emu, 2);
    assert.equal((await writer.done).retries, 0);
    await commitRound(cluster.emu, 1);
    const r = await reader.done;
    assert.equal(r.status, 201);
    assert.equal(r.retries, 1);
  });

  test("an index with serialized: false is not validated; an index with terms is validated per term (partition)", async () => {
    // The writer commits first each time; then the readers are validated against its entry (n 7, term "b").
    const writer = await inFlight(q.Create(q.Collection("items"), { data: { n: 7, list: "b" } }));
    const loose = await inFlight(q.Do(q.Paginate(q.Match(q.Index("items_by_n_loose"))), q.Create(q.Collection("log"), {})));
    const otherTerm = await inFlight(q.Do(q.Paginate(q.Match(q.Index("items_by_list"), "a")), q.Create(q.Collection("log"), {})));
    await commitRound(cluster.emu, 3);
    assert.deepEqual((await Promise.all([writer.done, loose.done, otherTerm.done])).map((o) => o.retries), [0, 0, 0]);
    const writerB = await inFlight(q.Create(q.Collection("items"), { data: { n: 8, list: "b" } }));
    const sameTerm = await inFlight(q.Do(q.Paginate(q.Match(q.Index("items_by_list"), "b")), q.Create(q.Collection("log"), {})));
    cluster.emu.clock.advance(LONG);
    await commitRound(cluster.emu, 1);
    assert.deepEqual((await Promise.all([writerB.done, sameTerm.done])).map((o) => o.retries), [0, 1], "the reader of term 'b' is retried");
  });

  test("what a role's membership predicate reads while the secret is checked is not validated (the check is a read of its own)", async () => {
    const role = q.CreateRole({
      name: "active_people",
      membership: [{ resource: q.Collection("users"), predicate: q.Query(q.Lambda("u", q.Select(["data", "active"], q.Get(q.Var("u")), false))) }],
      privileges: [{ resource: q.Collection("log"), actions: { create: true } }],
    });
    const setup = admin.query<Doc & { secret: string }>(
      q.Do(role, q.Let({ u: q.Create(q.Collection("users"), { data: { sub: "auth0|member", active: true } }) }, q.Create(q.Tokens(), { instance: q.Select("ref", q.Var("u")) }))),
    );
    await commitRound(cluster.emu, 1);
    const token = await setup;
    const user = await admin.query<Doc>(q.Get(q.Match(q.Index("users_by_sub"), "auth0|member")));
    const touch = await inFlight(q.Update(user.ref, { data: { seen: 1 } }));
    const write = await inFlight(q.Create(q.Collection("log"), {}), cluster.client(token.secret));
    await commitRound(cluster.emu, 2);
    const outs = await within(Promise.all([touch.done, write.done]), () => "the token's write was retried: no answer");
    assert.deepEqual(outs.map((o) => [o.status, o.retries]), [[200, 0], [201, 0]]);
  });

  test("6 overlapping writers of one term-less index: one commits per round, the sixth gives up after 5 attempts with 409", async () => {
    const clients = Array.from({ length: 6 }, () => cluster.client());
    const add = (i: number) => q.Do(q.Count(q.Match(q.Index("items_by_n"))), q.Create(q.Collection("items"), { data: { n: 1000 + i } }));
    const runs = clients.map((c, i) => outcome(c, add(i)));
    for (let waiting = 6; waiting >= 2; waiting--) await commitRound(cluster.emu, waiting);
    const outs = await Promise.all(runs);
    const lost = outs.filter((o) => o.status === 409);
    assert.equal(lost.length, 1, JSON.stringify(outs));
    assert.deepEqual({ status: lost[0]!.status, code: lost[0]!.code, description: lost[0]!.description }, CONTENDED);
    assert.equal(lost[0]!.retries, 4, "x-txn-retries of the 409: the 4 retries after the first attempt");
    assert.deepEqual(retries(outs.filter((o) => o.status !== 409)), [0, 1, 2, 3, 4]);
    assert.equal(await admin.query(q.Count(q.Range(q.Match(q.Index("items_by_n")), 1000, 1005))), 5, "the 409 committed nothing");
  });

  test("the default profile runs the same 6 writers one at a time: no retry, no 409", async () => {
    const clients = Array.from({ length: 6 }, () => plainPool.client(plain.secret));
    const outs = await Promise.all(clients.map((c, i) => outcome(c, q.Do(q.Count(q.Match(q.Index("items_by_n"))), q.Create(q.Collection("items"), { data: { n: i } })))));
    assert.deepEqual(outs.map((o) => [o.status, o.retries]), Array(6).fill([201, 0]));
    assert.equal(plain.transactions.pending, 0);
    await assert.rejects(plain.transactions.whenPending(1), /default profile/);
  });
});

describe("cluster profile: the unique-index race", () => {
  const getOrCreate = (sub: string) =>
    q.Let(
      { m: q.Match(q.Index("users_by_sub"), sub) },
      q.If(q.IsNonEmpty(q.Var("m")), q.Get(q.Var("m")), q.Create(q.Collection("users"), { data: { sub } })),
    );

  test("two concurrent get-or-create: the loser is retried, reads the index first and returns the winner's document", async () => {
    const a = await inFlight<Doc>(getOrCreate("auth0|race1"));
    const b = await inFlight<Doc>(getOrCreate("auth0|race1"));
    await commitRound(cluster.emu, 2);
    const outs = await Promise.all([a.done, b.done]);
    assert.deepEqual(retries(outs), [0, 1]);
    assert.equal(outs[0]!.value!.ref.id, outs[1]!.value!.ref.id, "both answered the one document");
    assert.equal(await admin.query(q.Count(q.Match(q.Index("users_by_sub"), "auth0|race1"))), 1);
  });

  test("two concurrent plain Creates: the loser is retried, then fails instance not unique", async () => {
    const create = q.Create(q.Collection("users"), { data: { sub: "auth0|race2" } });
    const a = await inFlight(create);
    const b = await inFlight(create);
    await commitRound(cluster.emu, 2);
    const outs = await Promise.all([a.done, b.done]);
    const lost = outs.find((o) => o.status === 400)!;
    assert.ok(outs.some((o) => o.status === 201), "the winner created it");
    assert.deepEqual([lost.status, lost.code, lost.description, lost.retries], [400, "instance not unique", "document is not unique.", 1]);
  });

  test("the default profile: the second Create fails at once, without a retry", async () => {
    const c = plainPool.client(plain.secret);
    const create = q.Create(q.Collection("users"), { data: { sub: "auth0|race3" } });
    const outs = await Promise.all([outcome(c, create), outcome(c, create)]);
    assert.deepEqual(outs.map((o) => [o.status, o.retries]).sort(), [[201, 0], [400, 0]]);
  });
});
