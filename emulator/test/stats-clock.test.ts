/** Emulator-only controls: clock, stats counters, fault injection (api.ts). */
import { describe, test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startEmulator, type EmulatorHandle } from "../index.ts";
import { q, expectError, errors, rawQuery, timeText, type Doc, clientPool } from "./support.ts";

let emu: EmulatorHandle;
let db: faunadb.Client;
const pool = clientPool(() => emu.url);
const client = pool.client;

before(async () => {
  emu = await startEmulator({ port: 0 });
  db = client(emu.secret);
  await db.query(q.CreateCollection({ name: "c" }));
  await db.query(q.CreateIndex({ name: "c_by_k", source: q.Collection("c"), terms: [{ field: ["data", "k"] }] }));
});
after(async () => {
  emu.faults.clear();
  emu.clock.resume();
  await pool.closeAll();
  await emu.close();
});

describe("options", () => {
  test("defaults: secret 'secret'; port 0 picks a free port reflected in url", () => {
    assert.equal(emu.secret, "secret");
    assert.ok(emu.port > 0);
    assert.equal(new URL(emu.url).port, String(emu.port));
    assert.equal(new URL(emu.url).protocol, "http:");
  });
});

describe("clock", () => {
  test("freeze(t): clock.now() and Now() report exactly t", async () => {
    const t = new Date("2031-03-04T05:06:07.250Z");
    emu.clock.freeze(t);
    try {
      assert.equal(emu.clock.now().toISOString(), t.toISOString());
      assert.equal(timeText(await db.query(q.Now())), "2031-03-04T05:06:07.250Z");
      assert.equal(await db.query(q.ToMillis(q.Now())), t.getTime());
    } finally {
      emu.clock.resume();
    }
  });

  test("set(t) jumps; time keeps flowing from there", async () => {
    emu.clock.set("2032-01-01T00:00:00Z");
    const n = await db.query<number>(q.ToMillis(q.Now()));
    const base = Date.parse("2032-01-01T00:00:00Z");
    assert.ok(n >= base && n < base + 60_000, `${n} near ${base}`);
  });

  test("advance(ms) moves Now() forward by that much", async () => {
    emu.clock.freeze();
    try {
      const a = await db.query<number>(q.ToMillis(q.Now()));
      emu.clock.advance(3_600_000);
      const b = await db.query<number>(q.ToMillis(q.Now()));
      assert.equal(b - a, 3_600_000);
    } finally {
      emu.clock.resume();
    }
  });

  test("writes under a frozen clock still get strictly increasing ts", async () => {
    emu.clock.freeze("2033-01-01T00:00:00Z");
    try {
      const a = await db.query<Doc>(q.Create(q.Collection("c"), {}));
      const b = await db.query<Doc>(q.Create(q.Collection("c"), {}));
      assert.ok(b.ts > a.ts, `${b.ts} > ${a.ts}`);
    } finally {
      emu.clock.resume();
    }
  });

  test("x-txn-time follows the clock (µs)", async () => {
    emu.clock.freeze("2034-01-01T00:00:00Z");
    try {
      const r = await rawQuery(emu.url, emu.secret, q.Add(1, 1));
      const t = BigInt(r.headers.get("x-txn-time") ?? "0");
      const base = BigInt(Date.parse("2034-01-01T00:00:00Z")) * 1000n;
      assert.ok(t >= base && t < base + 1_000_000n, `${t} near ${base}`);
    } finally {
      emu.clock.resume();
    }
  });
});

