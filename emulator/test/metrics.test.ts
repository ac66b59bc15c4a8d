/**
 * The metrics headers, counted by FaunaDB's rules (stats/…/QueryMetrics.scala,
 * repo/…/query/Query.scala, api/…/queries/MetricsSpec.scala): compute is one per function
 * call and per lambda application, 50 to an op, at least one; byte read ops are billed
 * per document read (once per query) and per set read (bytes / 4096, plus the partitions
 * beyond the first); byte write ops per document written (bytes / 1024); a failed query
 * bills the minimum, an aborted one its compute and reads. On every answer but a 401.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import { headerNames, q, raw, rawQuery, type Client, type Expr, type Ref } from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let doc: Ref;

before(async () => {
  target = await startTarget();
  admin = target.client();
  await admin.query(q.Do(q.CreateCollection({ name: "things" }), q.CreateCollection({ name: "entries" })));
  await admin.query(
    q.Do(
      q.CreateIndex({ name: "things_by_tag", source: q.Collection("things"), terms: [{ field: ["data", "tag"] }] }),
      q.CreateIndex({ name: "entries_by_n", source: q.Collection("entries"), values: [{ field: ["data", "n"] }, { field: ["ref"] }] }),
    ),
  );
  doc = ((await admin.query(q.Create(q.Collection("things"), { data: { tag: "a" } }))) as { ref: Ref }).ref;
  await admin.query(q.Foreach(Array.from({ length: 30 }, (_, i) => i), q.Lambda("n", q.Create(q.Collection("entries"), { data: { n: q.Var("n") } }))));
});
after(() => target.close());

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const METRICS = [
  "x-compute-ops",
  "x-byte-read-ops",
  "x-byte-write-ops",
  "x-query-time",
  "x-query-bytes-in",
  "x-query-bytes-out",
  "x-storage-bytes-read",
  "x-storage-bytes-write",
  "x-txn-retries",
];

/** A query's metrics headers as integers, and its HTTP status (errors included). */
async function metrics(expr: Expr | unknown, secret = target.adminSecret): Promise<Record<string, number> & { status: number }> {
  const res = await rawQuery(target.endpoint, secret, expr as Expr);
  const out: Record<string, number> = { status: res.status };
  for (const h of METRICS) {
    const v = res.headers.get(h);
    assert.match(v ?? "", /^\d+$/, `${h} on a ${res.status}: ${v}`);
    out[h] = Number(v);
  }
  return out as Record<string, number> & { status: number };
}

describe("metrics headers: which answers carry them", () => {
  test("every header, as a whole number, in the server's order after x-txn-time; none on a 401", async () => {
    const res = await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 1));
    const names = headerNames(res.headers).filter((h) => METRICS.includes(h) || h === "x-txn-time");
    assert.deepEqual(new Set(names), new Set(["x-txn-time", ...METRICS]));
    assert.equal(res.headers.get("x-txn-retries"), "0");
    const denied = await rawQuery(target.endpoint, "not-a-secret", q.Add(1, 1));
    assert.equal(denied.status, 401);
    for (const h of METRICS) assert.equal(denied.headers.get(h), null, h);
  });

  test("x-query-bytes-in and -out are the request's and the response's body bytes", async () => {
    const body = JSON.stringify(q.Concat(["é", "x"]));
    const res = await raw(target.endpoint, { secret: target.adminSecret, body });
    assert.equal(Number(res.headers.get("x-query-bytes-in")), Buffer.byteLength(body));
    assert.equal(Number(res.headers.get("x-query-bytes-out")), Buffer.byteLength(res.text));
  });

  test("the driver's queryWithMetrics reads them (HTTP/2)", async () => {
    const { value, metrics: m } = await admin.queryWithMetrics(q.Add(20, 22));
    assert.equal(value, 42);
    assert.equal((m as Record<string, number>)["x-compute-ops"], 1);
    assert.equal((m as Record<string, number>)["x-txn-retries"], 0);
  });
});

