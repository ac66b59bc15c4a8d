/**
 * Issue 10, paging: `Paginate(<ref>)`, `sources: true`, and the `cursor` option
 * (its accepted key sets, its values, its errors).
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, expectError, rawQuery, assertBody, docJ, indexJ, collJ, ids, type Client, type Doc, type Page, type Ref } from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;
const refs: Ref[] = [];
const send = (body: unknown) => rawQuery(target.endpoint, target.adminSecret, typeof body === "string" ? body : JSON.stringify(body));
const tag = (t: string) => q.Match(q.Index("by_tag"), t);

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateCollection({ name: "docs" }));
  await admin.query(q.CreateCollection({ name: "people" }));
  await admin.query(q.CreateIndex({ name: "by_tag", source: q.Collection("docs"), terms: [{ field: ["data", "tags"] }] }));
  await admin.query(q.CreateIndex({ name: "names", source: q.Collection("docs"), values: [{ field: ["data", "name"] }] }));
  for (const [id, tags, name] of [
    ["101", ["a", "b"], "Alice"],
    ["102", ["a"], "Bob"],
    ["103", ["b"], "Carol"],
  ] as const) {
    refs.push((await admin.query<Doc>(q.Create(q.Ref(q.Collection("docs"), id), { data: { tags: [...tags], name } }))).ref);
  }
});
after(() => target.close());

describe("Paginate(<ref>)", () => {
  test("a document ref is a one-element set: {data: [ref]}, no cursors", async () => {
    assertBody(await send(q.Paginate(q.Ref(q.Collection("docs"), "101"))), 200, { resource: { data: [docJ("docs", "101")] } });
  });

  test("a ref whose document is not live is the empty set", async () => {
    assertBody(await send(q.Paginate(q.Ref(q.Collection("docs"), "999"))), 200, { resource: { data: [] } });
    const gone = (await admin.query<Doc>(q.Create(q.Collection("docs"), { data: {} }))).ref;
    await admin.query(q.Delete(gone));
    assert.deepEqual((await admin.query<Page>(q.Paginate(gone))).data, []);
  });

  test("a schema document ref is its document; a native collection ref is that schema set", async () => {
    assertBody(await send(q.Paginate(q.Collection("docs"))), 200, { resource: { data: [collJ("docs")] } });
    const idx = await admin.query<Page<Ref>>(q.Paginate(q.Indexes()));
    assert.deepEqual(idx.data.map((r) => r.id).sort(), ["by_tag", "names"]);
  });

  test("reading a ref set needs history-read on the document", async () => {
    await admin.query(q.CreateCollection({ name: "owners" }));
    const owner = (await server.query<Doc>(q.Create(q.Collection("owners"), { credentials: { password: "pw" } }))).ref;
    await admin.query(
      q.CreateRole({
        name: "reader",
        membership: [{ resource: q.Collection("owners") }],
        privileges: [{ resource: q.Collection("docs"), actions: { read: true } }],
      }),
    );
    const tok = await server.query<{ secret: string }>(q.Login(owner, { password: "pw" }));
    const c = target.client(tok.secret);
    assert.equal(((await c.query<Doc>(q.Get(refs[0]!))).ref as Ref).id, "101");
    await expectError(c.query(q.Paginate(refs[0]!)), {
      status: 403,
      code: "permission denied",
      description: "Insufficient privileges to perform the action.",
      position: ["paginate"],
    });
    await admin.query(
      q.Update(q.Role("reader"), { privileges: [{ resource: q.Collection("docs"), actions: { read: true, history_read: true } }] }),
    );
    assert.deepEqual(ids((await c.query<Page>(q.Paginate(refs[0]!))).data), ["101"]);
  });

  test("anything but a ref or a set is Ref or Set expected", async () => {
    await expectError(admin.query(q.Paginate(5 as never)), {
      status: 400,
      code: "invalid argument",
      description: "Ref or Set expected, Integer provided.",
      position: ["paginate"],
    });
  });
});

describe("sources: true", () => {
  test("a Match reports itself, terms echoed as sent (scalar stays scalar)", async () => {
    assertBody(await send(q.Paginate(tag("a"), { sources: true })), 200, {
      resource: {
        data: [
          { value: docJ("docs", "101"), sources: [{ "@set": { match: indexJ("by_tag"), terms: "a" } }] },
          { value: docJ("docs", "102"), sources: [{ "@set": { match: indexJ("by_tag"), terms: "a" } }] },
        ],
      },
    });
  });

  test("Union merges the sources of equal elements; cursors stay raw", async () => {
    const res = await send(q.Paginate(q.Union(tag("a"), tag("b")), { size: 2, sources: true }));
    const setA = { "@set": { match: indexJ("by_tag"), terms: "a" } };
    const setB = { "@set": { match: indexJ("by_tag"), terms: "b" } };
    assertBody(res, 200, {
      resource: {
        after: [docJ("docs", "103")],
        data: [
          { value: docJ("docs", "101"), sources: [setA, setB] },
          { value: docJ("docs", "102"), sources: [setA] },
        ],
      },
    });
  });

  test("Intersection reports every component; Documents reports itself; a ref set reports the ref", async () => {
    const both = await admin.query<Page<{ value: Ref; sources: unknown[] }>>(q.Paginate(q.Intersection(tag("a"), tag("b")), { sources: true }));
    assert.equal(both.data.length, 1);
    assert.equal(both.data[0]!.sources.length, 2);
    assertBody(await send(q.Paginate(q.Documents(q.Collection("docs")), { size: 1, sources: true })), 200, {
      resource: {
        after: [docJ("docs", "102")],
        data: [{ value: docJ("docs", "101"), sources: [{ "@set": { documents: collJ("docs") } }] }],
      },
    });
    assertBody(await send(q.Paginate(refs[1]!, { sources: true })), 200, {
      resource: { data: [{ value: docJ("docs", "102"), sources: [docJ("docs", "102")] }] },
    });
  });

  test("Difference, Range and Reverse report the sources of the set the elements come from", async () => {
    const setA = { "@set": { match: indexJ("by_tag"), terms: "a" } };
    assertBody(await send(q.Paginate(q.Difference(tag("a"), tag("b")), { sources: true })), 200, {
      resource: { data: [{ value: docJ("docs", "102"), sources: [setA] }] },
    });
    const rev = await send(q.Paginate(q.Reverse(tag("a")), { sources: true, size: 1 }));
    assert.deepEqual(rev.json.resource.data, [{ value: docJ("docs", "102"), sources: [setA] }]);
    const range = await admin.query<Page<{ value: string; sources: unknown[] }>>(q.Paginate(q.Range(q.Match(q.Index("names")), "B", "C"), { sources: true }));
    assert.deepEqual(range.data.map((e) => e.value), ["Bob"]);
    assert.equal(range.data[0]!.sources.length, 1);
  });

  test("a values index: value is the covered value", async () => {
    const p = await admin.query<Page<{ value: unknown }>>(q.Paginate(q.Match(q.Index("names")), { size: 1, sources: true }));
    assert.equal(p.data[0]!.value, "Alice");
  });
});

describe("the cursor option", () => {
  test("{after: x} reads as after: x; {before: x} as before: x; null is the first page", async () => {
    const first = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("docs")), { size: 2, cursor: null }));
    assert.deepEqual(ids(first.data), ["101", "102"]);
    const next = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("docs")), { size: 2, cursor: { after: first.after } }));
    assert.deepEqual(ids(next.data), ["103"]);
    const back = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("docs")), { size: 2, cursor: { before: next.before } }));
    assert.deepEqual(ids(back.data), ["101", "102"]);
  });

  test("a scalar cursor is a one-element prefix, echoed back as [x]", async () => {
    assertBody(await send(q.Paginate(q.Match(q.Index("names")), { cursor: { after: "B" } })), 200, {
      resource: { before: ["B"], data: ["Bob", "Carol"] },
    });
    assertBody(await send(q.Paginate(q.Match(q.Index("names")), { after: "C" })), 200, {
      resource: { before: ["C"], data: ["Carol"] },
    });
  });

  test("anything but {after}, {before} or null is invalid argument at [cursor]", async () => {
    const INVALID = {
      status: 400,
      code: "invalid argument",
      description: "Invalid cursor object. Expected an object with either 'before' or 'after' key in it.",
      position: ["cursor"],
    };
    const set = q.Documents(q.Collection("docs"));
    await expectError(admin.query(q.Paginate(set, { cursor: { after: refs[0]!, before: refs[2]! } })), INVALID);
    await expectError(admin.query(q.Paginate(set, { cursor: { next: 1 } })), INVALID);
    await expectError(admin.query(q.Paginate(set, { cursor: {} })), INVALID);
    await expectError(admin.query(q.Paginate(set, { cursor: [refs[0]!] as never })), INVALID);
  });

  test("cursor together with after or before, or after with before, is a parse error", async () => {
    const set = q.Documents(q.Collection("docs"));
    for (const opts of [{ cursor: null, after: [refs[0]!] }, { cursor: null, before: [refs[0]!] }, { after: [refs[0]!], before: [refs[2]!] }]) {
      const res = await send(q.Paginate(set, opts as never));
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.errors[0].code, "invalid expression");
      assert.match(res.json.errors[0].description, /^No form\/function found, or invalid argument keys: \{ paginate, /);
    }
  });

  test("cursor combines with size, sources, ts and events", async () => {
    const p = await admin.query<Page<{ value: Ref }>>(q.Paginate(q.Documents(q.Collection("docs")), { cursor: null, size: 1, sources: true }));
    assert.equal(p.data[0]!.value.id, "101");
    const ts = (await admin.query<Doc>(q.Get(refs[0]!))).ts;
    const e = await admin.query<Page<{ ts: number; action: string }>>(q.Paginate(refs[0]!, { cursor: null, size: 5, events: true, ts: q.Now() }));
    assert.deepEqual(
      e.data.map((x) => [x.ts, x.action]),
      [[ts, "create"]],
    );
  });
});
