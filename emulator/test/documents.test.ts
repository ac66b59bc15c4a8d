/** §5.2–§5.4: collections, document CRUD, patch semantics, ids, ttl. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import {
  q,
  rawQuery,
  expectError,
  assertDocRef,
  ids,
  timeText,
  docJ,
  type Client,
  type Doc,
  type Page,
  type Ref,
} from "./support.ts";

let target: FaunaTarget;
let admin: Client;

const NOT_FOUND = { status: 404, code: "instance not found", description: "Document not found." };

before(async () => {
  target = await startTarget();
  admin = target.client();
  await admin.query(q.CreateCollection({ name: "docs" }));
  await admin.query(q.CreateCollection({ name: "ordered" }));
  await admin.query(q.CreateIndex({ name: "docs_by_k", source: q.Collection("docs"), terms: [{ field: ["data", "k"] }] }));
});
after(() => target.close());

describe("collections (§5.3)", () => {
  test("CreateCollection → 201 with ref, ts, history_days, name", async () => {
    const res = await rawQuery(target.endpoint, target.adminSecret, q.CreateCollection({ name: "fresh", data: { d: 1 } }));
    assert.equal(res.status, 201, res.text);
    const c = res.json.resource;
    assert.deepEqual(c.ref, { "@ref": { id: "fresh", collection: { "@ref": { id: "collections" } } } });
    assert.equal(c.name, "fresh");
    assert.ok(Number.isInteger(c.history_days));
    assert.deepEqual(c.data, { d: 1 });
    assert.deepEqual(Object.keys(c).slice(0, 2), ["ref", "ts"]);
  });

  test("Collection('x') is a pure constructor; Exists(Collection('nope')) is false", async () => {
    assert.equal(await admin.query(q.Exists(q.Collection("nope"))), false);
    assert.equal(await admin.query(q.Exists(q.Collection("docs"))), true);
  });

  test("deleting a collection deletes the indexes whose only source it was", async () => {
    await admin.query(q.CreateCollection({ name: "tmp" }));
    await admin.query(q.CreateIndex({ name: "tmp_idx", source: q.Collection("tmp") }));
    await admin.query(q.Delete(q.Collection("tmp")));
    assert.equal(await admin.query(q.Exists(q.Collection("tmp"))), false);
    assert.equal(await admin.query(q.Exists(q.Index("tmp_idx"))), false);
  });

  test("Paginate(Collections()) lists collections", async () => {
    const page = await admin.query<Page<Ref>>(q.Paginate(q.Collections()));
    assert.ok(ids(page.data).includes("docs"));
  });
});

describe("Create / Get / Exists", () => {
  test("Create returns the version; Get returns the same", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("docs"), { data: { a: 1, s: "x" } }));
    assertDocRef(d.ref, "docs");
    assert.deepEqual(d.data, { a: 1, s: "x" });
    const g = await admin.query<Doc>(q.Get(d.ref));
    assert.equal(g.ts, d.ts);
    assert.deepEqual(g.data, d.data);
    assert.equal(await admin.query(q.Exists(d.ref)), true);
  });

  test("other top-level params are silently dropped", async () => {
    const res = await rawQuery(
      target.endpoint,
      target.adminSecret,
      q.Create(q.Collection("docs"), { data: { a: 1 }, foo: "bar", ts: 5 }),
    );
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.json.resource), ["ref", "ts", "data"]);
    assert.notEqual(res.json.resource.ts, 5);
  });

  test("explicit id (string or integer); taken id → Document already exists. at [create]", async () => {
    const a = await admin.query<Doc>(q.Create(q.Ref(q.Collection("docs"), "123"), { data: {} }));
    assertDocRef(a.ref, "docs", "123");
    const b = await admin.query<Doc>(q.Create(q.Ref(q.Collection("docs"), 124 as never), { data: {} }));
    assertDocRef(b.ref, "docs", "124");
    await expectError(admin.query(q.Create(q.Ref(q.Collection("docs"), "123"), { data: {} })), {
      status: 400,
      code: "instance already exists",
      description: "Document already exists.",
      position: ["create"],
    });
  });

  test("data must be an object → validation failed with invalid type failure", async () => {
    await expectError(admin.query(q.Create(q.Collection("docs"), { data: 5 })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: ["create"],
      failures: [{ field: ["data"], code: "invalid type", description: "Invalid type Long, expected type Map." }],
    });
  });

  test("ttl must be a time → validation failed at [create]", async () => {
    await expectError(admin.query(q.Create(q.Collection("docs"), { data: {}, ttl: "tomorrow" })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: ["create"],
    });
  });

  test("an undefined ref inside the params → validation failed at the function's position, invalid reference", async () => {
    await expectError(admin.query(q.Create(q.Collection("docs"), { data: { r: q.Ref(q.Collection("nope"), "1") } })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: [],
      failures: [{ field: ["data", "r"], code: "invalid reference", description: "Cannot read reference." }],
    });
    await expectError(admin.query(q.Create(q.Tokens(), { instance: q.Ref(q.Collection("nope"), "1") })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: [],
      failures: [{ field: ["instance"], code: "invalid reference", description: "Cannot read reference." }],
    });
    await expectError(admin.query(q.Do(1, q.Create(q.Collection("docs"), { data: { r: q.Collection("nope") } }))), {
      status: 400,
      code: "validation failed",
      position: ["do", 1],
    });
  });

  test("Create in an unknown collection → 400 invalid ref at [create]", async () => {
    await expectError(admin.query(q.Create(q.Collection("nope"), { data: {} })), {
      status: 400,
      code: "invalid ref",
      description: "Ref refers to undefined collection 'nope'",
      position: ["create"],
    });
  });

  test("Get of a doc in an unknown collection → invalid ref at [get]", async () => {
    await expectError(admin.query(q.Get(q.Ref(q.Collection("nope"), "1"))), {
      status: 400,
      code: "invalid ref",
      description: "Ref refers to undefined collection 'nope'",
      position: ["get"],
    });
  });

  test("Get of a missing doc → 404 at []; nested in Select → at [from]", async () => {
    await expectError(admin.query(q.Get(q.Ref(q.Collection("docs"), "999"))), { ...NOT_FOUND, position: [] });
    await expectError(admin.query(q.Select("data", q.Get(q.Ref(q.Collection("docs"), "999")))), {
      ...NOT_FOUND,
      position: ["from"],
    });
    assert.equal(await admin.query(q.Exists(q.Ref(q.Collection("docs"), "999"))), false);
  });

  test("documents sort numerically by id in Documents()", async () => {
    for (const id of ["100", "9", "10"]) await admin.query(q.Create(q.Ref(q.Collection("ordered"), id), {}));
    const page = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("ordered"))));
    assert.deepEqual(ids(page.data), ["9", "10", "100"]);
  });

  test("generated ids are numeric strings and increase", async () => {
    const a = await admin.query<Doc>(q.Create(q.Collection("docs"), {}));
    const b = await admin.query<Doc>(q.Create(q.Collection("docs"), {}));
    assert.ok(BigInt(b.ref.id) > BigInt(a.ref.id));
  });

  test("later expressions in a query see earlier writes", async () => {
    const r = q.Ref(q.Collection("docs"), "500");
    const got = await admin.query<Doc>(q.Do(q.Create(r, { data: { v: "same-txn" } }), q.Get(r)));
    assert.equal(got.data?.v, "same-txn");
  });

  test("every write in one query gets the same ts", async () => {
    const both = await admin.query<Doc[]>([
      q.Create(q.Collection("docs"), { data: { n: 1 } }),
      q.Create(q.Collection("docs"), { data: { n: 2 } }),
    ]);
    assert.equal(both[0]!.ts, both[1]!.ts);
  });
});

describe("patch semantics (§5.4)", () => {
  test("Create drops null keys and null array elements", async () => {
    const d = await admin.query<Doc>(
      q.Create(q.Collection("docs"), { data: { a: null, b: [1, null, 2], c: { d: null, e: 1 } } }),
    );
    assert.deepEqual(d.data, { b: [1, 2], c: { e: 1 } });
    const raw = await rawQuery(target.endpoint, target.adminSecret, q.Get(d.ref));
    assert.deepEqual(raw.json.resource.data, { b: [1, 2], c: { e: 1 } });
  });

  test("Update merges objects recursively, replaces arrays, null deletes a key; ts increases", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("docs"), { data: { b: [1, 2], c: { e: 1 }, keep: "k" } }));
    const u1 = await admin.query<Doc>(q.Update(d.ref, { data: { c: { f: 2 } } }));
    assert.deepEqual(u1.data, { b: [1, 2], c: { e: 1, f: 2 }, keep: "k" });
    assert.ok(u1.ts > d.ts);
    const u2 = await admin.query<Doc>(q.Update(d.ref, { data: { b: [3] } }));
    assert.deepEqual(u2.data, { b: [3], c: { e: 1, f: 2 }, keep: "k" });
    const u3 = await admin.query<Doc>(q.Update(d.ref, { data: { c: { e: null }, keep: null } }));
    assert.deepEqual(u3.data, { b: [3], c: { f: 2 } });
    assert.deepEqual((await admin.query<Doc>(q.Get(d.ref))).data, { b: [3], c: { f: 2 } });
  });

  test("Update without data keeps data; Update can set a ttl", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("docs"), { data: { a: 1 } }));
    const u = await admin.query<Doc>(q.Update(d.ref, { ttl: q.Time("2099-01-01T00:00:00Z") }));
    assert.deepEqual(u.data, { a: 1 });
    assert.equal(timeText(u.ttl), "2099-01-01T00:00:00Z");
  });

  test("Replace replaces data and ttl wholesale", async () => {
    const d = await admin.query<Doc>(
      q.Create(q.Collection("docs"), { data: { a: 1, b: { c: 2 } }, ttl: q.Time("2099-01-01T00:00:00Z") }),
    );
    const r = await admin.query<Doc>(q.Replace(d.ref, { data: { z: 1 } }));
    assert.deepEqual(r.data, { z: 1 });
    assert.equal(r.ttl, undefined);
    const g = await admin.query<Doc>(q.Get(d.ref));
    assert.deepEqual(g.data, { z: 1 });
    assert.equal(g.ttl, undefined);
  });

  test("Update / Replace of a missing doc → 404 at [update] / [replace]", async () => {
    const missing = q.Ref(q.Collection("docs"), "424242");
    await expectError(admin.query(q.Update(missing, { data: { a: 1 } })), { ...NOT_FOUND, position: ["update"] });
    await expectError(admin.query(q.Replace(missing, { data: { a: 1 } })), { ...NOT_FOUND, position: ["replace"] });
  });
});

describe("Delete", () => {
  test("returns the pre-delete version (old ts); afterwards Get 404, Exists false; second Delete 404 at []", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("docs"), { data: { k: "del" } }));
    const del = await admin.query<Doc>(q.Delete(d.ref));
    assert.equal(del.ts, d.ts);
    assert.deepEqual(del.data, { k: "del" });
    await expectError(admin.query(q.Get(d.ref)), { ...NOT_FOUND, position: [] });
    assert.equal(await admin.query(q.Exists(d.ref)), false);
    await expectError(admin.query(q.Delete(d.ref)), { ...NOT_FOUND, position: [] });
    assert.deepEqual(await admin.query(q.Paginate(q.Match(q.Index("docs_by_k"), "del"))), { data: [] });
  });
});

describe("Select on documents and refs (§5.7)", () => {
  test("ref parts: id (string), collection (ref); data of a ref needs Get", async () => {
    const d = await admin.query<Doc>(q.Create(q.Collection("docs"), { data: { x: 1 } }));
    assert.equal(await admin.query(q.Select("id", d.ref)), d.ref.id);
    const coll = await rawQuery(target.endpoint, target.adminSecret, q.Select("collection", d.ref));
    assert.equal(coll.text, JSON.stringify({ resource: docJ("docs", d.ref.id)["@ref"].collection }));
    await expectError(admin.query(q.Select(["data", "x"], d.ref)), {
      status: 404,
      code: "value not found",
      description: "Value not found at path [data,x].",
      position: ["from"],
    });
    assert.equal(await admin.query(q.Select(["data", "x"], q.Get(d.ref))), 1);
    assert.equal(await admin.query(q.Select("ts", q.Get(d.ref))), d.ts);
  });
});

describe("document ttl (§5.4)", () => {
  test("a document created with a past ttl is invisible everywhere", async () => {
    const d = await admin.query<Doc>(
      q.Create(q.Collection("docs"), { data: { k: "expired" }, ttl: q.TimeSubtract(q.Now(), 1, "minute") }),
    );
    await expectError(admin.query(q.Get(d.ref)), { ...NOT_FOUND, position: [] });
    assert.equal(await admin.query(q.Exists(d.ref)), false);
    assert.deepEqual(await admin.query(q.Paginate(q.Match(q.Index("docs_by_k"), "expired"))), { data: [] });
    const all = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("docs")), { size: 100000 }));
    assert.ok(!ids(all.data).includes(d.ref.id));
  });

  test("ttl renders as @ts", async () => {
    const res = await rawQuery(
      target.endpoint,
      target.adminSecret,
      q.Create(q.Collection("docs"), { data: {}, ttl: q.Time("2099-06-01T00:00:00Z") }),
    );
    assert.deepEqual(res.json.resource.ttl, { "@ts": "2099-06-01T00:00:00Z" });
  });

  test("collection ttl_days gives new documents ttl = ts + days", async () => {
    await admin.query(q.CreateCollection({ name: "ephemeral", ttl_days: 1 }));
    const d = await admin.query<Doc>(q.Create(q.Collection("ephemeral"), { data: {} }));
    assert.ok(d.ttl, "a default ttl is set");
    const ttlUs = await admin.query<number>(q.ToMicros(d.ttl as never));
    assert.equal(ttlUs, d.ts + 86_400_000_000);
    const own = await admin.query<Doc>(q.Create(q.Collection("ephemeral"), { ttl: q.Time("2099-01-01T00:00:00Z") }));
    assert.equal(timeText(own.ttl), "2099-01-01T00:00:00Z");
  });

  test("a document expires when the emulator clock passes its ttl: Get, Exists, index, Documents", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    const d = await admin.query<Doc>(
      q.Create(q.Collection("docs"), { data: { k: "soon" }, ttl: q.TimeAdd(q.Now(), 1, "hour") }),
    );
    assert.equal((await admin.query<Page>(q.Paginate(q.Match(q.Index("docs_by_k"), "soon")))).data.length, 1);
    emu.clock.advance(30 * 60 * 1000);
    assert.equal(await admin.query(q.Exists(d.ref)), true);
    emu.clock.advance(31 * 60 * 1000);
    await expectError(admin.query(q.Get(d.ref)), { ...NOT_FOUND, position: [] });
    assert.equal(await admin.query(q.Exists(d.ref)), false);
    assert.deepEqual(await admin.query(q.Paginate(q.Match(q.Index("docs_by_k"), "soon"))), { data: [] });
    const all = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("docs")), { size: 100000 }));
    assert.ok(!ids(all.data).includes(d.ref.id));
    assert.equal(await admin.query(q.Count(q.Match(q.Index("docs_by_k"), "soon"))), 0);
  });
});
