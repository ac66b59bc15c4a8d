/** §2.5, §5.3, §5.5, §5.6: indexes, Match, Range, Paginate cursors, ordering, uniqueness, Count. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import {
  q,
  rawQuery,
  assertBody,
  expectError,
  assertDocRef,
  ids,
  docJ,
  indexJ,
  timeText,
  values,
  type Client,
  type Doc,
  type Page,
  type Ref,
} from "./support.ts";

let target: FaunaTarget;
let admin: Client;

const mk = async (coll: string, data: Record<string, unknown>, id?: string): Promise<Doc> =>
  admin.query<Doc>(q.Create(id ? q.Ref(q.Collection(coll), id) : q.Collection(coll), { data }));

before(async () => {
  target = await startTarget();
  admin = target.client();
  for (const name of ["u", "people", "mixed", "nums", "tagged", "uniq", "pairs"]) {
    await admin.query(q.CreateCollection({ name }));
  }
});
after(() => target.close());

describe("CreateIndex (§5.3)", () => {
  test("201 with active, serialized, name, source, terms, partitions 1 (terms) / 8 (no terms)", async () => {
    const res = await rawQuery(
      target.endpoint,
      target.adminSecret,
      q.CreateIndex({ name: "people_by_name", source: q.Collection("people"), terms: [{ field: ["data", "name"] }] }),
    );
    assert.equal(res.status, 201, res.text);
    const i = res.json.resource;
    assert.deepEqual(i.ref, indexJ("people_by_name"));
    assert.equal(i.active, true);
    assert.equal(i.serialized, true);
    assert.equal(i.name, "people_by_name");
    assert.deepEqual(i.source, { "@ref": { id: "people", collection: { "@ref": { id: "collections" } } } });
    assert.deepEqual(i.terms, [{ field: ["data", "name"] }]);
    assert.equal(i.partitions, 1);
    const all = await admin.query<Record<string, unknown>>(q.CreateIndex({ name: "all_people", source: q.Collection("people") }));
    assert.equal(all.partitions, 8);
    assert.equal(all.active, true);
  });

  test("duplicate index name → Index already exists. at [create_index]", async () => {
    await expectError(admin.query(q.CreateIndex({ name: "people_by_name", source: q.Collection("people") })), {
      status: 400,
      code: "instance already exists",
      description: "Index already exists.",
      position: ["create_index"],
    });
  });

  test("source referring to an undefined collection → validation failed at [], invalid reference on [source]", async () => {
    await expectError(admin.query(q.CreateIndex({ name: "bad_src", source: q.Collection("nope") })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: [],
      failures: [{ field: ["source"], code: "invalid reference", description: "Cannot read reference." }],
    });
  });

  test("an index built over existing documents is immediately usable", async () => {
    await mk("people", { name: "pre" });
    await admin.query(q.CreateIndex({ name: "people_by_name_late", source: q.Collection("people"), terms: [{ field: ["data", "name"] }] }));
    const page = await admin.query<Page>(q.Paginate(q.Match(q.Index("people_by_name_late"), "pre")));
    assert.equal(page.data.length, 1);
  });
});

describe("Match (§5.5)", () => {
  let ann: Doc;
  let ann2: Doc;
  before(async () => {
    await admin.query(
      q.CreateIndex({
        name: "people_by_first_last",
        source: q.Collection("people"),
        terms: [{ field: ["data", "first"] }, { field: ["data", "last"] }],
      }),
    );
    await admin.query(q.CreateIndex({ name: "people_by_tag", source: q.Collection("people"), terms: [{ field: ["data", "tags"] }] }));
    ann = await mk("people", { name: "ann", first: "Ann", last: "Lee", tags: ["a", "b"] });
    ann2 = await mk("people", { name: "ann", first: "Ann", last: "Kim", tags: ["b"] });
    await mk("people", { nickname: "no-name-field" });
  });

  test("single term bare or as one-element array; several docs per term ordered by id", async () => {
    const bare = await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("people_by_name"), "ann")));
    const arr = await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("people_by_name"), ["ann"])));
    assert.deepEqual(ids(bare.data), [ann.ref.id, ann2.ref.id]);
    assert.deepEqual(ids(arr.data), ids(bare.data));
  });

  test("several terms in term order", async () => {
    const page = await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("people_by_first_last"), "Ann", "Kim")));
    assert.deepEqual(ids(page.data), [ann2.ref.id]);
    assert.deepEqual(await admin.query(q.Paginate(q.Match(q.Index("people_by_first_last"), "Kim", "Ann"))), { data: [] });
  });

  test("array field → one entry per element", async () => {
    assert.deepEqual(ids((await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("people_by_tag"), "a")))).data), [ann.ref.id]);
    assert.deepEqual(
      ids((await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("people_by_tag"), "b")))).data),
      [ann.ref.id, ann2.ref.id],
    );
  });

  test("documents lacking the term field are not findable (all-null terms dropped)", async () => {
    assert.deepEqual(await admin.query(q.Paginate(q.Match(q.Index("people_by_name"), null as never))), { data: [] });
  });

  test("Match on a termless index with no terms returns every document", async () => {
    const all = await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("all_people")), { size: 1000 }));
    const docs = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("people")), { size: 1000 }));
    assert.deepEqual(ids(all.data), ids(docs.data));
  });

  test("index entries follow updates and deletes", async () => {
    const d = await mk("people", { name: "mover" });
    await admin.query(q.Update(d.ref, { data: { name: "moved" } }));
    assert.deepEqual(await admin.query(q.Paginate(q.Match(q.Index("people_by_name"), "mover"))), { data: [] });
    assert.deepEqual(ids((await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("people_by_name"), "moved")))).data), [d.ref.id]);
    await admin.query(q.Delete(d.ref));
    assert.deepEqual(await admin.query(q.Paginate(q.Match(q.Index("people_by_name"), "moved"))), { data: [] });
  });

  test("Get(Match) returns the first document; empty set → 404 Set not found.", async () => {
    const g = await admin.query<Doc>(q.Get(q.Match(q.Index("people_by_name"), "ann")));
    assert.equal(g.ref.id, ann.ref.id);
    await expectError(admin.query(q.Get(q.Match(q.Index("people_by_name"), "zzz"))), {
      status: 404,
      code: "instance not found",
      description: "Set not found.",
      position: [],
    });
  });

  test("Exists(Match) is a boolean", async () => {
    assert.equal(await admin.query(q.Exists(q.Match(q.Index("people_by_name"), "ann"))), true);
    assert.equal(await admin.query(q.Exists(q.Match(q.Index("people_by_name"), "zzz"))), false);
  });

  test("an undefined index → 400 invalid ref at [paginate, match]", async () => {
    await expectError(admin.query(q.Paginate(q.Match(q.Index("nope"), "a"))), {
      status: 400,
      code: "invalid ref",
      description: "Ref refers to undefined index 'nope'",
      position: ["paginate", "match"],
    });
  });
});

describe("values, ts/ref values, reverse, collation (§2.5, §5.5)", () => {
  test("one value → scalar elements; several values → arrays", async () => {
    await admin.query(
      q.CreateIndex({ name: "nums_v", source: q.Collection("nums"), values: [{ field: ["data", "n"] }] }),
    );
    await admin.query(
      q.CreateIndex({
        name: "nums_v2",
        source: q.Collection("nums"),
        values: [{ field: ["data", "n"] }, { field: ["data", "s"] }],
      }),
    );
    for (const n of [3, 1, 2]) await mk("nums", { n, s: `s${n}` });
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Match(q.Index("nums_v"))))).data, [1, 2, 3]);
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Match(q.Index("nums_v2"))))).data, [
      [1, "s1"],
      [2, "s2"],
      [3, "s3"],
    ]);
  });

  test("reverse: true sorts that value descending", async () => {
    await admin.query(
      q.CreateIndex({ name: "nums_desc", source: q.Collection("nums"), values: [{ field: ["data", "n"], reverse: true }] }),
    );
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Match(q.Index("nums_desc"))))).data, [3, 2, 1]);
  });

  test("values [ts, ref]: elements [ts, ref], cursor [ts, ref, ref]", async () => {
    await admin.query(q.CreateCollection({ name: "stamped" }));
    await admin.query(
      q.CreateIndex({ name: "stamped_by_ts", source: q.Collection("stamped"), values: [{ field: ["ts"] }, { field: ["ref"] }] }),
    );
    const a = await mk("stamped", {});
    const b = await mk("stamped", {});
    const c = await mk("stamped", {});
    const page = await admin.query<Page<[number, Ref]>>(q.Paginate(q.Match(q.Index("stamped_by_ts")), { size: 2 }));
    assert.deepEqual(
      page.data.map(([ts, r]) => [ts, r.id]),
      [
        [a.ts, a.ref.id],
        [b.ts, b.ref.id],
      ],
    );
    const after = page.after as unknown[];
    assert.equal(after.length, 3);
    assert.equal(after[0], c.ts);
    assert.equal((after[1] as Ref).id, c.ref.id);
    assert.equal((after[2] as Ref).id, c.ref.id);
  });

  test("Range over ts values with integer bounds (ToMicros)", async () => {
    const p = await admin.query<Page<[number, Ref]>>(q.Paginate(q.Match(q.Index("stamped_by_ts"))));
    const mid = p.data[1]![0];
    const r = await admin.query<Page<[number, Ref]>>(q.Paginate(q.Range(q.Match(q.Index("stamped_by_ts")), [mid], [])));
    assert.deepEqual(
      r.data.map(([ts]) => ts),
      p.data.slice(1).map(([ts]) => ts),
    );
    const none = await admin.query<Page>(
      q.Paginate(q.Range(q.Match(q.Index("stamped_by_ts")), [q.Add(q.ToMicros(q.Now()), 1000000)], [])),
    );
    assert.deepEqual(none.data, []);
  });

  test("cross-type order: numbers < strings (ICU: apple < Banana < cherry) < objects < times < false < true < null", async () => {
    await admin.query(
      q.CreateIndex({
        name: "mixed_v",
        source: q.Collection("mixed"),
        values: [{ field: ["data", "v"] }, { field: ["ref"] }],
      }),
    );
    const inputs: unknown[] = [
      true,
      "cherry",
      null,
      10,
      "Banana",
      { a: 1 },
      2,
      "apple",
      1.5,
      false,
      q.Time("2020-01-01T00:00:00Z"),
      "app",
    ];
    for (const v of inputs) await admin.query(q.Create(q.Collection("mixed"), { data: { v } }));
    const page = await rawQuery(target.endpoint, target.adminSecret, q.Paginate(q.Match(q.Index("mixed_v"))));
    assert.equal(page.status, 200, page.text);
    const got = (page.json.resource.data as [unknown, unknown][]).map(([v]) => v);
    assert.deepEqual(got, [
      1.5,
      2,
      10,
      "app",
      "apple",
      "Banana",
      "cherry",
      { a: 1 },
      { "@ts": "2020-01-01T00:00:00Z" },
      false,
      true,
      null,
    ]);
  });

  test("LT agrees with the index order", async () => {
    assert.equal(await admin.query(q.LT(1.5, 2, 10, "app", "apple", "Banana", "cherry", { a: 1 }, false, true, null as never)), true);
  });

  test("equal values tie-break by document id ascending", async () => {
    await admin.query(q.CreateCollection({ name: "ties" }));
    await admin.query(q.CreateIndex({ name: "ties_v", source: q.Collection("ties"), values: [{ field: ["data", "g"] }, { field: ["ref"] }] }));
    for (const id of ["30", "10", "20"]) await mk("ties", { g: "same" }, id);
    const page = await admin.query<Page<[string, Ref]>>(q.Paginate(q.Match(q.Index("ties_v"))));
    assert.deepEqual(
      page.data.map(([, r]) => r.id),
      ["10", "20", "30"],
    );
  });

  test("documents lacking every value field are absent from a values index", async () => {
    await mk("nums", { other: 1 });
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Match(q.Index("nums_v"))))).data, [1, 2, 3]);
  });
});

describe("Paginate cursors (§2.5)", () => {
  before(async () => {
    for (const id of ["101", "102", "103"]) await mk("u", { i: Number(id) }, id);
  });

  test("spec example, exact JSON: size 2, then after", async () => {
    const first = await rawQuery(target.endpoint, target.adminSecret, q.Paginate(q.Documents(q.Collection("u")), { size: 2 }));
    assertBody(first, 200, {
      resource: { after: [docJ("u", "103")], data: [docJ("u", "101"), docJ("u", "102")] },
    });
    const second = await rawQuery(
      target.endpoint,
      target.adminSecret,
      `{"paginate":{"documents":{"collection":"u"}},"size":2,"after":${JSON.stringify(first.json.resource.after)}}`,
    );
    assertBody(second, 200, { resource: { before: [docJ("u", "103")], data: [docJ("u", "103")] } });
  });

  test("the driver can walk forward with the returned after cursor", async () => {
    const p1 = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("u")), { size: 2 }));
    const p2 = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("u")), { size: 2, after: p1.after }));
    assert.deepEqual(ids(p2.data), ["103"]);
    assert.equal(p2.after, undefined);
    assert.deepEqual(ids(p2.before as unknown[]), ["103"]);
  });

  test("before: page of elements < cursor, ascending; before = smallest returned if more exist; after = cursor", async () => {
    const cursor = [q.Ref(q.Collection("u"), "103")];
    const p = await rawQuery(
      target.endpoint,
      target.adminSecret,
      q.Paginate(q.Documents(q.Collection("u")), { size: 1, before: cursor }),
    );
    assertBody(p, 200, { resource: { before: [docJ("u", "102")], after: [docJ("u", "103")], data: [docJ("u", "102")] } });
    const p2 = await rawQuery(
      target.endpoint,
      target.adminSecret,
      q.Paginate(q.Documents(q.Collection("u")), { size: 2, before: cursor }),
    );
    assertBody(p2, 200, { resource: { after: [docJ("u", "103")], data: [docJ("u", "101"), docJ("u", "102")] } });
  });

  test("walking backwards with the driver reaches the start", async () => {
    const last = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("u")), { size: 1, before: null as never }));
    assert.deepEqual(ids(last.data), ["103"]);
    assert.deepEqual(ids(last.before as unknown[]), ["103"]);
    const prev = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("u")), { size: 1, before: last.before }));
    assert.deepEqual(ids(prev.data), ["102"]);
    const first = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("u")), { size: 1, before: prev.before }));
    assert.deepEqual(ids(first.data), ["101"]);
    assert.equal(first.before, undefined);
  });

  test("before: null → the last page", async () => {
    const p = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("u")), { size: 2, before: null as never }));
    assert.deepEqual(ids(p.data), ["102", "103"]);
    assert.deepEqual(ids(p.before as unknown[]), ["102"]);
  });

  test("after cursor is inclusive; a prefix / non-array cursor works on a values index", async () => {
    await admin.query(q.CreateIndex({ name: "people_names", source: q.Collection("pairs"), values: [{ field: ["data", "name"] }] }));
    for (const name of ["Alice", "Bob", "Mallory", "Oscar", "Zed"]) await mk("pairs", { name });
    const fromM = await admin.query<Page>(q.Paginate(q.Match(q.Index("people_names")), { after: ["M"] }));
    assert.deepEqual(fromM.data, ["Mallory", "Oscar", "Zed"]);
    const bare = await admin.query<Page>(q.Paginate(q.Match(q.Index("people_names")), { after: "M" }));
    assert.deepEqual(bare.data, ["Mallory", "Oscar", "Zed"]);
    const incl = await admin.query<Page>(q.Paginate(q.Match(q.Index("people_names")), { after: ["Oscar"] }));
    assert.deepEqual(incl.data, ["Oscar", "Zed"]);
    const below = await admin.query<Page>(q.Paginate(q.Match(q.Index("people_names")), { before: ["M"] }));
    assert.deepEqual(below.data, ["Alice", "Bob"]);
  });

  test("value index cursor = values followed by the ref", async () => {
    const p = await admin.query<Page>(q.Paginate(q.Match(q.Index("people_names")), { size: 2 }));
    assert.deepEqual(p.data, ["Alice", "Bob"]);
    const after = p.after as unknown[];
    assert.equal(after.length, 2);
    assert.equal(after[0], "Mallory");
    assert.ok(after[1] instanceof values.Ref);
  });

  test("default size is 64; sizes above 100000 are clamped, not rejected; size 0 returns no data", async () => {
    await admin.query(q.CreateCollection({ name: "many" }));
    await admin.query(q.Foreach(Array.from({ length: 70 }, (_, i) => i), q.Lambda("i", q.Create(q.Collection("many"), { data: { i: q.Var("i") } }))));
    const p = await admin.query<Page>(q.Paginate(q.Documents(q.Collection("many"))));
    assert.equal(p.data.length, 64);
    assert.ok(Array.isArray(p.after));
    const big = await admin.query<Page>(q.Paginate(q.Documents(q.Collection("many")), { size: 200000 }));
    assert.equal(big.data.length, 70);
    const zero = await admin.query<Page>(q.Paginate(q.Documents(q.Collection("many")), { size: 0 }));
    assert.deepEqual(zero.data, []);
  });

  test("Map over a page keeps its cursors", async () => {
    const p = await admin.query<Page>(
      q.Map(q.Paginate(q.Documents(q.Collection("u")), { size: 2 }), q.Lambda("r", q.Select(["data", "i"], q.Get(q.Var("r"))))),
    );
    assert.deepEqual(p.data, [101, 102]);
    assert.deepEqual(ids(p.after as unknown[]), ["103"]);
  });
});

describe("Range (§5.6)", () => {
  before(async () => {
    await admin.query(q.CreateCollection({ name: "rng" }));
    await admin.query(q.CreateIndex({ name: "rng_n", source: q.Collection("rng"), values: [{ field: ["data", "n"] }] }));
    await admin.query(
      q.CreateIndex({ name: "rng_ab", source: q.Collection("rng"), values: [{ field: ["data", "a"] }, { field: ["data", "b"] }] }),
    );
    await admin.query(
      q.Foreach(
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        q.Lambda("n", q.Create(q.Collection("rng"), { data: { n: q.Var("n"), a: q.If(q.LTE(q.Var("n"), 5), "x", "y"), b: q.Var("n") } })),
      ),
    );
  });

  test("inclusive bounds; [] is unbounded; scalar bound is a one-element prefix", async () => {
    const m = q.Match(q.Index("rng_n"));
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Range(m, [3], [6])))).data, [3, 4, 5, 6]);
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Range(m, [], [4])))).data, [1, 2, 3, 4]);
    assert.deepEqual((await admin.query<Page>(q.Paginate(q.Range(m, 8, [])))).data, [8, 9, 10]);
  });

  test("a prefix bound includes everything with that prefix", async () => {
    const m = q.Match(q.Index("rng_ab"));
    const p = await admin.query<Page<[string, number]>>(q.Paginate(q.Range(m, ["x"], ["x"])));
    assert.deepEqual(
      p.data.map(([, b]) => b),
      [1, 2, 3, 4, 5],
    );
    const p2 = await admin.query<Page<[string, number]>>(q.Paginate(q.Range(m, ["x", 4], ["y", 6])));
    assert.deepEqual(
      p2.data.map(([, b]) => b),
      [4, 5, 6, 7, 8, 9, 10].filter((b) => b <= 6),
    );
  });

  test("Paginate(Range) honours size and after", async () => {
    const m = q.Match(q.Index("rng_n"));
    const p1 = await admin.query<Page>(q.Paginate(q.Range(m, [2], [9]), { size: 3 }));
    assert.deepEqual(p1.data, [2, 3, 4]);
    const p2 = await admin.query<Page>(q.Paginate(q.Range(m, [2], [9]), { size: 3, after: p1.after }));
    assert.deepEqual(p2.data, [5, 6, 7]);
  });

  test("Range over Documents uses refs as bounds", async () => {
    const p = await admin.query<Page<Ref>>(
      q.Paginate(q.Range(q.Documents(q.Collection("u")), [q.Ref(q.Collection("u"), "102")], [q.Ref(q.Collection("u"), "103")])),
    );
    assert.deepEqual(ids(p.data), ["102", "103"]);
  });
});

describe("Count (§5.6)", () => {
  test("Count(set) → integer; Count(array) → integer; Count(page) → page with data [n]", async () => {
    assert.equal(await admin.query(q.Count(q.Documents(q.Collection("u")))), 3);
    assert.equal(await admin.query(q.Count(q.Match(q.Index("rng_n")))), 10);
    assert.equal(await admin.query(q.Count([1, 2, 3])), 3);
    const page = await admin.query<Page>(q.Count(q.Paginate(q.Documents(q.Collection("u")), { size: 2 })));
    assert.deepEqual(page.data, [2]);
    assert.deepEqual(ids(page.after as unknown[]), ["103"]);
  });
});

describe("unique indexes (§5.5)", () => {
  before(async () => {
    await admin.query(
      q.CreateIndex({ name: "uniq_email", source: q.Collection("uniq"), terms: [{ field: ["data", "email"] }], unique: true }),
    );
  });

  test("a second document with the same term → 400 instance not unique at [create]", async () => {
    await mk("uniq", { email: "a@x" });
    await expectError(mk("uniq", { email: "a@x" }), {
      status: 400,
      code: "instance not unique",
      description: "document is not unique.",
      position: ["create"],
    });
    assert.equal(await admin.query(q.Count(q.Match(q.Index("uniq_email"), "a@x"))), 1);
  });

  test("Update into a taken term → instance not unique at []", async () => {
    const b = await mk("uniq", { email: "b@x" });
    await expectError(admin.query(q.Update(b.ref, { data: { email: "a@x" } })), {
      status: 400,
      code: "instance not unique",
      description: "document is not unique.",
      position: [],
    });
    assert.equal((await admin.query<Doc>(q.Get(b.ref))).data?.email, "b@x");
  });

  test("Update that keeps its own term is fine; deleting frees the term", async () => {
    const c = await mk("uniq", { email: "c@x", n: 1 });
    await admin.query(q.Update(c.ref, { data: { n: 2 } }));
    await admin.query(q.Delete(c.ref));
    const again = await mk("uniq", { email: "c@x" });
    assertDocRef(again.ref, "uniq");
  });

  test("unique index whose values include ref never fires", async () => {
    await admin.query(q.CreateCollection({ name: "uniq_ref" }));
    await admin.query(
      q.CreateIndex({
        name: "uniq_ref_idx",
        source: q.Collection("uniq_ref"),
        terms: [{ field: ["data", "k"] }],
        values: [{ field: ["ref"] }],
        unique: true,
      }),
    );
    await mk("uniq_ref", { k: 1 });
    await mk("uniq_ref", { k: 1 });
    assert.equal(await admin.query(q.Count(q.Match(q.Index("uniq_ref_idx"), 1))), 2);
  });

  test("documents without the term field do not collide", async () => {
    await mk("uniq", { other: 1 });
    await mk("uniq", { other: 2 });
  });
});

describe("time values in index ordering", () => {
  test("times sort chronologically in a values index", async () => {
    await admin.query(q.CreateIndex({ name: "tagged_t", source: q.Collection("tagged"), values: [{ field: ["data", "t"] }] }));
    for (const t of ["2021-01-01T00:00:00Z", "2019-01-01T00:00:00Z", "2020-06-01T00:00:00Z"]) {
      await mk("tagged", { t: q.Time(t) });
    }
    const p = await admin.query<Page>(q.Paginate(q.Match(q.Index("tagged_t"))));
    assert.deepEqual(p.data.map(timeText), ["2019-01-01T00:00:00Z", "2020-06-01T00:00:00Z", "2021-01-01T00:00:00Z"]);
  });
});

describe("query shapes the project relies on (ledger cleanup / revoke)", () => {
  let owner: Doc;
  let tokA: Ref;
  let tokB: Ref;
  before(async () => {
    await admin.query(q.CreateCollection({ name: "owners" }));
    await admin.query(q.CreateCollection({ name: "ledger" }));
    await admin.query(
      q.CreateIndex({
        name: "ledger_by_exp",
        source: q.Collection("ledger"),
        terms: [],
        values: [{ field: ["data", "expires_at"] }, { field: ["data", "token_ref"] }, { field: ["ref"] }],
      }),
    );
    await admin.query(
      q.CreateIndex({
        name: "ledger_by_user",
        source: q.Collection("ledger"),
        terms: [{ field: ["data", "user_ref"] }],
        values: [{ field: ["data", "token_ref"] }, { field: ["ref"] }],
      }),
    );
    owner = await mk("owners", { sub: "auth0|1" });
    tokA = (await admin.query<{ ref: Ref }>(q.Create(q.Tokens(), { instance: owner.ref }))).ref;
    tokB = (await admin.query<{ ref: Ref }>(q.Create(q.Tokens(), { instance: owner.ref }))).ref;
    const entry = (exp: string, tok: Ref) =>
      admin.query(q.Create(q.Collection("ledger"), { data: { expires_at: q.Time(exp), token_ref: tok, user_ref: owner.ref } }));
    await entry("2000-01-01T00:00:00Z", tokA);
    await entry("2000-06-01T00:00:00Z", tokB);
    await entry("2099-01-01T00:00:00Z", tokB);
  });

  test("Range(m, [], [Now()]) over time values keeps only the past entries", async () => {
    const p = await admin.query<Page<[unknown, Ref, Ref]>>(q.Paginate(q.Range(q.Match(q.Index("ledger_by_exp")), [], [q.Now()])));
    assert.deepEqual(p.data.map(([t]) => timeText(t)), ["2000-01-01T00:00:00Z", "2000-06-01T00:00:00Z"]);
    assert.deepEqual(p.data.map(([, tok]) => tok.id), [tokA.id, tokB.id]);
  });

  test("a time upper bound is inclusive", async () => {
    const p = await admin.query<Page>(
      q.Paginate(q.Range(q.Match(q.Index("ledger_by_exp")), [], [q.Time("2000-06-01T00:00:00Z")])),
    );
    assert.equal(p.data.length, 2);
  });

  test("Range(Match(by_user, u), [tokenRef], [tokenRef]) holds exactly that token's entries", async () => {
    const p = await admin.query<Page<[Ref, Ref]>>(
      q.Paginate(q.Range(q.Match(q.Index("ledger_by_user"), owner.ref), [tokB], [tokB])),
    );
    assert.equal(p.data.length, 2);
    for (const [tok] of p.data) assert.equal(tok.id, tokB.id);
    const pa = await admin.query<Page<[Ref, Ref]>>(
      q.Paginate(q.Range(q.Match(q.Index("ledger_by_user"), owner.ref), [tokA], [tokA])),
    );
    assert.deepEqual(pa.data.map(([tok]) => tok.id), [tokA.id]);
  });

  test("IsToken / Exists on token refs (present, deleted, never existed)", async () => {
    assert.deepEqual(
      await admin.query([q.IsToken(tokA), q.IsToken(owner.ref), q.IsToken(null as never), q.Exists(tokA), q.Exists(q.Ref(q.Tokens(), "123"))]),
      [true, false, false, true, false],
    );
    await admin.query(q.Delete(tokA));
    assert.equal(await admin.query(q.Exists(tokA)), false);
    assert.equal(await admin.query(q.IsToken(q.Ref(q.Tokens(), "123"))), true);
  });

  test("Select(index, entry, null) and Filter/Count over a page's data", async () => {
    const n = await admin.query(
      q.Let(
        { page: q.Paginate(q.Match(q.Index("ledger_by_exp"))) },
        q.Count(
          q.Filter(
            q.Select("data", q.Var("page")),
            q.Lambda("e", q.Let({ t: q.Select(1, q.Var("e"), null) }, q.Not(q.If(q.IsToken(q.Var("t")), q.Exists(q.Var("t")), false)))),
          ),
        ),
      ),
    );
    assert.equal(n, 1, "only tokA's entry points at a token that is gone");
  });

  test("unique index with explicit values: [] refuses a second document with the same term", async () => {
    await admin.query(q.CreateCollection({ name: "accounts" }));
    await admin.query(
      q.CreateIndex({ name: "accounts_by_sub", source: q.Collection("accounts"), terms: [{ field: ["data", "sub"] }], values: [], unique: true }),
    );
    const a = await mk("accounts", { sub: "x" });
    await expectError(mk("accounts", { sub: "x" }), {
      status: 400,
      code: "instance not unique",
      description: "document is not unique.",
      position: ["create"],
    });
    const page = await admin.query<Page<Ref>>(q.Paginate(q.Match(q.Index("accounts_by_sub"), "x"), { size: 1 }));
    assert.deepEqual(ids(page.data), [a.ref.id]);
  });
});
