/** §5.1: one request = one atomic transaction; snapshot time; concurrent unique writers. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, expectError, errors, timeText, type Client, type Doc } from "./support.ts";

let target: FaunaTarget;
let admin: Client;

const count = (coll: string) => admin.query<number>(q.Count(q.Documents(q.Collection(coll))));

before(async () => {
  target = await startTarget();
  admin = target.client();
  await admin.query(q.CreateCollection({ name: "acct" }));
  await admin.query(q.CreateCollection({ name: "log" }));
  await admin.query(q.CreateCollection({ name: "race" }));
  await admin.query(
    q.CreateIndex({ name: "acct_by_name", source: q.Collection("acct"), terms: [{ field: ["data", "name"] }], unique: true }),
  );
  await admin.query(
    q.CreateIndex({ name: "race_by_key", source: q.Collection("race"), terms: [{ field: ["data", "key"] }], unique: true }),
  );
});
after(() => target.close());

describe("atomic rollback", () => {
  test("Abort after writes: nothing written (creates, updates, deletes)", async () => {
    const a = await admin.query<Doc>(q.Create(q.Collection("acct"), { data: { name: "a", bal: 10 } }));
    const nLog = await count("log");
    await expectError(
      admin.query(
        q.Do(
          q.Create(q.Collection("log"), { data: { m: 1 } }),
          q.Update(a.ref, { data: { bal: 0 } }),
          q.Delete(a.ref),
          q.Abort("rollback please"),
        ),
      ),
      { status: 400, code: "transaction aborted", description: "rollback please", position: ["do", 3] },
    );
    assert.equal(await count("log"), nLog);
    const still = await admin.query<Doc>(q.Get(a.ref));
    assert.equal(still.data?.bal, 10);
    assert.equal(still.ts, a.ts);
  });

  test("top-level Abort → position []", async () => {
    await expectError(admin.query(q.Abort("just no")), {
      status: 400,
      code: "transaction aborted",
      description: "just no",
      position: [],
    });
  });

  test("unique violation late in a query rolls back the earlier writes", async () => {
    await admin.query(q.Create(q.Collection("acct"), { data: { name: "taken" } }));
    const nLog = await count("log");
    await expectError(
      admin.query(
        q.Do(
          q.Create(q.Collection("log"), { data: { m: 2 } }),
          q.Create(q.Collection("acct"), { data: { name: "taken" } }),
        ),
      ),
      { status: 400, code: "instance not unique", description: "document is not unique.", position: ["do", 1, "create"] },
    );
    assert.equal(await count("log"), nLog);
  });

  test("a permission error rolls back the token's earlier permitted writes", async () => {
    await admin.query(q.CreateCollection({ name: "users" }));
    await admin.query(
      q.CreateRole({
        name: "logger",
        membership: { resource: q.Collection("users") },
        privileges: { resource: q.Collection("log"), actions: { create: true, read: true } },
      }),
    );
    const u = await admin.query<Doc>(q.Create(q.Collection("users"), {}));
    const t = await admin.query<{ secret: string }>(q.Create(q.Tokens(), { instance: u.ref }));
    const c = target.client(t.secret);
    await c.query(q.Create(q.Collection("log"), { data: { ok: true } }));
    const nLog = await count("log");
    await expectError(
      c.query(q.Do(q.Create(q.Collection("log"), { data: { m: 3 } }), q.Create(q.Collection("acct"), { data: { name: "x" } }))),
      { status: 403, code: "permission denied", position: ["do", 1, "create"] },
    );
    assert.equal(await count("log"), nLog);
  });

  test("a 404 in the middle of a query rolls back", async () => {
    const nLog = await count("log");
    await expectError(
      admin.query(q.Do(q.Create(q.Collection("log"), {}), q.Get(q.Ref(q.Collection("log"), "987654321")))),
      { status: 404, code: "instance not found", description: "Document not found.", position: ["do", 1] },
    );
    assert.equal(await count("log"), nLog);
  });

  test("a type error inside Foreach rolls back the iterations that already ran", async () => {
    const nLog = await count("log");
    await expectError(
      admin.query(
        q.Foreach([1, 2, "three"], q.Lambda("i", q.Do(q.Create(q.Collection("log"), { data: { i: q.Var("i") } }), q.Add(q.Var("i"), 1)))),
      ),
      {
        status: 400,
        code: "invalid argument",
        description: "Number expected, String provided.",
        position: ["foreach", "expr", "do", 1, "add", 0],
      },
    );
    assert.equal(await count("log"), nLog);
  });
});

describe("snapshot time", () => {
  test("Now() is one value per query", async () => {
    const [a, b, c] = await admin.query<unknown[]>([q.Now(), q.Now(), q.Time("now")]);
    assert.equal(timeText(a), timeText(b));
    assert.equal(timeText(a), timeText(c));
    assert.equal(await admin.query(q.Equals(q.Now(), q.Now(), q.Time("now"))), true);
  });

  test("Now() of a write query is not later than the commit ts", async () => {
    const res = await admin.query<{ now: number; ts: number }>(
      q.Let({ d: q.Create(q.Collection("log"), {}) }, { now: q.ToMicros(q.Now()), ts: q.Select("ts", q.Var("d")) }),
    );
    assert.ok(res.now <= res.ts, `${res.now} <= ${res.ts}`);
  });

  test("successive write transactions get strictly increasing ts", async () => {
    const tss: number[] = [];
    for (let i = 0; i < 5; i++) tss.push((await admin.query<Doc>(q.Create(q.Collection("log"), {}))).ts);
    for (let i = 1; i < tss.length; i++) assert.ok(tss[i]! > tss[i - 1]!);
  });
});

describe("concurrency", () => {
  test("20 parallel Creates of the same unique term: exactly one wins, the rest instance not unique", async () => {
    const clients = Array.from({ length: 5 }, () => target.client());
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        clients[i % clients.length]!.query(q.Create(q.Collection("race"), { data: { key: "same", i } })),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    assert.equal(ok.length, 1, `winners: ${ok.length}`);
    for (const f of failed) {
      assert.ok(f.reason instanceof errors.BadRequest, String(f.reason));
      assert.equal(f.reason.message, "instance not unique");
    }
    assert.equal(await admin.query(q.Count(q.Match(q.Index("race_by_key"), "same"))), 1);
  });

  test("parallel Creates with the same explicit id: one wins, the rest Document already exists.", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => target.client().query(q.Create(q.Ref(q.Collection("log"), "31337"), { data: { i } }))),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") {
        assert.ok(r.reason instanceof errors.BadRequest, String(r.reason));
        assert.equal(r.reason.message, "instance already exists");
        assert.equal(r.reason.description, "Document already exists.");
      }
    }
  });

  test("parallel increments through separate queries all commit (no lost writes of distinct docs)", async () => {
    const before = await count("race");
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => target.client().query(q.Create(q.Collection("race"), { data: { key: `k${i}` } }))),
    );
    assert.equal(await count("race"), before + 25);
  });

  test("parallel Updates of one document: final state is one of the writes, ts strictly increases", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("log"), { data: { v: -1 } }));
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => target.client().query<Doc>(q.Update(d.ref, { data: { v: i } }))),
    );
    const tss = new Set(results.map((r) => r.ts));
    assert.equal(tss.size, 10, "each update committed at its own ts");
    const final = await admin.query<Doc>(q.Get(d.ref));
    const latest = results.reduce((a, b) => (a.ts > b.ts ? a : b));
    assert.equal(final.data?.v, latest.data?.v);
  });
});