describe("metrics headers: compute", () => {
  test("a literal, Do, Let, If, And, Or, Object and Select cost the minimum, one op (MetricsSpec 'forms')", async () => {
    for (const e of [1, q.Do(null as never), q.Let({ x: "y" }, q.Var("x")), q.If(true, null, null), q.And(true, false), q.Or(false, true), {}, q.Select(0, [1, 2, 3])]) {
      const m = await metrics(e);
      assert.deepEqual([m["x-compute-ops"], m["x-byte-read-ops"], m["x-byte-write-ops"], m["x-storage-bytes-read"], m["x-storage-bytes-write"]], [1, 0, 0, 0, 0], JSON.stringify(e));
    }
  });

  test("one per function call and per lambda application, 50 to an op", async () => {
    // Map + 120 lambda applications + 120 Add = 241 calls → 5 ops.
    const items = Array.from({ length: 120 }, (_, i) => i);
    assert.equal((await metrics(q.Map(items, q.Lambda("x", q.Add(q.Var("x"), 1)))))["x-compute-ops"], 5);
    // 100 Gets of one document: 100 calls → 2 ops (MetricsSpec 'get same ref many times').
    assert.equal((await metrics(Array.from({ length: 100 }, () => q.Get(doc))))["x-compute-ops"], 2);
    // 50 calls exactly → 1 op; 51 → 2.
    assert.equal((await metrics(Array.from({ length: 50 }, () => q.Now())))["x-compute-ops"], 1);
    assert.equal((await metrics(Array.from({ length: 51 }, () => q.Now())))["x-compute-ops"], 2);
  });

  test("Count, Sum, Mean, Any and All charge one per element; Reduce a lambda application and its calls (MetricsSpec 'reduce functions')", async () => {
    const items = Array.from({ length: 200 }, () => 1);
    for (const f of [q.Count, q.Sum, q.Mean] as ((x: unknown) => Expr)[]) assert.equal((await metrics(f(items)))["x-compute-ops"], 5); // 1 + 200
    assert.equal((await metrics(q.All(items.map(() => true))))["x-compute-ops"], 5);
    // Reduce + 200 × (lambda + Add) = 401 → 9.
    assert.equal((await metrics(q.Reduce(q.Lambda(["acc", "v"], q.Add(q.Var("acc"), q.Var("v"))), 0, items)))["x-compute-ops"], 9);
  });

  test("CreateIndex building synchronously charges a compute per term and value of each document (MetricsSpec)", async (t) => {
    if (!emulatorOnly(t, target, "a collection of exactly 100 documents in a fresh database")) return;
    await admin.query(q.CreateCollection({ name: "hundred" }));
    await admin.query(q.Foreach(Array.from({ length: 100 }, (_, i) => i), q.Lambda("i", q.Create(q.Collection("hundred"), { data: { x: q.Var("i"), y: 1, z: 2 } }))));
    const m = await metrics(
      q.CreateIndex({ name: "hundred_by_xy", source: q.Collection("hundred"), terms: [{ field: ["data", "x"] }, { field: ["data", "y"] }], values: [{ field: ["data", "z"] }] }),
    );
    assert.equal(m.status, 201);
    // 1 + (2 + 1) × 100 / 50
    assert.equal(m["x-compute-ops"], 7);
  });
});

