/**
 * Issue 10, streaming: `POST /stream` through the driver's `client.stream(...)` and
 * `client.stream.document(...)` (HTTP/2) and raw HTTP/1.1 chunked; document and set
 * streams, their events and `fields`, permissions, and streams ending when their
 * secret stops authenticating.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import { q, raw, sleep, type Client, type Doc, type Ref } from "./support.ts";
import { rawStream, watch, type Received } from "./stream-support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;
const subs: { close(): void }[] = [];
const open = (...args: Parameters<typeof watch>) => {
  const w = watch(...args);
  subs.push(w.sub);
  return w;
};

const LOST = { code: "permission denied", description: "Authorization lost during stream evaluation." };

interface VersionEvent {
  action: string;
  document: { ref: Ref; ts: number; data?: Record<string, unknown> };
  diff?: { ref: Ref; ts: number; data?: Record<string, unknown> };
  prev?: { ref: Ref; ts: number; data?: Record<string, unknown> };
}

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateCollection({ name: "items" }));
  await admin.query(q.CreateCollection({ name: "people" }));
  await admin.query(q.CreateIndex({ name: "items_by_list", source: q.Collection("items"), terms: [{ field: ["data", "list"] }], values: [{ field: ["data", "name"] }] }));
  await admin.query(
    q.CreateRole({
      name: "reader",
      membership: [{ resource: q.Collection("people") }],
      privileges: [
        { resource: q.Collection("items"), actions: { read: q.Query(q.Lambda("ref", q.Equals(q.Select(["data", "owner"], q.Get(q.Var("ref")), null), q.CurrentIdentity()))) } },
        { resource: q.Index("items_by_list"), actions: { read: true } },
      ],
    }),
  );
});
after(async () => {
  for (const s of subs) s.close();
  await target.close();
});

async function person(ttl?: unknown): Promise<{ ref: Ref; secret: string; token: Ref }> {
  const ref = (await server.query<Doc>(q.Create(q.Collection("people"), {}))).ref;
  const tok = await server.query<{ secret: string; ref: Ref }>(q.Create(q.Tokens(), ttl ? { instance: ref, ttl } : { instance: ref }));
  return { ref, secret: tok.secret, token: tok.ref };
}

describe("document streams", () => {
  test("start, then a version event per change: update, delete (default fields: action, document)", async () => {
    const doc = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "a" } }));
    const { queue } = open(admin, doc.ref);
    const start = await queue.next("start");
    assert.equal(start.type, "start");
    assert.equal(typeof start.data, "number");
    assert.equal(start.raw!.txn, start.data);
    const updated = await admin.query<Doc>(q.Update(doc.ref, { data: { name: "b" } }));
    const v1 = await queue.next("update");
    assert.equal(v1.type, "version");
    assert.equal(v1.raw!.txn, updated.ts);
    const e1 = v1.data as VersionEvent;
    assert.deepEqual(Object.keys(e1), ["action", "document"]);
    assert.equal(e1.action, "update");
    assert.deepEqual({ ...e1.document, ref: e1.document.ref.id }, { ref: doc.ref.id, ts: updated.ts, data: { name: "b" } });
    await admin.query(q.Delete(doc.ref));
    const v2 = (await queue.next("delete")).data as VersionEvent;
    assert.equal(v2.action, "delete");
    assert.deepEqual(v2.document.data, { name: "b" }, "a deletion shows the data it removed");
  });

  test("fields=action,document,diff,prev: what changed and what was there", async () => {
    const doc = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "a", n: 1, keep: true } }));
    const { queue } = open(admin, doc.ref, { fields: ["action", "document", "diff", "prev"] });
    await queue.next("start");
    await admin.query(q.Update(doc.ref, { data: { n: 2, keep: null } }));
    const e = (await queue.next("update")).data as VersionEvent;
    assert.deepEqual(Object.keys(e), ["action", "document", "diff", "prev"]);
    assert.deepEqual(e.document.data, { name: "a", n: 2 });
    assert.deepEqual(e.diff!.data, { n: 2, keep: null });
    assert.deepEqual(e.prev!.data, { name: "a", n: 1, keep: true });
  });

  test("several writes to the document in one query are one event", async () => {
    const doc = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "1" } }));
    const { queue } = open(admin, doc.ref, { fields: ["action", "document", "prev"] });
    await queue.next("start");
    await admin.query(q.Do(q.Update(doc.ref, { data: { name: "2" } }), q.Update(doc.ref, { data: { name: "3" } })));
    const e = (await queue.next("the update")).data as VersionEvent;
    assert.deepEqual([e.prev!.data, e.document.data], [{ name: "1" }, { name: "3" }]);
    await admin.query(q.Update(doc.ref, { data: { name: "4" } }));
    assert.deepEqual(((await queue.next("the next update")).data as VersionEvent).document.data, { name: "4" });
  });

  test("a stream on a document read with Get, and a ref created later: create events", async () => {
    const ref = q.Ref(q.Collection("items"), "777");
    const { queue } = open(admin, ref);
    await queue.next("start");
    await admin.query(q.Create(ref, { data: { name: "late" } }));
    assert.equal(((await queue.next("create")).data as VersionEvent).action, "create");
    const viaGet = open(admin, q.Get(ref)).queue;
    await viaGet.next("start");
    await admin.query(q.Update(ref, { data: { name: "later" } }));
    assert.equal(((await viaGet.next("update")).data as VersionEvent).action, "update");
  });

  test("client.stream.document: start, snapshot, then versions", async () => {
    const doc = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "s" } }));
    const { queue } = open(admin, doc.ref, { document: true });
    assert.equal((await queue.next("start")).type, "start");
    const snap = await queue.next("snapshot");
    assert.equal(snap.type, "snapshot");
    assert.deepEqual((snap.data as Doc).data, { name: "s" });
    await admin.query(q.Update(doc.ref, { data: { name: "t" } }));
    assert.equal(((await queue.next("version")).data as VersionEvent).document.data!.name, "t");
  });

  test("history_rewrite: Insert and Remove in the past", async () => {
    const doc = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "h" } }));
    await sleep(3);
    await admin.query(q.Update(doc.ref, { data: { name: "h2" } }));
    const { queue } = open(admin, doc.ref);
    await queue.next("start");
    await admin.query(q.Insert(doc.ref, doc.ts + 1, "update", { data: { name: "inserted" } }));
    const ins = await queue.next("history_rewrite");
    assert.equal(ins.type, "history_rewrite");
    assert.equal((ins.data as VersionEvent).document.ts, doc.ts + 1);
    assert.deepEqual((ins.data as VersionEvent).document.data, { name: "inserted" });
    await admin.query(q.Remove(doc.ref, doc.ts + 1, "update"));
    const rem = await queue.next("history_rewrite (remove)");
    assert.equal(rem.type, "history_rewrite");
    assert.equal((rem.data as VersionEvent).action, "update");
    assert.equal((rem.data as VersionEvent).document.ts, doc.ts + 1);
  });
});

describe("set streams", () => {
  test("Match: add and remove as members arrive and leave; `index` on request", async () => {
    const { queue } = open(admin, q.Match(q.Index("items_by_list"), "todo"), { fields: ["action", "document", "index"] });
    await queue.next("start");
    const made = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { list: "todo", name: "x" } }));
    const add = await queue.next("add");
    assert.equal(add.type, "set");
    const ev = add.data as { action: string; document: { ref: Ref; ts: number }; index: { ref: Ref; terms: unknown[]; values: unknown[] } };
    assert.equal(ev.action, "add");
    assert.deepEqual({ ref: ev.document.ref.id, ts: ev.document.ts }, { ref: made.ref.id, ts: made.ts });
    assert.equal(ev.index.ref.id, "items_by_list");
    assert.deepEqual(ev.index.terms, ["todo"]);
    assert.deepEqual(ev.index.values, ["x"]);
    await admin.query(q.Update(made.ref, { data: { list: "done" } }));
    assert.equal(((await queue.next("remove")).data as { action: string }).action, "remove");
    await admin.query(q.Create(q.Collection("items"), { data: { list: "other", name: "y" } }));
    await admin.query(q.Create(q.Collection("items"), { data: { list: "todo", name: "z" } }));
    const next = (await queue.next("the todo add")).data as { document: { ref: Ref } };
    assert.ok(next.document.ref instanceof faunadb.values.Ref);
    assert.equal(queue.pending.length, 0, "the other list's member is not in this set");
  });

  test("Documents(c): the index of an event is the collection, with no terms or values", async () => {
    const { queue } = open(admin, q.Documents(q.Collection("items")), { fields: ["action", "index"] });
    await queue.next("start");
    await admin.query(q.Create(q.Collection("items"), { data: { name: "i" } }));
    const e = (await queue.next("add")).data as { action: string; index: { ref: Ref; terms: unknown[]; values: unknown[] } };
    assert.deepEqual(Object.keys(e), ["action", "index"]);
    assert.equal(e.index.ref.id, "items");
    assert.equal(e.index.ref.collection?.id, "collections");
    assert.deepEqual([e.index.terms, e.index.values], [[], []]);
  });

  test("Documents(c): add on create, remove on delete; not on update", async () => {
    const { queue } = open(admin, q.Documents(q.Collection("items")));
    await queue.next("start");
    const d = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "d" } }));
    assert.equal(((await queue.next("add")).data as { action: string }).action, "add");
    await admin.query(q.Update(d.ref, { data: { name: "e" } }));
    await admin.query(q.Delete(d.ref));
    const rm = (await queue.next("remove")).data as { action: string; document: { ref: Ref } };
    assert.equal(rm.action, "remove");
    assert.equal(rm.document.ref.id, d.ref.id);
  });
});

describe("requests a stream refuses", () => {
  test("a body that is neither a document ref nor a set is 400 (driver: an error event)", async () => {
    const { queue } = open(admin, 5 as never);
    const e = await queue.next("the error");
    assert.equal(e.type, "error");
    const err = e.data as faunadb.errors.FaunaHTTPError;
    assert.equal(err.requestResult.statusCode, 400);
    assert.deepEqual((err.errors() as unknown[])[0], { position: [], code: "invalid argument", description: "Expected a Document Ref or Version, or a Set Ref, got Integer." });
    for (const [expr, type] of [
      [q.Tokens(), "Collection Ref"],
      [q.Union(q.Documents(q.Collection("items")), q.Documents(q.Collection("people"))), "Set"],
    ] as const) {
      const res = await raw(target.endpoint, { method: "POST", path: "/stream", secret: target.adminSecret, body: expr });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.errors[0].description, `Expected a Document Ref or Version, or a Set Ref, got ${type}.`);
    }
  });

  test("an expression that writes is invalid expression, and writes nothing", async () => {
    const before = await admin.query<number>(q.Count(q.Documents(q.Collection("items"))));
    const res = await raw(target.endpoint, { method: "POST", path: "/stream", secret: target.adminSecret, body: q.Select("ref", q.Create(q.Collection("items"), { data: { name: "nope" } })) });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.json.errors[0].code, "invalid expression");
    assert.equal(res.json.errors[0].description, "Call performs a write, which is not allowed in stream requests.");
    assert.equal(await admin.query(q.Count(q.Documents(q.Collection("items")))), before);
  });

  test("unknown fields are invalid url parameter; GET is 405; a bad secret is 401", async () => {
    const bad = await raw(target.endpoint, { method: "POST", path: "/stream?fields=action,nope", secret: target.adminSecret, body: q.Collection("items") });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { errors: [{ position: [], code: "invalid url parameter", description: "Invalid url parameter fields. Invalid field name 'nope'." }] });
    const get = await raw(target.endpoint, { method: "GET", path: "/stream", secret: target.adminSecret });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get("allow"), "POST");
    const unauth = await raw(target.endpoint, { method: "POST", path: "/stream", secret: "nope", body: q.Collection("items") });
    assert.equal(unauth.status, 401);
  });
});

describe("permissions", () => {
  test("a secret that may not read the document gets 403", async () => {
    const p = await person();
    const other = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "theirs" } }));
    const res = await raw(target.endpoint, { method: "POST", path: "/stream", secret: p.secret, body: other.ref });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.errors[0].code, "permission denied");
  });

  test("a set stream shows only the members the caller may read", async () => {
    const p = await person();
    const c = target.client(p.secret);
    const { queue } = open(c, q.Match(q.Index("items_by_list"), "shared"));
    await queue.next("start");
    await admin.query(q.Create(q.Collection("items"), { data: { list: "shared", name: "not mine", owner: null } }));
    const mine = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { list: "shared", name: "mine", owner: p.ref } }));
    const e = (await queue.next("my item")).data as { document: { ref: Ref } };
    assert.equal(e.document.ref.id, mine.ref.id);
  });
});

describe("a stream ends when its secret no longer authenticates", () => {
  test("the secret's token is deleted: an error event, then the end", async () => {
    const p = await person();
    const mine = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "watched", owner: p.ref } }));
    const { queue } = open(target.client(p.secret), mine.ref);
    await queue.next("start");
    await admin.query(q.Delete(p.token));
    // FaunaDB notices at the next event of the stream; the emulator as soon as the token goes.
    await admin.query(q.Update(mine.ref, { data: { name: "changed" } }));
    const e = await queue.next("the error event");
    assert.equal(e.type, "error");
    assert.deepEqual(e.data, LOST);
    const end = await queue.next("the end of the stream");
    assert.equal(end.type, "error", "the driver reports the closed stream as an error too");
  });

  test("the token's ttl passes by the emulator's clock: error at once, without any write", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    const p = await person(q.TimeAdd(q.Now(), 1, "hour"));
    const mine = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "ttl", owner: p.ref } }));
    const { queue } = open(target.client(p.secret), mine.ref);
    await queue.next("start");
    emu.clock.advance(2 * 3_600_000);
    const e = await queue.next("the error event");
    assert.equal(e.type, "error");
    assert.deepEqual(e.data, LOST);
    assert.ok(typeof e.raw!.txn === "number");
  });

  test("the token's ttl passes in real time: the stream ends by itself", async (t) => {
    if (!emulatorOnly(t, target, "timers on the secret's ttl")) return;
    const p = await person(q.TimeAdd(q.Now(), 300, "milliseconds"));
    const mine = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "short", owner: p.ref } }));
    const { queue } = open(target.client(p.secret), mine.ref);
    await queue.next("start");
    const e = await queue.next("the error event");
    assert.deepEqual(e.data, LOST);
  });

  test("the identity document is deleted: the stream ends", async (t) => {
    if (!emulatorOnly(t, target, "immediate revalidation")) return;
    const p = await person();
    const { queue } = open(target.client(p.secret), q.Match(q.Index("items_by_list"), "idle"));
    await queue.next("start");
    await admin.query(q.Delete(p.ref));
    assert.deepEqual((await queue.next("the error event")).data, LOST);
  });
});

describe("over HTTP/1.1, long-lived, many at once", () => {
  test("HTTP/1.1 chunked: CRLF-separated JSON lines, start first", async () => {
    const doc = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "h1" } }));
    const s = await rawStream(target.endpoint, target.adminSecret, JSON.stringify(doc.ref));
    try {
      assert.equal(s.status, 200);
      assert.equal(s.headers.get("transfer-encoding"), "chunked");
      const start = (await s.lines()) as { type: string; txn: number; event: number };
      assert.equal(start.type, "start");
      assert.equal(start.event, start.txn);
      const updated = await admin.query<Doc>(q.Update(doc.ref, { data: { name: "h1b" } }));
      const v = (await s.lines()) as { type: string; txn: number; event: { action: string; document: { ts: number } } };
      assert.equal(v.type, "version");
      assert.equal(v.txn, updated.ts);
      assert.equal(v.event.action, "update");
      assert.equal(v.event.document.ts, updated.ts);
    } finally {
      s.close();
    }
  });

  test("a stream outlives the driver's HTTP/2 session idle time", async () => {
    const client = new faunadb.Client({ secret: target.adminSecret, endpoint: target.endpoint, checkNewVersion: false, http2SessionIdleTime: 20 });
    try {
      const doc = await admin.query<Doc>(q.Create(q.Collection("items"), { data: { name: "long" } }));
      const w = watch(client, doc.ref);
      subs.push(w.sub);
      await w.queue.next("start");
      await sleep(400);
      await admin.query(q.Update(doc.ref, { data: { name: "still here" } }));
      const e = await w.queue.next("an event after the idle time");
      assert.equal(e.type, "version");
      w.sub.close();
    } finally {
      await client.close();
    }
  });

  test("200 streams at once on one client each get their own events", async () => {
    const N = 200;
    const refs = await admin.query<Ref[]>(q.Map(Array.from({ length: N }, (_, i) => i), q.Lambda("i", q.Select("ref", q.Create(q.Collection("items"), { data: { i: q.Var("i") } })))));
    const watchers = refs.map((r) => open(admin, r));
    await Promise.all(watchers.map((w) => w.queue.next("start")));
    await admin.query(q.Foreach(refs, q.Lambda("r", q.Update(q.Var("r"), { data: { seen: true } }))));
    const events: Received[] = await Promise.all(watchers.map((w) => w.queue.next("its update")));
    for (let i = 0; i < N; i++) {
      const e = events[i]!.data as VersionEvent;
      assert.equal(e.document.ref.id, refs[i]!.id);
      assert.equal(e.document.data!.seen, true);
    }
    for (const w of watchers) w.sub.close();
  });
});