describe("stats", () => {
  beforeEach(() => emu.stats.reset());

  test("reset zeroes every counter; snapshot is a plain copy", () => {
    const s = emu.stats.snapshot();
    assert.deepEqual(s, { queries: 0, documentsRead: 0, documentsWritten: 0, indexEntriesScanned: 0 });
  });

  test("queries counts every POST / (failed ones too), not /ping", async () => {
    await db.query(q.Add(1, 1));
    await expectError(db.query(q.Abort("x")), { status: 400, code: "transaction aborted" });
    await db.ping();
    assert.equal(emu.stats.snapshot().queries, 2);
    assert.equal(emu.stats.queries, 2);
  });

  test("documentsWritten counts committed writes only", async () => {
    await db.query(q.Do(q.Create(q.Collection("c"), { data: { k: "w" } }), q.Create(q.Collection("c"), { data: { k: "w" } })));
    assert.equal(emu.stats.snapshot().documentsWritten, 2);
    await expectError(db.query(q.Do(q.Create(q.Collection("c"), {}), q.Abort("no"))), {
      status: 400,
      code: "transaction aborted",
    });
    assert.equal(emu.stats.snapshot().documentsWritten, 2);
  });

  test("documentsWritten counts updates and deletes too", async () => {
    const d = await db.query<Doc>(q.Create(q.Collection("c"), { data: { k: "u" } }));
    emu.stats.reset();
    await db.query(q.Update(d.ref, { data: { k: "u2" } }));
    await db.query(q.Replace(d.ref, { data: { k: "u3" } }));
    await db.query(q.Delete(d.ref));
    assert.equal(emu.stats.snapshot().documentsWritten, 3);
  });

  test("documentsRead counts Get; a pure query reads nothing", async () => {
    const d = await db.query<Doc>(q.Create(q.Collection("c"), { data: { k: "r" } }));
    emu.stats.reset();
    await db.query(q.Add(1, 1));
    assert.equal(emu.stats.snapshot().documentsRead, 0);
    await db.query(q.Get(d.ref));
    assert.equal(emu.stats.snapshot().documentsRead, 1);
    await db.query(q.Exists(d.ref));
    assert.equal(emu.stats.snapshot().documentsRead, 2);
  });

  test("indexEntriesScanned grows with a Match page, not with pure queries", async () => {
    await db.query(q.Foreach([1, 2, 3], q.Lambda("i", q.Create(q.Collection("c"), { data: { k: "scan" } }))));
    emu.stats.reset();
    await db.query(q.Add(1, 1));
    assert.equal(emu.stats.snapshot().indexEntriesScanned, 0);
    await db.query(q.Paginate(q.Match(q.Index("c_by_k"), "scan")));
    const s = emu.stats.snapshot().indexEntriesScanned;
    assert.ok(s >= 3 && s <= 4, `scanned ${s}`);
  });

  test("per-query metric headers: a read-only query has x-byte-write-ops 0, a write > 0", async () => {
    const r = await rawQuery(emu.url, emu.secret, q.Paginate(q.Documents(q.Collection("c"))));
    assert.equal(r.headers.get("x-byte-write-ops"), "0");
    assert.ok(Number(r.headers.get("x-byte-read-ops")) >= 1);
    const w = await rawQuery(emu.url, emu.secret, q.Create(q.Collection("c"), {}));
    assert.ok(Number(w.headers.get("x-byte-write-ops")) >= 1);
  });
});

describe("faults", () => {
  test("failQueries({count}) answers the next queries with 503 without running them, then recovers", async () => {
    const before = await db.query<number>(q.Count(q.Documents(q.Collection("c"))));
    emu.faults.failQueries({ count: 2 });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(db.query(q.Create(q.Collection("c"), {})), (e: unknown) => {
        assert.ok(e instanceof errors.UnavailableError, String(e));
        assert.equal((e as InstanceType<typeof errors.UnavailableError>).requestResult.statusCode, 503);
        return true;
      });
    }
    assert.equal(await db.query(q.Count(q.Documents(q.Collection("c")))), before);
  });

  test("failQueries({skip, count, status}) lets `skip` through first", async () => {
    emu.faults.failQueries({ skip: 1, count: 1, status: 429 });
    assert.equal(await db.query(q.Add(1, 1)), 2);
    await assert.rejects(db.query(q.Add(1, 1)), (e: unknown) => e instanceof errors.TooManyRequests);
    assert.equal(await db.query(q.Add(1, 1)), 2);
  });

  test("a failed response still has a JSON errors body", async () => {
    emu.faults.failQueries({ count: 1, status: 500 });
    const r = await rawQuery(emu.url, emu.secret, q.Add(1, 1));
    assert.equal(r.status, 500);
    assert.ok(Array.isArray(r.json?.errors) && r.json.errors.length >= 1, r.text);
    assert.equal(typeof r.json.errors[0].code, "string");
  });

  test("(emulator choice) a lost unique race: beforeRefusing commits the winner, the refused query writes nothing", async () => {
    const before = await db.query<number>(q.Count(q.Documents(q.Collection("c"))));
    emu.faults.failQueries({
      status: 400,
      code: "instance not unique",
      beforeRefusing: () => db.query(q.Create(q.Collection("c"), { data: { winner: true } })),
    });
    await assert.rejects(db.query(q.Create(q.Collection("c"), { data: { loser: true } })), (e: unknown) => {
      assert.ok(e instanceof errors.BadRequest, String(e));
      assert.equal((e as InstanceType<typeof errors.BadRequest>).message, "instance not unique");
      assert.equal((e as InstanceType<typeof errors.BadRequest>).description, "document is not unique.");
      return true;
    });
    assert.equal(await db.query(q.Count(q.Documents(q.Collection("c")))), before + 1);
  });

  test("(emulator choice) failQueries with 409 surfaces as UnknownError 'contended transaction'", async () => {
    emu.faults.failQueries({ count: 1, status: 409 });
    await assert.rejects(db.query(q.Add(1, 1)), (e: unknown) => {
      assert.ok(e instanceof errors.FaunaHTTPError);
      const err = e as InstanceType<typeof errors.FaunaHTTPError>;
      assert.equal(err.name, "UnknownError");
      assert.equal(err.requestResult.statusCode, 409);
      assert.equal(err.message, "contended transaction");
      assert.equal(err.description, "Transaction was aborted due to detection of concurrent modification.");
      return true;
    });
  });

  test("clear() cancels pending faults; /ping is never failed", async () => {
    emu.faults.failQueries({ count: 5 });
    assert.equal(await db.ping(), "Scope write is OK");
    emu.faults.clear();
    assert.equal(await db.query(q.Add(2, 2)), 4);
  });
});