describe("metrics headers: choices the source does not settle (README)", () => {
  test("index maintenance on writes costs no compute", async () => {
    await admin.query(q.CreateCollection({ name: "wide" }));
    const four = { terms: [{ field: ["data", "a"] }, { field: ["data", "b"] }], values: [{ field: ["data", "c"] }, { field: ["data", "d"] }] };
    await admin.query(q.Do(...[1, 2, 3].map((i) => q.CreateIndex({ name: `wide_${i}`, source: q.Collection("wide"), ...four }))));
    // Foreach + 10 × (lambda + Create + Collection) = 31 calls; 12 extractors × 10 documents would make it 151.
    const m = await metrics(q.Foreach(range(10), q.Lambda("i", q.Create(q.Collection("wide"), { data: { a: 1, b: 2, c: 3, d: 4 } }))));
    assert.equal(m["x-compute-ops"], 1);
  });

  test("a role predicate run while authenticating counts toward the query's compute", async () => {
    await admin.query(q.CreateCollection({ name: "members" }));
    const heavy = q.Query(q.Lambda("ref", q.GT(q.Count(range(200)), 0)));
    await admin.query(q.CreateRole({ name: "heavy", membership: [{ resource: q.Collection("members"), predicate: heavy }], privileges: [] }));
    const member = ((await admin.query(q.Create(q.Collection("members"), {}))) as { ref: Ref }).ref;
    const tok = (await admin.query(q.Create(q.Tokens(), { instance: member }))) as { secret: string };
    // lambda + GT + Count + 200 counted = 203 calls, + the query's Add → 5 ops.
    assert.equal((await metrics(q.Add(1, 1), tok.secret))["x-compute-ops"], 5);
  });

  test("a document written twice in one query is billed once, by its last version", async () => {
    const m = await metrics(q.Let({ d: q.Create(q.Collection("things"), { data: { tag: "twice" } }) }, q.Update(q.Select("ref", q.Var("d")), { data: { n: 2 } })));
    assert.equal(m["x-byte-write-ops"], 1);
  });

  test("no read cache for sets: Get(set) bills the set and the document apart, a set read twice is billed twice", async () => {
    const one = q.Match(q.Index("things_by_tag"), "a");
    assert.equal((await metrics(q.Get(one)))["x-byte-read-ops"], 2);
    assert.equal((await metrics([q.Paginate(one), q.Paginate(one)]))["x-byte-read-ops"], 2);
  });

  test("Exists of a missing document bills a read op; x-query-time is at least 1", async () => {
    const m = await metrics(q.Exists(q.Ref(q.Collection("things"), "1")));
    assert.deepEqual([m["x-byte-read-ops"], m["x-storage-bytes-read"]], [1, 1]);
    assert.ok(m["x-query-time"] >= 1);
  });
});

