/** Appendix S.4: Append/Prepend/Take/Drop, folds, Reduce, Merge, ToObject/ToArray, Select on arrays, type predicates. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, rawQuery, assertBody, expectError, ids, type Client, type Doc, type Page, type Ref, invalidArg } from "./support.ts";

let target: FaunaTarget;
let c: Client;
let doc: Doc;
const send = (expr: Parameters<typeof rawQuery>[2]) => rawQuery(target.endpoint, target.adminSecret, expr);
const eq = async (expr: Parameters<Client["query"]>[0], expected: unknown) => assert.deepEqual(await c.query(expr), expected);

before(async () => {
  target = await startTarget();
  c = target.client();
  await c.query(q.CreateCollection({ name: "n" }));
  await c.query(q.CreateIndex({ name: "n_v", source: q.Collection("n"), values: [{ field: ["data", "v"] }] }));
  for (let v = 5; v <= 9; v++) await c.query(q.Create(q.Ref(q.Collection("n"), String(v)), { data: { v } }));
  doc = await c.query<Doc>(q.Get(q.Ref(q.Collection("n"), "5")));
});
after(() => target.close());

describe("Append / Prepend / Take / Drop (S.4.2)", () => {
  test("Append and Prepend", async () => {
    await eq(q.Append([1], [2]), [2, 1]);
    await eq(q.Prepend([1], [2]), [1, 2]);
    await eq(q.Append(3, [1, 2]), [1, 2, 3]);
    await expectError(c.query(q.Append([1], 2)), invalidArg("Array expected, Integer provided.", ["collection"]));
  });

  test("Take / Drop on arrays: negatives and clamping", async () => {
    await eq(q.Take(2, [1, 2, 3]), [1, 2]);
    await eq(q.Take(-1, [1, 2, 3]), []);
    await eq(q.Take(10, [1, 2]), [1, 2]);
    await eq(q.Drop(1, [1, 2, 3]), [2, 3]);
    await eq(q.Drop(-1, [1, 2, 3]), [1, 2, 3]);
    await eq(q.Drop(10, [1, 2]), []);
  });

  test("Take / Drop errors: n must be an Integer; sets are not accepted", async () => {
    await expectError(c.query(q.Take("2", [1])), invalidArg("Integer expected, String provided.", ["take"]));
    await expectError(c.query(q.Take(1, q.Match(q.Index("n_v")))), invalidArg("Array or Page expected, Set provided.", ["collection"]));
  });

  test("Take / Drop on pages keep cursors consistent", async () => {
    const page = q.Paginate(q.Match(q.Index("n_v")), { size: 4 });
    const took = await c.query<Page>(q.Take(2, page));
    assert.deepEqual(took.data, [5, 6]);
    assert.equal((took.after as unknown[])[0], 7);
    const dropped = await c.query<Page>(q.Drop(2, page));
    assert.deepEqual(dropped.data, [7, 8]);
    assert.equal((dropped.before as unknown[])[0], 7);
    assert.equal((dropped.after as unknown[])[0], 9);
  });

  test("Take / Drop cursors are the elements' full cursors (values then ref), even after Map", async () => {
    const page = q.Paginate(q.Match(q.Index("n_v")), { size: 4 });
    // Paginate's own cursor for the element 7 (the first one past a page of 2) names its document.
    const full = await c.query<Page>(q.Paginate(q.Match(q.Index("n_v")), { size: 2 }));
    const took = await c.query<Page>(q.Take(2, q.Map(page, q.Lambda("x", q.Multiply(q.Var("x"), 10)))));
    assert.deepEqual(took.data, [50, 60]);
    assert.equal((took.after as unknown[]).length, 2);
    assert.deepEqual(took.after, full.after);
    const dropped = await c.query<Page>(q.Drop(2, page));
    assert.deepEqual(dropped.before, full.after);
  });
});

describe("Take / Drop edge cases on pages (S.4.2)", () => {
  test("Take(n ≤ 0) → empty data, after = the page's before; Drop past the end → before = the page's after", async () => {
    const page = q.Paginate(q.Match(q.Index("n_v")), { after: [7], size: 2 });
    const base = await c.query<Page>(page);
    assert.deepEqual(base.data, [7, 8]);
    const took = await c.query<Page>(q.Take(0, page));
    assert.deepEqual(took.data, []);
    assert.equal((took.after as unknown[])[0], 7);
    const dropped = await c.query<Page>(q.Drop(5, page));
    assert.deepEqual(dropped.data, []);
    assert.equal((dropped.before as unknown[])[0], 9);
  });
});

describe("folds (S.4.3)", () => {
  test("Count / Sum / Mean / Any / All on arrays", async () => {
    await eq(q.Count([1, 2, 3]), 3);
    await eq(q.Sum([1, 2, 3]), 6);
    await eq(q.Sum([]), 0);
    await eq(q.Mean(Array.from({ length: 1000 }, (_, i) => i + 1)), 500.5);
    await eq(q.Any([false, true]), true);
    await eq(q.Any([]), false);
    await eq(q.All([true, false]), false);
    await eq(q.All([]), true);
  });

  test("Sum switches to Double at the first Double; Mean is always Double", async () => {
    assertBody(await send('{"sum":[1,2]}'), 200, { resource: 3 });
    assert.equal((await send('{"sum":[1,2.0]}')).text, '{"resource":3.0}');
    assert.equal((await send('{"mean":[2,4]}')).text, '{"resource":3.0}');
  });

  test("Max / Min use the total order and return the element unchanged", async () => {
    await eq(q.Max([1, 5, 3]), 5);
    await eq(q.Min([4, 2, 8]), 2);
    await eq(q.Max("A", 1), "A");
    await eq(q.Min("A", 1), 1);
    await eq(q.Max(-1.2, 12, 100), 100);
    assertBody(await send('{"max":[[1,5]]}'), 200, { resource: 5 });
  });

  test("empty and type errors", async () => {
    await expectError(c.query(q.Mean([])), invalidArg("Non-empty array expected.", ["mean"]));
    await expectError(c.query(q.Max([])), invalidArg("Non-empty array expected.", ["max"]));
    await expectError(c.query(q.Sum([1, "a"])), invalidArg("Number expected, String provided.", ["sum"]));
    await expectError(c.query(q.All([true, "x"])), invalidArg("Boolean expected, String provided.", ["all"]));
    await expectError(c.query(q.Sum(5)), invalidArg("Array, Set, or Page expected, Integer provided.", ["sum"]));
    await expectError(c.query(q.Max(5)), invalidArg("Array, Set, or Page expected, Integer provided.", ["max"]));
  });

  test("folds over a Set give plain values; over a Page give a page", async () => {
    await eq(q.Sum(q.Match(q.Index("n_v"))), 35);
    await eq(q.Max(q.Match(q.Index("n_v"))), 9);
    await eq(q.Count(q.Match(q.Index("n_v"))), 5);
    const page = await c.query<Page>(q.Sum(q.Paginate(q.Match(q.Index("n_v")), { size: 2 })));
    assert.deepEqual(page.data, [11]);
    assert.equal((page.after as unknown[])[0], 7);
  });

  test("Reduce over arrays, sets and pages", async () => {
    await eq(q.Reduce(q.Lambda(["acc", "v"], q.Add(q.Var("acc"), q.Var("v"))), 0, [1, 2, 3]), 6);
    await eq(q.Reduce(q.Lambda(["acc", "v"], q.Add(q.Var("acc"), q.Var("v"))), 100, []), 100);
    await eq(q.Reduce(q.Lambda("pair", q.Select(1, q.Var("pair"))), 0, [1, 2, 3]), 3);
    await eq(q.Reduce(q.Lambda(["acc", "v"], q.Add(q.Var("acc"), q.Var("v"))), 0, q.Match(q.Index("n_v"))), 35);
    const page = await c.query<Page>(
      q.Reduce(q.Lambda(["acc", "v"], q.Add(q.Var("acc"), q.Var("v"))), 0, q.Paginate(q.Match(q.Index("n_v")))),
    );
    assert.deepEqual(page.data, [35]);
  });

  test("Reduce errors", async () => {
    assertBody(await send('{"reduce":1,"initial":0,"collection":[1]}'), 400, {
      errors: [{ position: ["reduce"], code: "invalid expression", description: "Lambda expected, Integer provided." }],
    });
    await expectError(
      c.query(q.Reduce(q.Lambda(["a", "b"], q.Var("a")), 0, "x")),
      invalidArg("Array, Set, or Page expected, String provided.", ["collection"]),
    );
    await expectError(
      c.query(q.Reduce(q.Lambda(["a", "b", "c"], q.Var("a")), 0, [1])),
      invalidArg("Lambda expects an array with 3 elements. Array contains 2.", ["reduce", "lambda"]),
    );
    await expectError(
      c.query(q.Reduce(q.Lambda(["acc", "v"], q.Add(q.Var("acc"), q.Var("v"))), 0, [1, "x"])),
      invalidArg("Number expected, String provided.", ["reduce", "expr", "add", 1]),
    );
  });
});

describe("Merge / ToObject / ToArray (S.4.4)", () => {
  test("shallow merge; null removes; array of objects left to right", async () => {
    await eq(q.Merge({ a: 1 }, { b: 2 }), { a: 1, b: 2 });
    await eq(q.Merge({ x: 10, z: -1 }, { z: null }), { x: 10 });
    await eq(q.Merge({ a: { b: 1 } }, { a: { c: 2 } }), { a: { c: 2 } });
    await eq(q.Merge({ a: 1 }, [{ a: 2, b: 1 }, { a: 3 }]), { a: 3, b: 1 });
  });

  test("a resolver lambda gets [key, left, right]", async () => {
    await eq(q.Merge({ a: 1, b: 2 }, { a: 10, c: 3 }, q.Lambda(["k", "l", "r"], q.If(q.IsNull(q.Var("l")), q.Var("r"), q.Var("l")))), {
      a: 1,
      b: 2,
      c: 3,
    });
  });

  test("a document is accepted and treated as its fields; data is replaced, not merged", async () => {
    const merged = await c.query<Record<string, unknown>>(q.Merge(q.Get(doc.ref), { data: { z: 30 } }));
    assert.deepEqual(merged.data, { z: 30 });
    assert.equal((merged.ref as Ref).id, "5");
    assert.equal(merged.ts, doc.ts);
  });

  test("result key order: left keys then new keys", async () => {
    assertBody(await send(q.Merge({ b: 1, a: 2 }, { c: 3, a: 4 })), 200, { resource: { b: 1, a: 4, c: 3 } });
  });

  test("Merge errors", async () => {
    await expectError(c.query(q.Merge("x", {})), invalidArg("Object expected, String provided.", ["merge"]));
    await expectError(c.query(q.Merge({}, 5)), invalidArg("Object expected, Integer provided.", ["with"]));
    const errs = await expectError(c.query(q.Merge({}, [1, "x"])), invalidArg("Object expected, Integer provided.", ["with", 0]));
    assert.equal(errs.length, 2, "all bad arguments are reported together");
    assert.deepEqual(errs[1], { position: ["with", 1], code: "invalid argument", description: "Object expected, String provided." });
    assertBody(await send('{"merge":{"object":{}},"with":{"object":{}},"lambda":"x"}'), 400, {
      errors: [{ position: ["lambda"], code: "invalid expression", description: "Lambda expected, String provided." }],
    });
  });

  test("ToObject / ToArray", async () => {
    await eq(q.ToObject([["a", 1], ["b", 2]]), { a: 1, b: 2 });
    await eq(q.ToObject({ a: 1 }), { a: 1 });
    await eq(q.ToArray({ a: 1, b: 2 }), [["a", 1], ["b", 2]]);
    await eq(q.ToArray({ z: null }), [["z", null]]);
    await eq(q.ToArray([1, 2]), [1, 2]);
    const pairs = await c.query<[string, unknown][]>(q.ToArray(q.Get(doc.ref)));
    assert.deepEqual(pairs.map(([k]) => k), ["ref", "ts", "data"]);
  });

  test("ToObject / ToArray errors", async () => {
    await expectError(c.query(q.ToObject([["a", 1], [1, 2]])), invalidArg("Field/Value expected, Array provided.", ["to_object", 1]));
    await expectError(c.query(q.ToObject("s")), invalidArg("Cannot cast String to Object.", ["to_object"]));
    await expectError(c.query(q.ToArray(q.Paginate(q.Match(q.Index("n_v"))))), invalidArg("Cannot cast Page to Array.", ["to_array"]));
  });
});

describe("Select on arrays (S.4.5)", () => {
  test("integer paths index arrays and page data; out of range → 404 at [from]", async () => {
    await eq(q.Select(1, [1, 2]), 2);
    await eq(q.Select(["data", 1], q.Paginate(q.Match(q.Index("n_v")))), 6);
    await eq(q.Select(5, [1], "d"), "d");
    await expectError(c.query(q.Select(5, [1])), {
      status: 404,
      code: "value not found",
      description: "Value not found at path [5].",
      position: ["from"],
    });
  });
});

describe("type predicates (S.4.6)", () => {
  test("numbers, strings, booleans, null, times, dates", async () => {
    assertBody(
      await send(
        '[{"is_number":1},{"is_number":1.5},{"is_integer":1},{"is_integer":1.0},{"is_double":1.0},{"is_double":1},' +
          '{"is_boolean":false},{"is_null":null},{"is_string":"s"},{"is_string":1},' +
          '{"is_timestamp":{"now":null}},{"is_timestamp":{"date":"2020-01-01"}},{"is_date":{"date":"2020-01-01"}},{"is_bytes":{"@bytes":"AQ=="}}]',
      ),
      200,
      { resource: [true, true, true, false, true, false, true, true, true, false, true, false, true, true] },
    );
  });

  test("arrays vs objects vs pages vs documents", async () => {
    await eq(
      [
        q.IsArray([1]),
        q.IsArray({ a: 1 }),
        q.IsArray(q.Paginate(q.Match(q.Index("n_v")))),
        q.IsObject({ a: 1 }),
        q.IsObject(q.Paginate(q.Match(q.Index("n_v")))),
        q.IsObject(q.Get(doc.ref)),
        q.IsObject([1]),
      ],
      [true, false, false, true, true, true, false],
    );
  });

  test("refs, sets, docs, lambdas", async () => {
    await eq(
      [
        q.IsRef(doc.ref),
        q.IsRef(q.Collection("nope")),
        q.IsRef("n/5"),
        q.IsSet(q.Match(q.Index("n_v"))),
        q.IsSet(q.Collections()),
        q.IsSet(q.Tokens()),
        q.IsSet([1]),
        q.IsDoc(doc.ref),
        q.IsDoc(q.Collection("n")),
        q.IsDoc(q.Get(doc.ref)),
        q.IsDoc(q.Collection("nope")),
        q.IsLambda(q.Query(q.Lambda("x", q.Var("x")))),
        q.IsLambda(1),
      ],
      [true, true, false, true, true, true, false, true, true, true, false, true, false],
    );
  });

  test("schema kind predicates", async () => {
    await c.query(q.CreateFunction({ name: "f", body: q.Query(q.Lambda("x", q.Var("x"))) }));
    await c.query(q.CreateRole({ name: "r", privileges: [] }));
    await eq(
      [
        q.IsCollection(q.Collection("n")),
        q.IsCollection(q.Collection("nope")),
        q.IsCollection(q.Index("n_v")),
        q.IsIndex(q.Index("n_v")),
        q.IsFunction(q.Function("f")),
        q.IsRole(q.Role("r")),
        q.IsDatabase(q.Collection("n")),
        q.IsToken(doc.ref),
        q.IsKey(doc.ref),
        q.IsCredentials(doc.ref),
      ],
      [true, false, false, true, true, true, false, false, false, false],
    );
  });

  test("Documents ids used in these tests", async () => {
    assert.deepEqual(ids((await c.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("n"))))).data), ["5", "6", "7", "8", "9"]);
  });
});
