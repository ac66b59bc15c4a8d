/**
 * Issue 10, history: versions kept per `history_days`, reads in the past (`At`,
 * `Get(ref, ts)`, `Paginate(set, {ts})`), events of documents and sets, `Singleton`,
 * `Insert` and `Remove`.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import { q, expectError, invalidArg, rawQuery, assertBody, docJ, ids, sleep, type Client, type Doc, type Page, type Ref } from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;
const send = (e: Parameters<typeof rawQuery>[2]) => rawQuery(target.endpoint, target.adminSecret, e);

interface Event {
  ts: number;
  action: string;
  document: Ref;
  data?: unknown;
}

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateCollection({ name: "notes" }));
  await admin.query(q.CreateIndex({ name: "notes_by_status", source: q.Collection("notes"), terms: [{ field: ["data", "status"] }] }));
  await admin.query(
    q.CreateIndex({ name: "notes_titles", source: q.Collection("notes"), terms: [{ field: ["data", "status"] }], values: [{ field: ["data", "title"] }] }),
  );
});
after(() => target.close());

describe("a document's versions", () => {
  let ref: Ref;
  let t1: number;
  let t2: number;
  let t3: number;
  before(async () => {
    const created = await admin.query<Doc>(q.Create(q.Ref(q.Collection("notes"), "1"), { data: { v: 1 } }));
    ref = created.ref;
    t1 = created.ts;
    t2 = (await admin.query<Doc>(q.Update(ref, { data: { v: 2 } }))).ts;
    await admin.query(q.Delete(ref));
    const events = await admin.query<Page<Event>>(q.Paginate(q.Events(ref)));
    t3 = events.data[2]!.ts;
  });

  test("Events(ref): create, update, delete, each with that version's data (null for the deletion)", async () => {
    assertBody(await send(q.Paginate(q.Events(ref))), 200, {
      resource: {
        data: [
          { ts: t1, action: "create", document: docJ("notes", "1"), data: { v: 1 } },
          { ts: t2, action: "update", document: docJ("notes", "1"), data: { v: 2 } },
          { ts: t3, action: "delete", document: docJ("notes", "1"), data: null },
        ],
      },
    });
    assert.ok(t1 < t2 && t2 < t3);
  });

  test("Paginate(ref, {events: true}) is the same page", async () => {
    const a = await send(q.Paginate(q.Events(ref)));
    const b = await send(q.Paginate(ref, { events: true }));
    assert.equal(b.text, a.text);
  });

  test("event pages: cursors are {ts, action, document}, both ways", async () => {
    assertBody(await send(q.Paginate(q.Events(ref), { size: 1 })), 200, {
      resource: {
        after: { ts: t2, action: "update", document: docJ("notes", "1") },
        data: [{ ts: t1, action: "create", document: docJ("notes", "1"), data: { v: 1 } }],
      },
    });
    const p1 = await admin.query<Page<Event>>(q.Paginate(q.Events(ref), { size: 1 }));
    const p2 = await admin.query<Page<Event>>(q.Paginate(q.Events(ref), { size: 1, after: p1.after }));
    assert.deepEqual(p2.data.map((e) => e.action), ["update"]);
    const back = await admin.query<Page<Event>>(q.Paginate(q.Events(ref), { size: 1, before: p2.after }));
    assert.deepEqual(back.data.map((e) => e.action), ["update"]);
    const byTs = await admin.query<Page<Event>>(q.Paginate(q.Events(ref), { after: t2 }));
    assert.deepEqual(byTs.data.map((e) => e.action), ["update", "delete"]);
  });

  test("Get(ref, ts) and At(ts, Get(ref)) read the version in force then", async () => {
    assert.deepEqual((await admin.query<Doc>(q.Get(ref, t1))).data, { v: 1 });
    assert.equal((await admin.query<Doc>(q.Get(ref, t1))).ts, t1);
    assert.deepEqual((await admin.query<Doc>(q.Get(ref, q.Epoch(t2, "microsecond")))).data, { v: 2 });
    assert.deepEqual((await admin.query<Doc>(q.At(t1, q.Get(ref)))).data, { v: 1 });
    assert.deepEqual((await admin.query<Doc>(q.At(t3 - 1, q.Get(ref)))).data, { v: 2 });
    for (const at of [t3, t1 - 1]) {
      await expectError(admin.query(q.Get(ref, at)), { status: 404, code: "instance not found", description: "Document not found." });
    }
    assert.equal(await admin.query(q.Exists(ref, t2)), true);
    assert.equal(await admin.query(q.Exists(ref, t3)), false);
    assert.equal(await admin.query(q.Exists(ref)), false);
  });

  test("writes inside At in the past are invalid write time", async () => {
    await expectError(admin.query(q.At(t1, q.Create(q.Collection("notes"), {}))), {
      status: 400,
      code: "invalid write time",
      description: "Cannot write outside of snapshot time.",
      position: ["expr", "create"],
    });
  });

  test("At a time not in the past reads the current state (and may write)", async () => {
    const made = await admin.query<Doc>(q.At(q.Now(), q.Create(q.Collection("notes"), { data: { at: "now" } })));
    assert.deepEqual(made.data, { at: "now" });
    assert.equal(await admin.query(q.At(q.TimeAdd(q.Now(), 1, "day"), q.Exists(ref))), false);
  });

  test("Time expected for At's time", async () => {
    await expectError(admin.query(q.At("yesterday", 1)), invalidArg("Time expected, String provided.", ["at"]));
  });
});

describe("a set in the past and its events", () => {
  let a: Ref;
  let b: Ref;
  let t1: number;
  let t2: number;
  let t3: number;
  let t4: number;
  const open = () => q.Match(q.Index("notes_by_status"), "open");
  before(async () => {
    const da = await admin.query<Doc>(q.Create(q.Ref(q.Collection("notes"), "10"), { data: { status: "open", title: "A" } }));
    a = da.ref;
    t1 = da.ts;
    const db = await admin.query<Doc>(q.Create(q.Ref(q.Collection("notes"), "11"), { data: { status: "open", title: "B" } }));
    b = db.ref;
    t2 = db.ts;
    t3 = (await admin.query<Doc>(q.Update(a, { data: { status: "closed" } }))).ts;
    await admin.query(q.Delete(b));
    const ev = await admin.query<Page<Event>>(q.Paginate(open(), { events: true }));
    t4 = ev.data[ev.data.length - 1]!.ts;
  });

  test("Paginate(set, {ts}) is the membership at ts", async () => {
    assert.deepEqual(ids((await admin.query<Page>(q.Paginate(open(), { ts: t1 }))).data), ["10"]);
    assert.deepEqual(ids((await admin.query<Page>(q.Paginate(open(), { ts: t2 }))).data), ["10", "11"]);
    assert.deepEqual(ids((await admin.query<Page>(q.Paginate(open(), { ts: t3 }))).data), ["11"]);
    assert.deepEqual((await admin.query<Page>(q.Paginate(open()))).data, []);
    assert.equal(await admin.query(q.At(t2, q.Count(open()))), 2);
    assert.deepEqual(ids((await admin.query<Page>(q.At(t2, q.Paginate(open())))).data), ["10", "11"]);
  });

  test("Documents(c) in the past includes documents deleted since", async () => {
    const then = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("notes")), { ts: t2 }));
    assert.ok(ids(then.data).includes("11"));
    const now = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("notes"))));
    assert.ok(!ids(now.data).includes("11"));
  });

  test("set events: add and remove, ordered by ts (exact JSON)", async () => {
    assertBody(await send(q.Paginate(open(), { events: true })), 200, {
      resource: {
        data: [
          { ts: t1, action: "add", document: docJ("notes", "10") },
          { ts: t2, action: "add", document: docJ("notes", "11") },
          { ts: t3, action: "remove", document: docJ("notes", "10") },
          { ts: t4, action: "remove", document: docJ("notes", "11") },
        ],
      },
    });
  });

  test("set events of an index with values carry the covered values as data", async () => {
    const ev = await admin.query<Page<Event>>(q.Paginate(q.Events(q.Match(q.Index("notes_titles"), "open"))));
    assert.deepEqual(
      ev.data.map((e) => [e.action, e.data]),
      [
        ["add", ["A"]],
        ["add", ["B"]],
        ["remove", ["A"]],
        ["remove", ["B"]],
      ],
    );
  });

  test("a set event's cursor is the whole event; paging continues from it", async () => {
    const p1 = await admin.query<Page<Event>>(q.Paginate(open(), { events: true, size: 2 }));
    assert.deepEqual(p1.after as unknown, { ts: t3, action: "remove", document: a });
    const p2 = await admin.query<Page<Event>>(q.Paginate(open(), { events: true, size: 2, after: p1.after }));
    assert.deepEqual(
      p2.data.map((e) => [e.action, e.document.id]),
      [
        ["remove", "10"],
        ["remove", "11"],
      ],
    );
  });

  test("events up to a ts: Paginate(set, {events: true, ts})", async () => {
    const ev = await admin.query<Page<Event>>(q.Paginate(open(), { events: true, ts: t2 }));
    assert.deepEqual(ev.data.map((e) => e.ts), [t1, t2]);
  });

  test("Events(Documents(c)) adds and removes documents", async () => {
    const ev = await admin.query<Page<Event>>(q.Paginate(q.Events(q.Documents(q.Collection("notes")))));
    const forB = ev.data.filter((e) => e.document.id === "11").map((e) => e.action);
    assert.deepEqual(forB, ["add", "remove"]);
  });

  test("a set that keeps no history of its own: Set does not support events history.", async () => {
    await expectError(admin.query(q.Paginate(q.Range(q.Match(q.Index("notes_titles"), "open"), "A", "Z"), { events: true })), {
      status: 400,
      code: "invalid argument",
      description: "Set does not support events history.",
    });
  });

  test("@set rendering of Events and Singleton", async () => {
    assertBody(await send(q.Events(a)), 200, { resource: { "@set": { events: docJ("notes", "10") } } });
    assertBody(await send(q.Singleton(a)), 200, { resource: { "@set": { singleton: docJ("notes", "10") } } });
  });
});

describe("more history choices", () => {
  test("one change that moves an entry: its remove comes before its add (same ts)", async () => {
    await admin.query(q.CreateIndex({ name: "notes_by_kind", source: q.Collection("notes"), terms: [{ field: ["data", "kind"] }], values: [{ field: ["data", "title"] }] }));
    const d = await admin.query<Doc>(q.Create(q.Collection("notes"), { data: { kind: "k", title: "b" } }));
    const u = await admin.query<Doc>(q.Update(d.ref, { data: { title: "a" } }));
    const ev = await admin.query<Page<Event>>(q.Paginate(q.Events(q.Match(q.Index("notes_by_kind"), "k"))));
    assert.deepEqual(
      ev.data.map((e) => [e.ts, e.action, e.data]),
      [
        [d.ts, "add", ["b"]],
        [u.ts, "remove", ["b"]],
        [u.ts, "add", ["a"]],
      ],
    );
  });

  test("Events of a Union merges its sets' events", async () => {
    const ev = await admin.query<Page<Event>>(
      q.Paginate(q.Events(q.Union(q.Match(q.Index("notes_by_status"), "open"), q.Match(q.Index("notes_by_kind"), "k")))),
    );
    assert.ok(ev.data.length >= 4);
    assert.deepEqual(
      ev.data.map((e) => e.ts),
      [...ev.data.map((e) => e.ts)].sort((a, b) => a - b),
    );
  });

  test("Remove of a version that is not there answers null and changes nothing", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("notes"), { data: { x: 1 } }));
    assert.equal(await admin.query(q.Remove(d.ref, d.ts + 12345, "update")), null);
    assert.equal(await admin.query(q.Remove(d.ref, d.ts, "delete")), null);
    assert.equal((await admin.query<Page>(q.Paginate(q.Events(d.ref)))).data.length, 1);
  });

  test("an index created after documents changed answers reads in the past", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("notes"), { data: { color: "red" } }));
    const u = await admin.query<Doc>(q.Update(d.ref, { data: { color: "blue" } }));
    await admin.query(q.CreateIndex({ name: "notes_by_color", source: q.Collection("notes"), terms: [{ field: ["data", "color"] }] }));
    assert.deepEqual(ids((await admin.query<Page>(q.Paginate(q.Match(q.Index("notes_by_color"), "red"), { ts: d.ts }))).data), [d.ref.id]);
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Match(q.Index("notes_by_color"), "red"), { ts: u.ts }))).data, []);
  });

  test("a ttl in a read in the past is compared with the read time (the emulator's clock)", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    const d = await admin.query<Doc>(q.Create(q.Collection("notes"), { data: { brief: true }, ttl: q.TimeAdd(q.Now(), 1, "hour") }));
    emu.clock.advance(2 * 3_600_000);
    assert.equal(await admin.query(q.Exists(d.ref)), false);
    assert.deepEqual((await admin.query<Doc>(q.Get(d.ref, d.ts))).data, { brief: true });
  });
});

describe("one version per transaction", () => {
  test("writes to one document in one query make one version; a failed query leaves none", async () => {
    const ref = q.Ref(q.Collection("notes"), "500");
    await admin.query(q.Do(q.Create(ref, { data: { v: 1 } }), q.Update(ref, { data: { v: 2 } })));
    let ev = await admin.query<Page<Event>>(q.Paginate(q.Events(ref)));
    assert.deepEqual(ev.data.map((e) => [e.action, e.data]), [["create", { v: 2 }]]);
    await expectError(admin.query(q.Do(q.Update(ref, { data: { v: 3 } }), q.Abort("no"))), { status: 400, code: "transaction aborted" });
    ev = await admin.query<Page<Event>>(q.Paginate(q.Events(ref)));
    assert.equal(ev.data.length, 1);
    await admin.query(q.Do(q.Update(ref, { data: { v: 4 } }), q.Delete(ref)));
    ev = await admin.query<Page<Event>>(q.Paginate(q.Events(ref)));
    assert.deepEqual(ev.data.map((e) => e.action), ["create", "delete"]);
  });

  test("a document created and deleted in one query leaves no events", async () => {
    const ref = q.Ref(q.Collection("notes"), "501");
    await admin.query(q.Do(q.Create(ref, { data: { v: 1 } }), q.Delete(ref)));
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Events(ref)))).data, []);
  });
});

describe("Singleton", () => {
  test("is the ref while live; its events are add and remove only", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("notes"), { data: { n: 1 } }));
    await admin.query(q.Update(d.ref, { data: { n: 2 } }));
    assert.deepEqual(ids((await admin.query<Page>(q.Paginate(q.Singleton(d.ref)))).data), [d.ref.id]);
    await admin.query(q.Delete(d.ref));
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Singleton(d.ref)))).data, []);
    const ev = await admin.query<Page<Event>>(q.Paginate(q.Events(q.Singleton(d.ref))));
    assert.deepEqual(ev.data.map((e) => e.action), ["add", "remove"]);
    assert.equal(ev.data[0]!.ts, d.ts);
  });
});

describe("Insert and Remove", () => {
  let ref: Ref;
  let t1: number;
  let t2: number;
  before(async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("notes"), { data: { status: "draft", v: 1 } }));
    ref = d.ref;
    t1 = d.ts;
    // Leaves room for a version between the two (commit times are µs; two writes may be 1 µs apart).
    await sleep(3);
    t2 = (await admin.query<Doc>(q.Update(ref, { data: { v: 2 } }))).ts;
    assert.ok(t2 > t1 + 1);
  });

  test("Insert writes a version in the past and answers with its event", async () => {
    const at = t1 + 1;
    const ev = await admin.query<Event>(q.Insert(ref, at, "update", { data: { status: "draft", v: 1.5 } }));
    assert.deepEqual({ ...ev, document: ev.document.id }, { ts: at, action: "update", document: ref.id, data: { status: "draft", v: 1.5 } });
    const all = await admin.query<Page<Event>>(q.Paginate(q.Events(ref)));
    assert.deepEqual(all.data.map((e) => [e.ts, e.action]), [
      [t1, "create"],
      [at, "update"],
      [t2, "update"],
    ]);
    assert.deepEqual((await admin.query<Doc>(q.Get(ref, at))).data, { status: "draft", v: 1.5 });
    assert.deepEqual((await admin.query<Doc>(q.Get(ref))).data, { status: "draft", v: 2 });
  });

  test("Remove deletes that version and answers null; removing the latest makes the previous current", async () => {
    assert.equal(await admin.query(q.Remove(ref, t2, "update")), null);
    const all = await admin.query<Page<Event>>(q.Paginate(q.Events(ref)));
    assert.deepEqual(all.data.map((e) => e.ts), [t1, t1 + 1]);
    assert.deepEqual((await admin.query<Doc>(q.Get(ref))).data, { status: "draft", v: 1.5 });
    const drafts = await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("notes_by_status"), "draft")));
    assert.deepEqual(ids(drafts.data), [ref.id]);
  });

  test("Remove with `create` removes an update too: FaunaDB stores an update as a create (the driver suite's `remove`)", async () => {
    const doc = await admin.query<Doc>(q.Create(q.Collection("notes"), { data: { status: "w0" } }));
    const replaced = await admin.query<Doc>(q.Replace(doc.ref, { data: { status: "w1" } }));
    assert.equal(await admin.query(q.Remove(doc.ref, replaced.ts, "create")), null);
    const now = await admin.query<Doc>(q.Get(doc.ref));
    assert.deepEqual([now.ts, now.data], [doc.ts, { status: "w0" }]);
    // A delete is a delete: Remove(…, "create") leaves a deletion at that ts alone.
    const gone = (await admin.query<Doc>(q.Delete(doc.ref))).ref;
    const at = (await admin.query<Page<Event>>(q.Paginate(q.Events(gone)))).data.at(-1)!.ts;
    assert.equal(await admin.query(q.Remove(gone, at, "create")), null);
    assert.equal(await admin.query(q.Exists(gone)), false);
  });

  test("Insert of a delete after the current version deletes the document now", async () => {
    const now = await admin.query<number>(q.ToMicros(q.Now()));
    await admin.query(q.Insert(ref, now, "delete", {}));
    assert.equal(await admin.query(q.Exists(ref)), false);
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Match(q.Index("notes_by_status"), "draft")))).data, []);
  });

  test("a ts after the snapshot is invalid write time", async () => {
    await expectError(admin.query(q.Insert(ref, q.TimeAdd(q.Now(), 1, "day"), "update", { data: {} })), {
      status: 400,
      code: "invalid write time",
      description: "Cannot write outside of snapshot time.",
      position: [],
    });
  });

  test("only user (and, for Insert, key) documents; actions are create, update or delete", async () => {
    await expectError(admin.query(q.Insert(q.Collection("notes"), 1, "update", {})), invalidArg("Cannot insert event for specified ref.", []));
    await expectError(admin.query(q.Remove(q.Collection("notes"), 1, "update")), invalidArg("Cannot remove event for specified ref.", []));
    await expectError(admin.query(q.Insert(ref, 1, "bogus", {})), invalidArg("String 'create', 'update', or 'delete' expected, String provided.", ["action"]));
  });

  test("history_write is needed: a token whose role only reads is denied", async () => {
    await admin.query(q.CreateCollection({ name: "writers" }));
    const w = (await server.query<Doc>(q.Create(q.Collection("writers"), { credentials: { password: "pw" } }))).ref;
    await admin.query(
      q.CreateRole({ name: "notes_reader", membership: [{ resource: q.Collection("writers") }], privileges: [{ resource: q.Collection("notes"), actions: { read: true } }] }),
    );
    const tok = await server.query<{ secret: string }>(q.Login(w, { password: "pw" }));
    const c = target.client(tok.secret);
    const DENIED = { status: 403, code: "permission denied", description: "Insufficient privileges to perform the action." };
    await expectError(c.query(q.Insert(ref, t1 + 2, "update", { data: {} })), DENIED);
    await expectError(c.query(q.Paginate(q.Events(ref))), DENIED);
    // Singleton needs read, a ref set (and events) history read.
    assert.equal((await c.query<Page>(q.Paginate(q.Singleton(ref)))).data.length, 0);
    const live = await admin.query<Doc>(q.Create(q.Collection("notes"), { data: {} }));
    assert.deepEqual(ids((await c.query<Page>(q.Paginate(q.Singleton(live.ref)))).data), [live.ref.id]);
    await expectError(c.query(q.Paginate(live.ref)), DENIED);
  });
});

describe("history_days", () => {
  test("a collection keeps 30 days by default; null keeps all, and is not shown", async () => {
    const c30 = await admin.query<{ history_days?: number }>(q.Get(q.Collection("notes")));
    assert.equal(c30.history_days, 30);
    const forever = await admin.query<{ history_days?: number }>(q.CreateCollection({ name: "forever", history_days: null }));
    assert.equal(forever.history_days, undefined);
  });

  test("versions older than history_days are collected (the emulator's clock)", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    await admin.query(q.CreateCollection({ name: "short", history_days: 1 }));
    const d = await admin.query<Doc>(q.Create(q.Collection("short"), { data: { v: 1 } }));
    const t2 = (await admin.query<Doc>(q.Update(d.ref, { data: { v: 2 } }))).ts;
    assert.equal((await admin.query<Page>(q.Paginate(q.Events(d.ref)))).data.length, 2);
    emu.clock.advance(2 * 86_400_000);
    const ev = await admin.query<Page<Event>>(q.Paginate(q.Events(d.ref)));
    assert.deepEqual(ev.data.map((e) => [e.ts, e.action]), [[t2, "update"]]);
    await expectError(admin.query(q.Get(d.ref, d.ts)), { status: 404, code: "instance not found" });
    const notes = await admin.query<Page<Event>>(q.Paginate(q.Events(q.Ref(q.Collection("notes"), "1"))));
    assert.equal(notes.data.length, 3, "the 30-day collection still has its history");
  });

  test("history_days 0 keeps no history at all (the emulator collects at once)", async (t) => {
    if (!emulatorOnly(t, target, "immediate history collection")) return;
    await admin.query(q.CreateCollection({ name: "none", history_days: 0 }));
    const d = await admin.query<Doc>(q.Create(q.Collection("none"), { data: { v: 1 } }));
    await admin.query(q.Update(d.ref, { data: { v: 2 } }));
    const ev = await admin.query<Page<Event>>(q.Paginate(q.Events(d.ref)));
    assert.equal(ev.data.length, 1);
    await expectError(admin.query(q.Get(d.ref, d.ts)), { status: 404, code: "instance not found" });
  });

  test("history_days must be a non-negative Integer or null", async () => {
    await expectError(admin.query(q.CreateCollection({ name: "bad", history_days: -1 })), { status: 400, code: "validation failed" });
    await expectError(admin.query(q.CreateCollection({ name: "bad", history_days: "x" })), { status: 400, code: "validation failed" });
  });
});
