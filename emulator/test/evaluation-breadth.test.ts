/**
 * Issue 10, evaluator breadth: varargs evaluated before they are spread, the And/Or
 * operand rules, `self` refs, and ContainsValue on every kind of container.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, expectError, invalidArg, rawQuery, type Client, type Doc, type Page, type Ref } from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;
let user: Ref;
let other: Ref;
let token: { ref: Ref; secret: string };
let tokenClient: Client;

const INVALID_REF = { status: 400, code: "invalid expression", description: "Invalid ref." } as const;

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateCollection({ name: "users" }));
  await admin.query(q.CreateCollection({ name: "things" }));
  await admin.query(q.CreateIndex({ name: "things_by_n", source: q.Collection("things"), values: [{ field: ["data", "n"] }] }));
  user = (await server.query<Doc>(q.Create(q.Collection("users"), { data: { name: "ann" }, credentials: { password: "pw-ann" } }))).ref;
  other = (await server.query<Doc>(q.Create(q.Collection("users"), { data: { name: "bob" } }))).ref;
  for (const n of [1, 2, 3]) await server.query(q.Create(q.Collection("things"), { data: { n } }));
  token = await server.query<{ ref: Ref; secret: string }>(q.Login(user, { password: "pw-ann" }));
  tokenClient = target.client(token.secret);
});
after(() => target.close());

describe("varargs are evaluated, then spread", () => {
  test("Let({x:[2,3,5]}, Add(Var('x'))) is 10; the same for Multiply/Subtract/Divide/Modulo", async () => {
    const withX = (x: unknown, e: unknown) => admin.query(q.Let({ x }, e as never));
    assert.equal(await withX([2, 3, 5], q.Add(q.Var("x"))), 10);
    assert.equal(await withX([2, 3, 5], q.Multiply(q.Var("x"))), 30);
    assert.equal(await withX([20, 3, 5], q.Subtract(q.Var("x"))), 12);
    assert.equal(await withX([60, 3, 5], q.Divide(q.Var("x"))), 4);
    assert.equal(await withX([17, 5], q.Modulo(q.Var("x"))), 2);
    assert.equal(await withX([12, 10], q.BitAnd(q.Var("x"))), 8);
    assert.equal(await withX([12, 3], q.BitOr(q.Var("x"))), 15);
    assert.equal(await withX([12, 10], q.BitXor(q.Var("x"))), 6);
  });

  test("comparison and equality spread an array variable", async () => {
    const withX = (x: unknown, e: unknown) => admin.query(q.Let({ x }, e as never));
    assert.equal(await withX([1, 1, 1], q.Equals(q.Var("x"))), true);
    assert.equal(await withX([1, 2], q.Equals(q.Var("x"))), false);
    assert.equal(await withX([1, 2, 3], q.LT(q.Var("x"))), true);
    assert.equal(await withX([1, 1, 3], q.LT(q.Var("x"))), false);
    assert.equal(await withX([1, 1, 3], q.LTE(q.Var("x"))), true);
    assert.equal(await withX([3, 2, 1], q.GT(q.Var("x"))), true);
    assert.equal(await withX([3, 3, 1], q.GTE(q.Var("x"))), true);
  });

  test("a bare value that is no array is the only operand", async () => {
    assert.equal(await admin.query(q.Let({ x: 7 }, q.Add(q.Var("x")))), 7);
    assert.equal(await admin.query(q.Let({ x: "a" }, q.Equals(q.Var("x")))), true);
  });

  test("Union/Intersection/Difference of an array of arrays held in a variable", async () => {
    const x = [
      [1, 2],
      [2, 3],
    ];
    assert.deepEqual(await admin.query(q.Let({ x }, q.Union(q.Var("x")))), [1, 2, 3]);
    assert.deepEqual(await admin.query(q.Let({ x }, q.Intersection(q.Var("x")))), [2]);
    assert.deepEqual(await admin.query(q.Let({ x }, q.Difference(q.Var("x")))), [1]);
  });

  test("Union of an array of sets held in a variable reads the union", async () => {
    const page = await admin.query<Page>(
      q.Let({ s: [q.Match(q.Index("things_by_n")), q.Match(q.Index("things_by_n"))] }, q.Paginate(q.Union(q.Var("s")))),
    );
    assert.deepEqual(page.data, [1, 2, 3]);
  });

  test("Concat spreads an array variable; zero strings make the empty string", async () => {
    assert.equal(await admin.query(q.Let({ x: ["a", "b"] }, q.Concat(q.Var("x"), "-"))), "a-b");
    assert.equal(await admin.query(q.Let({ x: [] }, q.Concat(q.Var("x")))), "");
  });

  test("an empty array is Non-empty array expected at [fn]", async () => {
    for (const [name, e] of [
      ["add", q.Add(q.Var("x"))],
      ["equals", q.Equals(q.Var("x"))],
      ["lt", q.LT(q.Var("x"))],
      ["union", q.Union(q.Var("x"))],
    ] as const) {
      await expectError(admin.query(q.Let({ x: [] }, e)), invalidArg("Non-empty array expected.", ["in", name]));
    }
  });

  test("a spread element that is not a number fails at [fn, i]", async () => {
    await expectError(admin.query(q.Let({ x: [1, "a"] }, q.Add(q.Var("x")))), invalidArg("Number expected, String provided.", ["in", "add", 1]));
  });
});

describe("And / Or operands", () => {
  test("a literal array is the operand list", async () => {
    assert.equal(await admin.query(q.And(true, true)), true);
    assert.equal(await admin.query(q.Or(false, true)), true);
  });

  test("any other expression is one operand that must be a Boolean, at [and, 0]", async () => {
    await expectError(admin.query(q.Let({ x: [true, true] }, q.And(q.Var("x")))), invalidArg("Boolean expected, Array provided.", ["in", "and", 0]));
    await expectError(admin.query(q.Let({ x: [false] }, q.Or(q.Var("x")))), invalidArg("Boolean expected, Array provided.", ["in", "or", 0]));
    assert.equal(await admin.query(q.Let({ x: true }, q.And(q.Var("x")))), true);
  });

  test("a non-Boolean element of the list fails at its own index", async () => {
    await expectError(admin.query(q.And(true, 1)), invalidArg("Boolean expected, Integer provided.", ["and", 1]));
  });
});

describe("self refs", () => {
  test('{"@ref":"tokens/self"} is the caller\'s token, readable under the baseline', async () => {
    const res = await rawQuery(target.endpoint, token.secret, JSON.stringify({ get: { "@ref": "tokens/self" } }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.resource.ref["@ref"].id, token.ref.id);
    assert.equal(res.json.resource.instance["@ref"].id, user.id);
  });

  test("Ref(Tokens(), 'self') and Ref('tokens/self') name the same token", async () => {
    assert.equal((await tokenClient.query<Ref>(q.Ref(q.Tokens(), "self"))).id, token.ref.id);
    assert.equal((await tokenClient.query<Ref>(q.Ref("tokens/self"))).id, token.ref.id);
  });

  test('credentials/self is the identity\'s credentials document, readable under the baseline', async () => {
    const res = await rawQuery(target.endpoint, token.secret, JSON.stringify({ get: { "@ref": "credentials/self" } }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.resource.ref["@ref"].collection["@ref"].id, "credentials");
    assert.equal(res.json.resource.instance["@ref"].id, user.id);
  });

  test("<coll>/self and Ref(Collection(c), 'self') are the identity", async () => {
    assert.equal((await tokenClient.query<Ref>(q.Ref(q.Collection("users"), "self"))).id, user.id);
    const res = await rawQuery(target.endpoint, token.secret, JSON.stringify({ "@ref": "collections/users/self" }));
    assert.equal(res.json.resource["@ref"].id, user.id);
  });

  test("reading the own identity document without a role is still denied", async () => {
    await expectError(tokenClient.query(q.Get(q.Ref(q.Collection("users"), "self"))), {
      status: 403,
      code: "permission denied",
      description: "Insufficient privileges to perform the action.",
    });
  });

  test("credentials/self for an identity without credentials is Invalid ref.", async () => {
    const tok = await server.query<{ secret: string }>(q.Create(q.Tokens(), { instance: other }));
    const res = await rawQuery(target.endpoint, tok.secret, JSON.stringify({ "@ref": "credentials/self" }));
    assert.equal(res.status, 400, res.text);
    assert.deepEqual([res.json.errors[0].code, res.json.errors[0].description], ["invalid expression", "Invalid ref."]);
  });

  test("keys/self, a collection mismatch, and a caller without identity are Invalid ref.", async () => {
    await expectError(tokenClient.query(q.Ref(q.Keys(), "self")), INVALID_REF);
    await expectError(tokenClient.query(q.Ref(q.Collection("things"), "self")), INVALID_REF);
    await expectError(admin.query(q.Ref(q.Tokens(), "self")), INVALID_REF);
    const res = await rawQuery(target.endpoint, target.adminSecret, JSON.stringify({ "@ref": "tokens/self" }));
    assert.equal(res.status, 400);
    assert.equal(res.json.errors[0].code, "invalid expression");
    assert.equal(res.json.errors[0].description, "Invalid ref.");
  });
});

describe("ContainsValue", () => {
  test("arrays and objects test their values (Integer 1 is not Double 1.0)", async () => {
    assert.equal(await admin.query(q.ContainsValue(2, [1, 2])), true);
    assert.equal(await admin.query(q.ContainsValue(q.ToDouble(2), [1, 2])), false);
    assert.equal(await admin.query(q.ContainsValue("b", { a: "b" })), true);
    assert.equal(await admin.query(q.ContainsValue("a", { a: "b" })), false);
  });

  test("a ref contains its id and its collection ref", async () => {
    assert.equal(await admin.query(q.ContainsValue(user.id, user)), true);
    assert.equal(await admin.query(q.ContainsValue(q.Collection("users"), user)), true);
    assert.equal(await admin.query(q.ContainsValue(q.Collection("things"), user)), false);
  });

  test("a document contains its ref, collection, ts and top-level field values", async () => {
    const doc = await admin.query<Doc>(q.Get(user));
    assert.equal(await admin.query(q.ContainsValue(user, q.Get(user))), true);
    assert.equal(await admin.query(q.ContainsValue(q.Collection("users"), q.Get(user))), true);
    assert.equal(await admin.query(q.ContainsValue(doc.ts, q.Get(user))), true);
    assert.equal(await admin.query(q.ContainsValue({ name: "ann" }, q.Get(user))), true);
    assert.equal(await admin.query(q.ContainsValue("ann", q.Get(user))), false);
  });

  test("a set tests membership", async () => {
    assert.equal(await admin.query(q.ContainsValue(user, q.Documents(q.Collection("users")))), true);
    assert.equal(await admin.query(q.ContainsValue(2, q.Match(q.Index("things_by_n")))), true);
    assert.equal(await admin.query(q.ContainsValue(4, q.Match(q.Index("things_by_n")))), false);
    assert.equal(await admin.query(q.ContainsValue(other, q.Documents(q.Collection("things")))), false);
  });

  test("a page contains its data array and its cursors, not the elements", async () => {
    const page = q.Paginate(q.Match(q.Index("things_by_n")), { size: 2 });
    assert.equal(await admin.query(q.ContainsValue([1, 2], page)), true);
    assert.equal(await admin.query(q.ContainsValue(1, page)), false);
    const after = (await admin.query<Page>(page)).after;
    assert.equal(await admin.query(q.ContainsValue(after as never, page)), true);
  });

  test("a scalar container is Object, Array, Page, Set, or Ref expected at [in]", async () => {
    await expectError(admin.query(q.ContainsValue(1, 5)), invalidArg("Object, Array, Page, Set, or Ref expected, Scalar provided.", ["in"]));
    await expectError(admin.query(q.ContainsValue(1, "a")), invalidArg("Object, Array, Page, Set, or Ref expected, Scalar provided.", ["in"]));
  });
});