describe("metrics headers: reads and writes", () => {
  test("a Get bills one read op; the same document read again in the query costs nothing (the read cache)", async () => {
    const one = await metrics(q.Get(doc));
    assert.equal(one["x-byte-read-ops"], 1);
    assert.ok(one["x-storage-bytes-read"] > 0);
    assert.equal(one["x-storage-bytes-write"], 0);
    const many = await metrics(Array.from({ length: 100 }, () => q.Get(doc)));
    assert.equal(many["x-byte-read-ops"], 1);
    assert.equal(many["x-storage-bytes-read"], one["x-storage-bytes-read"]);
  });

  test("a Create bills a write op and reads nothing; an Update reads the old version without a read op", async () => {
    const created = await metrics(q.Create(q.Collection("things"), { data: { tag: "b" } }));
    assert.equal(created.status, 201);
    assert.deepEqual([created["x-compute-ops"], created["x-byte-read-ops"], created["x-byte-write-ops"], created["x-storage-bytes-read"]], [1, 0, 1, 0]);
    assert.ok(created["x-storage-bytes-write"] > 0);
    const updated = await metrics(q.Update(doc, { data: { n: 1 } }));
    assert.deepEqual([updated["x-byte-read-ops"], updated["x-byte-write-ops"]], [0, 1]);
    assert.ok(updated["x-storage-bytes-read"] > 0);
  });

  test("write ops are per document: a Replace and a Create in one query are 2 (MetricsSpec 'invalidated read')", async () => {
    const m = await metrics(q.Let({ a: q.Replace(doc, { data: { tag: "a" } }), b: q.Exists(doc) }, q.Create(q.Collection("things"))));
    assert.equal(m["x-byte-write-ops"], 2);
  });

  test("a large document bills a write op per KiB", async () => {
    const m = await metrics(q.Create(q.Collection("things"), { data: { blob: "x".repeat(5000) } }));
    assert.ok(m["x-byte-write-ops"] >= 5 && m["x-byte-write-ops"] <= 6, `write ops ${m["x-byte-write-ops"]}`);
    assert.equal(m["x-byte-write-ops"], Math.ceil(m["x-storage-bytes-write"] / 1024));
  });

  test("Login and Identify read the credentials: one read op (MetricsSpec 'login', 'identify')", async () => {
    const who = ((await admin.query(q.Create(q.Collection("things"), { credentials: { password: "sekret" } }))) as { ref: Ref }).ref;
    const login = await metrics(q.Login(who, { password: "sekret" }));
    assert.equal(login.status, 201);
    assert.deepEqual([login["x-compute-ops"], login["x-byte-read-ops"], login["x-byte-write-ops"]], [1, 1, 1]);
    const identify = await metrics(q.Identify(who, "sekret"));
    assert.deepEqual([identify["x-byte-read-ops"], identify["x-byte-write-ops"]], [1, 0]);
  });

  test("a page of an index with terms is one read op; a term-less index is read from its 8 partitions", async () => {
    assert.equal((await metrics(q.Paginate(q.Match(q.Index("things_by_tag"), "a"))))["x-byte-read-ops"], 1);
    assert.equal((await metrics(q.Paginate(q.Match(q.Index("entries_by_n")))))["x-byte-read-ops"], 8);
    // Paginate then Get each: the page plus one per document (MetricsSpec 'paginate/map/get').
    const m = await metrics(q.Map(q.Paginate(q.Match(q.Index("entries_by_n")), { size: 10 }), q.Lambda(["n", "r"], q.Get(q.Var("r")))));
    assert.equal(m["x-byte-read-ops"], 8 + 10);
  });

  test("a failed query bills one compute op and nothing else; an aborted one keeps its compute and reads", async () => {
    const missing = await metrics(q.Get(q.Ref(q.Collection("things"), "1")));
    assert.equal(missing.status, 404);
    assert.deepEqual([missing["x-compute-ops"], missing["x-byte-read-ops"], missing["x-byte-write-ops"], missing["x-storage-bytes-read"]], [1, 0, 0, 0]);
    const failedWrite = await metrics(q.Do(q.Create(q.Collection("things")), q.Add(1, "x")));
    assert.equal(failedWrite.status, 400);
    assert.deepEqual([failedWrite["x-byte-write-ops"], failedWrite["x-storage-bytes-write"]], [0, 0]);
    const aborted = await metrics(q.If(q.Exists(doc), q.Abort("no"), null));
    assert.equal(aborted.status, 400);
    assert.equal(aborted["x-byte-read-ops"], 1);
    assert.ok(aborted["x-storage-bytes-read"] > 0);
  });

  test("the emulator's exact counters are still sent as x-emulator-*", async (t) => {
    if (!emulatorOnly(t, target, "x-emulator-* headers")) return;
    const res = await rawQuery(target.endpoint, target.adminSecret, q.Map(q.Paginate(q.Match(q.Index("entries_by_n")), { size: 3 }), q.Lambda(["n", "r"], q.Get(q.Var("r")))));
    assert.equal(res.headers.get("x-emulator-documents-read"), "3");
    assert.equal(res.headers.get("x-emulator-documents-written"), "0");
    assert.equal(res.headers.get("x-emulator-index-entries-scanned"), "4");
  });
});

/** The product's figures: what an exchange and a cleanup page cost, as the README reports them. */
describe("metrics headers: the product's queries", () => {
  test("a token and a ledger document created in one Let: 1 compute op, 2 write ops", async () => {
    const user = ((await admin.query(q.Create(q.Collection("things"), { data: { tag: "user" } }))) as { ref: Ref }).ref;
    const m = await metrics(
      q.Let(
        { tok: q.Create(q.Tokens(), { instance: user, ttl: q.TimeAdd(q.Now(), 1, "hour") }) },
        q.Do(q.Create(q.Collection("entries"), { data: { n: 1000, token: q.Select("ref", q.Var("tok")) } }), q.Select("secret", q.Var("tok"))),
      ),
    );
    assert.equal(m.status, 201);
    assert.deepEqual([m["x-compute-ops"], m["x-byte-write-ops"]], [1, 2]);
  });

  test("a page of 25 index entries with a Map of Delete: compute for 25 lambdas and 25 Deletes, a write op per document", async () => {
    const m = await metrics(q.Map(q.Paginate(q.Match(q.Index("entries_by_n")), { size: 25 }), q.Lambda(["n", "r"], q.Delete(q.Var("r")))));
    assert.equal(m.status, 200);
    // Map, Paginate, Match, Index + 25 × (lambda + Delete) = 54 → 2.
    assert.equal(m["x-compute-ops"], 2);
    assert.equal(m["x-byte-write-ops"], 25);
    assert.equal(m["x-byte-read-ops"], 8);
  });
});

