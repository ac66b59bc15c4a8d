/** Appendix S.1: Union, Intersection, Difference, Distinct, Join, Reverse, IsEmpty, IsNonEmpty. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, rawQuery, assertBody, expectError, ids, docJ, indexJ, collJ, type Client, type Page, type Ref, invalidArg } from "./support.ts";

let target: FaunaTarget;
let c: Client;
const send = (expr: Parameters<typeof rawQuery>[2]) => rawQuery(target.endpoint, target.adminSecret, expr);
const tagA = () => q.Match(q.Index("by_tag"), "a");
const tagB = () => q.Match(q.Index("by_tag"), "b");

before(async () => {
  target = await startTarget();
  c = target.client();
  for (const name of ["docs", "posts", "s1", "s2", "s3"]) await c.query(q.CreateCollection({ name }));
  await c.query(q.CreateIndex({ name: "by_tag", source: q.Collection("docs"), terms: [{ field: ["data", "tags"] }] }));
  await c.query(q.CreateIndex({ name: "posts_by_author", source: q.Collection("posts"), terms: [{ field: ["data", "author"] }] }));
  for (const s of ["s1", "s2", "s3"]) {
    await c.query(q.CreateIndex({ name: `${s}_n`, source: q.Collection(s), values: [{ field: ["data", "n"] }] }));
  }
  await c.query(q.CreateIndex({ name: "s1_n_desc", source: q.Collection("s1"), values: [{ field: ["data", "n"], reverse: true }] }));
  await c.query(q.Create(q.Ref(q.Collection("docs"), "101"), { data: { tags: ["a", "b"] } }));
  await c.query(q.Create(q.Ref(q.Collection("docs"), "102"), { data: { tags: ["a"] } }));
  await c.query(q.Create(q.Ref(q.Collection("docs"), "103"), { data: { tags: ["b"] } }));
  await c.query(q.Create(q.Ref(q.Collection("posts"), "201"), { data: { author: q.Ref(q.Collection("docs"), "101") } }));
  await c.query(q.Create(q.Ref(q.Collection("posts"), "202"), { data: { author: q.Ref(q.Collection("docs"), "102") } }));
  await c.query(q.Create(q.Ref(q.Collection("posts"), "203"), { data: { author: q.Ref(q.Collection("docs"), "103") } }));
  const fill = (coll: string, ns: number[]) =>
    c.query(q.Foreach(ns, q.Lambda("n", q.Create(q.Collection(coll), { data: { n: q.Var("n") } }))));
  await fill("s1", [1, 2, 2, 3, 3, 3]);
  await fill("s2", [1, 2, 2, 2, 3, 3]);
  await fill("s3", [1, 4]);
});
after(() => target.close());

describe("sets: exact pages (S.1.5)", () => {
  test("Intersection of two matches → [101] (exact JSON)", async () => {
    assertBody(await send(q.Paginate(q.Intersection(tagA(), tagB()))), 200, { resource: { data: [docJ("docs", "101")] } });
  });

  test("Union of two matches, size 2 → after [103], data [101, 102] (exact JSON)", async () => {
    assertBody(await send(q.Paginate(q.Union(tagA(), tagB()), { size: 2 })), 200, {
      resource: { after: [docJ("docs", "103")], data: [docJ("docs", "101"), docJ("docs", "102")] },
    });
  });

  test("Difference: elements of the first set in none of the others", async () => {
    assert.deepEqual(ids((await c.query<Page<Ref>>(q.Paginate(q.Difference(tagA(), tagB())))).data), ["102"]);
    assert.deepEqual(ids((await c.query<Page<Ref>>(q.Paginate(q.Difference(q.Documents(q.Collection("docs")), tagA())))).data), ["103"]);
  });

  test("Union/Intersection multiplicity on value indexes: max / min copies", async () => {
    assert.deepEqual((await c.query<Page>(q.Paginate(q.Union(q.Match(q.Index("s1_n")), q.Match(q.Index("s2_n")))))).data, [1, 2, 2, 2, 3, 3, 3]);
    assert.deepEqual((await c.query<Page>(q.Paginate(q.Intersection(q.Match(q.Index("s1_n")), q.Match(q.Index("s2_n")))))).data, [1, 2, 2, 3, 3]);
  });

  test("Difference on value sets drops every copy present elsewhere", async () => {
    assert.deepEqual((await c.query<Page>(q.Paginate(q.Difference(q.Match(q.Index("s3_n")), q.Match(q.Index("s1_n")))))).data, [4]);
    assert.deepEqual((await c.query<Page>(q.Paginate(q.Difference(q.Match(q.Index("s1_n")), q.Match(q.Index("s2_n")))))).data, []);
  });

  test("Distinct(set) collapses equal values; Union(Distinct(s), s) = s", async () => {
    assert.deepEqual((await c.query<Page>(q.Paginate(q.Distinct(q.Match(q.Index("s1_n")))))).data, [1, 2, 3]);
    assert.deepEqual(
      (await c.query<Page>(q.Paginate(q.Union(q.Distinct(q.Match(q.Index("s1_n"))), q.Match(q.Index("s1_n")))))).data,
      [1, 2, 2, 3, 3, 3],
    );
  });

  test("Count, Exists, Get treat composite sets like simple ones", async () => {
    assert.equal(await c.query(q.Count(q.Union(tagA(), tagB()))), 3);
    assert.equal(await c.query(q.Exists(q.Intersection(tagA(), tagB()))), true);
    assert.equal(await c.query(q.Select(["ref", "id"], q.Get(q.Intersection(tagA(), tagB())))), "101");
  });

  test("Union pages: after cursor continues the composite set", async () => {
    const p1 = await c.query<Page<Ref>>(q.Paginate(q.Union(tagA(), tagB()), { size: 2 }));
    const p2 = await c.query<Page<Ref>>(q.Paginate(q.Union(tagA(), tagB()), { size: 2, after: p1.after }));
    assert.deepEqual(ids(p2.data), ["103"]);
  });
});

describe("Reverse (S.1.4)", () => {
  test("Reverse(set) pages start at the largest element and continue downwards", async () => {
    const s = q.Reverse(q.Documents(q.Collection("docs")));
    const p1 = await c.query<Page<Ref>>(q.Paginate(s, { size: 2 }));
    assert.deepEqual(ids(p1.data), ["103", "102"]);
    assert.ok(p1.after);
    const p2 = await c.query<Page<Ref>>(q.Paginate(s, { size: 2, after: p1.after }));
    assert.deepEqual(ids(p2.data), ["101"]);
  });

  test("Reverse of a value set and of arrays", async () => {
    assert.deepEqual((await c.query<Page>(q.Paginate(q.Reverse(q.Match(q.Index("s3_n")))))).data, [4, 1]);
    assert.deepEqual(await c.query(q.Reverse([1, 2, 3])), [3, 2, 1]);
  });

  test("Reverse(page) reverses data and keeps the cursors", async () => {
    const page = await c.query<Page<Ref>>(q.Reverse(q.Paginate(q.Documents(q.Collection("docs")), { size: 2 })));
    assert.deepEqual(ids(page.data), ["102", "101"]);
    assert.deepEqual(ids(page.after as unknown[]), ["103"]);
  });

  test("Reverse(5) → Array, Set, or Page expected at [reverse]", async () => {
    await expectError(c.query(q.Reverse(5)), invalidArg("Array, Set, or Page expected, Integer provided.", ["reverse"]));
  });
});

describe("Reverse + Range, mirrored cursors (S.1.4)", () => {
  test("Range(Reverse(s), 3, 2) ≡ Reverse(Range(s, 2, 3)) (bounds given in reversed order)", async () => {
    const s = q.Match(q.Index("s1_n"));
    assert.deepEqual((await c.query<Page>(q.Paginate(q.Range(q.Reverse(s), 3, 2)))).data, [3, 3, 3, 2, 2]);
    assert.deepEqual((await c.query<Page>(q.Paginate(q.Reverse(q.Range(s, 2, 3))))).data, [3, 3, 3, 2, 2]);
  });

  test("on a reversed set, before: null yields nothing (null sorts first)", async () => {
    const p = await c.query<Page>(q.Paginate(q.Reverse(q.Documents(q.Collection("docs"))), { before: null as never }));
    assert.deepEqual(p.data, []);
  });
});

describe("permissions on composite sets (S.1.4)", () => {
  let tok: Client;
  before(async () => {
    await c.query(q.CreateCollection({ name: "members" }));
    await c.query(
      q.CreateRole({
        name: "tag_reader",
        membership: { resource: q.Collection("members") },
        privileges: [
          { resource: q.Index("by_tag"), actions: { read: true } },
          { resource: q.Collection("docs"), actions: { read: true } },
        ],
      }),
    );
    const m = await c.query<{ ref: Ref }>(q.Create(q.Collection("members"), {}));
    const t = await c.query<{ secret: string }>(q.Create(q.Tokens(), { instance: m.ref }));
    tok = target.client(t.secret);
  });

  test("an unreadable component of a Union is silently dropped", async () => {
    const p = await tok.query<Page<Ref>>(q.Paginate(q.Union(tagA(), q.Match(q.Index("posts_by_author"), q.Ref(q.Collection("docs"), "101")))));
    assert.deepEqual(ids(p.data), ["101", "102"]);
  });

  test("every component unreadable → 403 at [paginate]", async () => {
    await expectError(
      tok.query(q.Paginate(q.Union(q.Match(q.Index("s1_n")), q.Match(q.Index("s2_n"))))),
      { status: 403, code: "permission denied", description: "Insufficient privileges to perform the action.", position: ["paginate"] },
    );
  });

  test("Difference: unreadable subtrahend dropped; unreadable first set → 403", async () => {
    const p = await tok.query<Page<Ref>>(
      q.Paginate(q.Difference(tagA(), q.Match(q.Index("posts_by_author"), q.Ref(q.Collection("docs"), "101")))),
    );
    assert.deepEqual(ids(p.data), ["101", "102"]);
    await expectError(tok.query(q.Count(q.Difference(q.Match(q.Index("posts_by_author"), q.Ref(q.Collection("docs"), "101")), tagA()))), {
      status: 403,
      code: "permission denied",
      position: ["count"],
    });
  });
});

describe("Join (S.1.4)", () => {
  test("Join(source, Index) uses each source ref as the target's terms", async () => {
    const p = await c.query<Page<Ref>>(q.Paginate(q.Join(tagA(), q.Index("posts_by_author"))));
    assert.deepEqual(ids(p.data), ["201", "202"]);
  });

  test("Join(source, Lambda) with a pure lambda returning a set", async () => {
    const p = await c.query<Page<Ref>>(
      q.Paginate(q.Join(tagB(), q.Lambda("r", q.Match(q.Index("posts_by_author"), q.Var("r"))))),
    );
    assert.deepEqual(ids(p.data), ["201", "203"]);
  });

  test("a join lambda that reads → invalid argument at [paginate, with]", async () => {
    await expectError(
      c.query(q.Paginate(q.Join(tagA(), q.Lambda("r", q.Get(q.Var("r")))))),
      invalidArg("Invalid lambda. Lambda in this context may not read, write, or call a user function.", ["paginate", "with"]),
    );
  });

  test("Join argument errors", async () => {
    await expectError(c.query(q.Join([1], q.Index("posts_by_author"))), invalidArg("Ref or Set expected, Array provided.", ["join"]));
    await expectError(
      c.query(q.Join(q.Ref(q.Collection("docs"), "101"), q.Index("posts_by_author"))),
      invalidArg("Set expected, Ref provided.", ["join"]),
    );
    await expectError(
      c.query(q.Join(tagA(), q.Collection("docs"))),
      invalidArg("Lambda or Index Ref expected, Collection Ref provided.", ["with"]),
    );
    await expectError(c.query(q.Join(tagA(), q.Index("nope"))), {
      status: 400,
      code: "invalid ref",
      description: "Ref refers to undefined index 'nope'",
      position: ["with"],
    });
  });
});

describe("arrays (S.1.3)", () => {
  test("union / intersection / difference / distinct, verbatim server examples", async () => {
    assert.deepEqual(await c.query(q.Union([3, 2, 2, 1], [6, 5, 9, 1])), [3, 2, 2, 1, 6, 5, 9]);
    assert.deepEqual(await c.query(q.Union([2, 2], [2, 2, 2])), [2, 2, 2]);
    assert.deepEqual(await c.query(q.Union([1, 2, 2, 3, 3, 3], [1, 2, 2, 2, 3, 3])), [1, 2, 2, 2, 3, 3, 3]);
    assert.deepEqual(await c.query(q.Intersection([1, 2, 2, 3], [1, 2, 2, 5])), [1, 2, 2]);
    assert.deepEqual(await c.query(q.Intersection([3, 2, 2, 1], [2, 2, 1, 0])), [2, 2, 1]);
    assert.deepEqual(await c.query(q.Difference([1, 2, 2, 3, 3], [3])), [1, 2, 2, 3]);
    assert.deepEqual(await c.query(q.Difference([3, 2, 2, 1, 3], [3])), [2, 2, 1, 3]);
    assert.deepEqual(await c.query(q.Distinct([4, 4, 2, 2, 3, 3, 1, 1])), [4, 2, 3, 1]);
  });

  test("one argument returns the array unchanged", async () => {
    assert.deepEqual(await c.query(q.Union([[3, 1, 3]] as never)), [3, 1, 3]);
  });

  test("arrays compare strictly: 1 and 1.0 are different elements", async () => {
    assert.equal((await send('{"distinct":[1,1.0,1]}')).text, '{"resource":[1,1.0]}');
  });

  test("IsEmpty / IsNonEmpty on arrays, pages and sets", async () => {
    assert.deepEqual(await c.query([q.IsEmpty([]), q.IsEmpty([1]), q.IsNonEmpty([]), q.IsNonEmpty([1])]), [true, false, false, true]);
    assert.equal(await c.query(q.IsEmpty(q.Match(q.Index("by_tag"), "zzz"))), true);
    assert.equal(await c.query(q.IsNonEmpty(tagA())), true);
    assert.equal(await c.query(q.IsEmpty(q.Paginate(tagA()))), false);
    await expectError(c.query(q.IsEmpty(1)), invalidArg("Array, Set, or Page expected, Integer provided.", ["is_empty"]));
  });

  test("Distinct(page) applies to data and keeps cursors", async () => {
    const page = await c.query<Page>(q.Distinct(q.Paginate(q.Match(q.Index("s1_n")), { size: 4 })));
    assert.deepEqual(page.data, [1, 2, 3]);
    assert.ok(Array.isArray(page.after));
  });
});

describe("set argument errors (S.1.2)", () => {
  test("mixing sets and arrays", async () => {
    await expectError(
      c.query(q.Union(tagA(), [1])),
      invalidArg("Arguments cannot be of different types, expected Set or Array.", ["union"]),
    );
  });

  test("Union([1,2]) is two scalar arguments → two errors", async () => {
    const errs = await expectError(c.query(q.Union([1, 2])), invalidArg("Array, Set, or Page expected, Integer provided.", ["union", 0]));
    assert.equal(errs.length, 2);
    assert.deepEqual(errs[1]!.position, ["union", 1]);
  });

  test("{union: []} → Non-empty array expected.", async () => {
    assertBody(await send('{"union":[]}'), 400, {
      errors: [{ position: ["union"], code: "invalid argument", description: "Non-empty array expected." }],
    });
  });

  test("a page as argument → Set or Array expected, Page provided.", async () => {
    await expectError(c.query(q.Union(q.Paginate(tagA()))), invalidArg("Set or Array expected, Page provided.", ["union"]));
  });

  test("sets with different reverse flags are not compatible", async () => {
    await expectError(
      c.query(q.Paginate(q.Union(q.Match(q.Index("s1_n")), q.Match(q.Index("s1_n_desc"))))),
      { status: 400, code: "invalid argument", description: "Sets are not compatible." },
    );
  });

  test("Distinct(5)", async () => {
    await expectError(c.query(q.Distinct(5)), invalidArg("Array, Set, or Page expected, Integer provided.", ["distinct"]));
  });
});

describe("set rendering (S.1.6)", () => {
  const m = (t: string) => ({ "@set": { match: indexJ("by_tag"), terms: t } });

  test("Union(a,b), Union(a), Intersection, Difference, Distinct, Reverse, Join(Index)", async () => {
    assertBody(await send(q.Union(tagA(), tagB())), 200, { resource: { "@set": { union: [m("a"), m("b")] } } });
    assertBody(await send(q.Union(tagA())), 200, { resource: { "@set": { union: m("a") } } });
    assertBody(await send(q.Intersection(tagA(), tagB())), 200, { resource: { "@set": { intersection: [m("a"), m("b")] } } });
    assertBody(await send(q.Difference(tagA(), tagB())), 200, { resource: { "@set": { difference: [m("a"), m("b")] } } });
    assertBody(await send(q.Distinct(tagA())), 200, { resource: { "@set": { distinct: m("a") } } });
    assertBody(await send(q.Reverse(q.Documents(q.Collection("docs")))), 200, {
      resource: { "@set": { reverse: { "@set": { documents: collJ("docs") } } } },
    });
    assertBody(await send(q.Join(tagA(), q.Index("posts_by_author"))), 200, {
      resource: { "@set": { join: m("a"), with: indexJ("posts_by_author") } },
    });
  });

  test("Join(a, Lambda) renders the lambda as a plain object (no @query tag)", async () => {
    const res = await send(q.Join(tagA(), q.Lambda("x", q.Match(q.Index("posts_by_author"), q.Var("x")))));
    assert.equal(res.status, 200, res.text);
    const set = res.json.resource["@set"];
    assert.deepEqual(set.join, m("a"));
    assert.deepEqual(Object.keys(set.with), ["api_version", "lambda", "expr"]);
    assert.equal(set.with.api_version, "4");
    assert.equal(set.with.lambda, "x");
    assert.deepEqual(set.with.expr.terms, { var: "x" });
  });

  test("composite sets round-trip through the driver", async () => {
    const set = await c.query(q.Union(tagA(), tagB()));
    assert.deepEqual(ids((await c.query<Page<Ref>>(q.Paginate(set as never))).data), ["101", "102", "103"]);
    const joined = await c.query(q.Join(tagA(), q.Lambda("x", q.Match(q.Index("posts_by_author"), q.Var("x")))));
    assert.deepEqual(ids((await c.query<Page<Ref>>(q.Paginate(joined as never))).data), ["201", "202"]);
  });
});

describe("native collections inside composite sets", () => {
  test("render as plain refs (S.1.6)", async () => {
    const r = await send(q.Union(q.Collections(), q.Documents(q.Collection("docs"))));
    assert.equal(r.status, 200, r.text);
    const set = (r.json as { resource: { "@set": { union: unknown[] } } }).resource["@set"].union;
    assert.deepEqual(set[0], { "@ref": { id: "collections" } });
  });
});
