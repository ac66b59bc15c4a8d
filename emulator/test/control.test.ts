/** §5.7: Let/Var/Lambda/Map/Foreach/Filter, Select, If/Do/Abort, comparison, logic, ContainsPath. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, rawQuery, assertBody, expectError, type Client, type Doc, type Page, invalidArg } from "./support.ts";

let target: FaunaTarget;
let c: Client;


before(async () => {
  target = await startTarget();
  c = target.client();
  await c.query(q.CreateCollection({ name: "items" }));
});
after(() => target.close());

describe("Let / Var / Lambda", () => {
  test("sequential bindings (driver array form)", async () => {
    assert.equal(await c.query(q.Let({ a: 1, b: q.Add(q.Var("a"), 1) }, q.Multiply(q.Var("a"), q.Var("b")))), 2);
  });

  test("object form of let is accepted and sequential", async () => {
    assertBody(await rawQuery(target.endpoint, target.adminSecret, '{"let":{"a":2,"b":{"var":"a"}},"in":{"add":[{"var":"a"},{"var":"b"}]}}'), 200, {
      resource: 4,
    });
  });

  test("inner Let shadows outer; lambdas capture bindings", async () => {
    assert.equal(await c.query(q.Let({ x: 1 }, q.Let({ x: 2 }, q.Var("x")))), 2);
    assert.deepEqual(await c.query(q.Let({ k: 10 }, q.Map([1, 2], q.Lambda("v", q.Add(q.Var("v"), q.Var("k")))))), [11, 12]);
  });

  test("array params destructure; '_' ignores", async () => {
    assert.deepEqual(
      await c.query(q.Map([[1, 2], [3, 4]], q.Lambda(["a", "b"], q.Add(q.Var("a"), q.Var("b"))))),
      [3, 7],
    );
    assert.deepEqual(await c.query(q.Map([1, 2], q.Lambda("_", "k"))), ["k", "k"]);
  });

  test("wrong destructuring length → invalid argument at [map, lambda]", async () => {
    await expectError(c.query(q.Map([[1, 2, 3]], q.Lambda(["a", "b"], q.Var("a")))), {
      ...invalidArg("Lambda expects an array with 2 elements. Array contains 3.", ["map", "lambda"]),
    });
  });
});

describe("Map / Foreach / Filter", () => {
  test("Map over an array", async () => {
    assert.deepEqual(await c.query(q.Map([1, 2, 3], q.Lambda("x", q.Multiply(q.Var("x"), 2)))), [2, 4, 6]);
  });

  test("Map over a Set → invalid argument at [collection]", async () => {
    await expectError(c.query(q.Map(q.Documents(q.Collection("items")), q.Lambda("x", q.Var("x")))), {
      ...invalidArg("Array or Page expected, Set provided.", ["collection"]),
    });
  });

  test("Foreach performs writes and returns its input unchanged", async () => {
    const res = await c.query(q.Foreach(["a", "b"], q.Lambda("n", q.Create(q.Collection("items"), { data: { n: q.Var("n") } }))));
    assert.deepEqual(res, ["a", "b"]);
    assert.equal(await c.query(q.Count(q.Documents(q.Collection("items")))), 2);
  });

  test("Filter on arrays and pages", async () => {
    assert.deepEqual(await c.query(q.Filter([1, 2, 3, 4], q.Lambda("x", q.GT(q.Var("x"), 2)))), [3, 4]);
    const page = await c.query<Page>(
      q.Filter(
        q.Map(q.Paginate(q.Documents(q.Collection("items"))), q.Lambda("r", q.Select(["data", "n"], q.Get(q.Var("r"))))),
        q.Lambda("n", q.Equals(q.Var("n"), "b")),
      ),
    );
    assert.deepEqual(page.data, ["b"]);
  });

  test("error position inside a Map lambda body is fixed at parse time", async () => {
    await expectError(c.query(q.Map([1, "x"], q.Lambda("v", q.Add(q.Var("v"), 1)))), {
      ...invalidArg("Number expected, String provided.", ["map", "expr", "add", 0]),
    });
  });
});

describe("Select / ContainsPath", () => {
  test("string, integer and array paths on objects, arrays, pages", async () => {
    assert.equal(await c.query(q.Select("a", { a: 1 })), 1);
    assert.equal(await c.query(q.Select(1, [1, 2])), 2);
    assert.equal(await c.query(q.Select([0, "a"], [{ a: 1 }])), 1);
    assert.equal(await c.query(q.Select(["a", "b", 1], { a: { b: [5, 6] } })), 6);
    const first = await c.query(q.Select(["data", 0], q.Paginate(q.Documents(q.Collection("items")))));
    assert.ok(first);
  });

  test("missing path with default → default; default evaluated only when needed", async () => {
    assert.equal(await c.query(q.Select("z", { a: 1 }, "dflt")), "dflt");
    assert.equal(await c.query(q.Select("a", { a: 1 }, q.Abort("must not run"))), 1);
    assert.equal(await c.query(q.Select("z", { a: 1 }, null)), null);
  });

  test("missing path without default → 404 value not found at [from]", async () => {
    await expectError(c.query(q.Select(["a", "b"], { a: {} })), {
      status: 404,
      code: "value not found",
      description: "Value not found at path [a,b].",
      position: ["from"],
    });
    await expectError(c.query(q.Select(5, [1, 2])), {
      status: 404,
      code: "value not found",
      description: "Value not found at path [5].",
      position: ["from"],
    });
    await expectError(c.query(q.Select(-1, [1, 2])), { status: 404, code: "value not found", position: ["from"] });
    await expectError(c.query(q.Select("a", [1, 2])), { status: 404, code: "value not found", position: ["from"] });
  });

  test("nested Select position includes the path to the form", async () => {
    await expectError(c.query(q.Let({ o: { a: 1 } }, q.Select("b", q.Var("o")))), {
      status: 404,
      code: "value not found",
      description: "Value not found at path [b].",
      position: ["in", "from"],
    });
  });

  test("Select on a document", async () => {
    const d = await c.query<Doc>(q.Create(q.Collection("items"), { data: { n: "sel" } }));
    assert.equal(await c.query(q.Select(["data", "n"], q.Get(d.ref))), "sel");
    assert.equal(await c.query(q.Select("ts", q.Get(d.ref))), d.ts);
  });

  test("ContainsPath never errors", async () => {
    assert.equal(await c.query(q.ContainsPath(["a", "c"], { a: { b: 1 } })), false);
    assert.equal(await c.query(q.ContainsPath(["a", "b"], { a: { b: 1 } })), true);
    assert.equal(await c.query(q.ContainsPath(["a", 1], { a: [0, 1] })), true);
    assert.equal(await c.query(q.ContainsPath(["a", 5], { a: [0, 1] })), false);
    assert.equal(await c.query(q.ContainsPath("x", [1])), false);
  });
});

describe("If / Do / Abort", () => {
  test("If evaluates only the chosen branch", async () => {
    assert.equal(await c.query(q.If(true, "t", q.Abort("no"))), "t");
    assert.equal(await c.query(q.If(false, q.Abort("no"), "e")), "e");
  });

  test("If with a non-boolean condition → invalid argument at [if]", async () => {
    await expectError(c.query(q.If(1, "t", "e")), invalidArg("Boolean expected, Integer provided.", ["if"]));
  });

  test("Do returns the last value; writes visible to later expressions", async () => {
    assert.equal(await c.query(q.Do(1, 2, 3)), 3);
    const r = q.Ref(q.Collection("items"), "77");
    const got = await c.query<Doc>(q.Do(q.Create(r, { data: { n: "do" } }), q.Update(r, { data: { m: 1 } }), q.Get(r)));
    assert.deepEqual(got.data, { n: "do", m: 1 });
  });

  test("Abort nested in Let reports its path", async () => {
    await expectError(c.query(q.Let({ a: 1 }, q.Abort("in let"))), {
      status: 400,
      code: "transaction aborted",
      description: "in let",
      position: ["in"],
    });
  });
});

describe("comparison and logic", () => {
  test("Equals: structural, 1 equals 1.0, one argument → true", async () => {
    assert.equal(await rawQuery(target.endpoint, target.adminSecret, '{"equals":[1,1.0]}').then((r) => r.json.resource), true);
    assert.equal(await c.query(q.Equals({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })), true);
    assert.equal(await c.query(q.Equals({ a: 1 }, { a: 2 })), false);
    assert.equal(await c.query(q.Equals("x")), true);
    assert.equal(await c.query(q.Equals("a", "a", "b")), false);
  });

  test("LT/LTE/GT/GTE chain; strings by ICU collation; mixed types by type order", async () => {
    assert.equal(await c.query(q.LT(1, 2, 3)), true);
    assert.equal(await c.query(q.LT(1, 3, 2)), false);
    assert.equal(await c.query(q.LTE(1, 1, 2)), true);
    assert.equal(await c.query(q.GT(3, 2, 1)), true);
    assert.equal(await c.query(q.GTE(3, 3, 1)), true);
    assert.equal(await c.query(q.LT("apple", "Banana", "cherry")), true);
    assert.equal(await c.query(q.LT("app", "apple")), true);
    assert.equal(await c.query(q.LT(1, 1.5, 2)), true);
    assert.equal(await c.query(q.LT(100, "a", [1], { a: 1 }, false, true, null as never)), true);
    assert.equal(await c.query(q.GT(q.Time("2021-01-01T00:00:00Z"), q.Time("2020-01-01T00:00:00Z"))), true);
    assert.equal(await c.query(q.LT(q.Date("2020-01-01"), q.Date("2020-01-02"))), true);
  });

  test("And/Or short-circuit; evaluated arguments must be booleans", async () => {
    assert.equal(await c.query(q.And(true, true)), true);
    assert.equal(await c.query(q.And(true, false)), false);
    assert.equal(await c.query(q.And(false, q.Abort("no"))), false);
    assert.equal(await c.query(q.Or(true, q.Abort("no"))), true);
    assert.equal(await c.query(q.Or(false, false)), false);
    await expectError(c.query(q.And(true, 1)), invalidArg("Boolean expected, Integer provided.", ["and", 1]));
    await expectError(c.query(q.Or(false, "x")), invalidArg("Boolean expected, String provided.", ["or", 1]));
  });

  test("Not requires a boolean", async () => {
    assert.equal(await c.query(q.Not(false)), true);
    await expectError(c.query(q.Not(0)), invalidArg("Boolean expected, Integer provided.", ["not"]));
  });

  test("IsNull", async () => {
    assert.equal(await c.query(q.IsNull(null as never)), true);
    assert.equal(await c.query(q.IsNull(0)), false);
  });
});
