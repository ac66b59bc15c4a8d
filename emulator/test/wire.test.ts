/** §2, §3, §7: exact JSON of responses, value encoding, parse errors. Raw HTTP/1.1 for bytes. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import {
  q,
  rawQuery,
  assertBody,
  expectError,
  collJ,
  docJ,
  indexJ,
  nativeJ,
  schemaJ,
  values,
  timeText,
  dateText,
} from "./support.ts";

let target: FaunaTarget;
let admin: ReturnType<FaunaTarget["client"]>;
const send = (expr: Parameters<typeof rawQuery>[2], secret?: string) =>
  rawQuery(target.endpoint, secret ?? target.adminSecret, expr);

before(async () => {
  target = await startTarget();
  admin = target.client();
  await admin.query(q.CreateCollection({ name: "users" }));
  await admin.query(q.CreateCollection({ name: "x" }));
  await admin.query(q.CreateIndex({ name: "users_by_name", source: q.Collection("users"), terms: [{ field: ["data", "name"] }] }));
});
after(() => target.close());

describe("wire: exact response bodies (§7)", () => {
  test("Create → 201 {resource:{ref,ts,data}} with ts = x-txn-time", async () => {
    const res = await send('{"create":{"collection":"users"},"params":{"object":{"data":{"object":{"name":"a"}}}}}');
    assert.equal(res.status, 201, res.text);
    const id = res.json.resource.ref["@ref"].id;
    assert.match(id, /^\d+$/);
    const ts = res.json.resource.ts;
    assert.ok(Number.isSafeInteger(ts));
    assert.equal(String(ts), res.headers.get("x-txn-time"));
    assertBody(res, 201, { resource: { ref: docJ("users", id), ts, data: { name: "a" } } });
  });

  test("Get of a missing document → 404 exact body", async () => {
    const res = await send('{"get":{"ref":{"collection":"users"},"id":"999"}}');
    assertBody(res, 404, { errors: [{ position: [], code: "instance not found", description: "Document not found." }] });
  });

  test("Select without default on a missing path → 404 value not found at [from]", async () => {
    const created = await admin.query<{ ref: unknown }>(q.Create(q.Collection("users"), { data: { name: "s" } }));
    const res = await send(q.Select(["data", "nope"], q.Get(created.ref as never)));
    assertBody(res, 404, {
      errors: [{ position: ["from"], code: "value not found", description: "Value not found at path [data,nope]." }],
    });
  });

  test("Abort inside Do → 400 at [do,1], and the Create before it is not committed", async () => {
    const before = await admin.query(q.Count(q.Documents(q.Collection("x"))));
    const res = await send('{"do":[{"create":{"collection":"x"},"params":{"object":{"data":{"object":{"a":1}}}}},{"abort":"stop"}]}');
    assertBody(res, 400, { errors: [{ position: ["do", 1], code: "transaction aborted", description: "stop" }] });
    assert.equal(await admin.query(q.Count(q.Documents(q.Collection("x")))), before);
  });

  test("duplicate collection → 400 instance already exists at [create_collection]", async () => {
    const res = await send('{"create_collection":{"object":{"name":"users"}}}');
    assertBody(res, 400, {
      errors: [{ position: ["create_collection"], code: "instance already exists", description: "Collection already exists." }],
    });
  });

  test("unknown secret → 401 exact body, www-authenticate, x-txn-time", async () => {
    const res = await send('{"add":[1,2]}', "fnAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assertBody(res, 401, { errors: [{ code: "unauthorized", description: "Unauthorized" }] });
    assert.equal(res.headers.get("www-authenticate"), 'Basic realm="Unauthorized"');
    assert.match(res.headers.get("x-txn-time") ?? "", /^\d+$/);
  });

  test("token without privileges reading a document → 403 exact body", async () => {
    const user = await admin.query<{ ref: unknown }>(q.Create(q.Collection("users"), { data: { name: "t" } }));
    const tok = await target
      .client(target.serverSecret)
      .query<{ secret: string }>(q.Create(q.Tokens(), { instance: user.ref as never }));
    const res = await send('{"get":{"ref":{"collection":"x"},"id":"1"}}', tok.secret);
    assertBody(res, 403, {
      errors: [{ position: [], code: "permission denied", description: "Insufficient privileges to perform the action." }],
    });
  });

  test("validation failure body carries failures after description (§3.1)", async () => {
    const res = await send('{"create":{"collection":"users"},"params":{"object":{"data":"str"}}}');
    assertBody(res, 400, {
      errors: [
        {
          position: ["create"],
          code: "validation failed",
          description: "document data is not valid.",
          failures: [{ field: ["data"], code: "invalid type", description: "Invalid type String, expected type Map." }],
        },
      ],
    });
  });
});

describe("wire: value encoding (§2.3)", () => {
  test("collection, index and native refs", async () => {
    assertBody(await send(q.Collection("users")), 200, { resource: collJ("users") });
    assertBody(await send(q.Index("users_by_name")), 200, { resource: indexJ("users_by_name") });
    assertBody(await send(q.Tokens()), 200, { resource: nativeJ("tokens") });
    assertBody(await send(q.Collections()), 200, { resource: nativeJ("collections") });
    assertBody(await send(q.Role("r")), 200, { resource: schemaJ("roles", "r") });
    assertBody(await send(q.Function("f")), 200, { resource: schemaJ("functions", "f") });
    assertBody(await send(q.Database("d")), 200, { resource: schemaJ("databases", "d") });
  });

  test("document ref built with Ref(coll, id) renders with a string id", async () => {
    assertBody(await send(q.Ref(q.Collection("users"), "101")), 200, { resource: docJ("users", "101") });
    assertBody(await send('{"ref":{"collection":"users"},"id":102}'), 200, { resource: docJ("users", "102") });
  });

  test("legacy string @ref input is accepted", async () => {
    assertBody(await send('{"@ref":"collections/users/7"}'), 200, { resource: docJ("users", "7") });
  });

  test("times render as Instant text: UTC Z, fraction in groups of 3, omitted when zero", async () => {
    assertBody(await send(q.Time("2020-01-01T00:00:00Z")), 200, { resource: { "@ts": "2020-01-01T00:00:00Z" } });
    assertBody(await send(q.Time("2020-01-01T00:00:00.120Z")), 200, { resource: { "@ts": "2020-01-01T00:00:00.120Z" } });
    assertBody(await send(q.Time("2020-01-01T00:00:00.123456Z")), 200, { resource: { "@ts": "2020-01-01T00:00:00.123456Z" } });
    assertBody(await send(q.Time("2020-01-01T00:00:00.000001Z")), 200, { resource: { "@ts": "2020-01-01T00:00:00.000001Z" } });
  });

  test("dates, bytes and tagged input round-trip", async () => {
    assertBody(await send(q.Date("2020-01-01")), 200, { resource: { "@date": "2020-01-01" } });
    assertBody(await send('{"@bytes":"AQID"}'), 200, { resource: { "@bytes": "AQID" } });
    assertBody(await send('{"@ts":"2021-05-06T07:08:09Z"}'), 200, { resource: { "@ts": "2021-05-06T07:08:09Z" } });
    assertBody(await send('{"@date":"2021-05-06"}'), 200, { resource: { "@date": "2021-05-06" } });
    // through the driver, values come back as its value classes
    assert.equal(timeText(await admin.query(q.Time("2020-01-01T00:00:00Z"))), "2020-01-01T00:00:00Z");
    assert.equal(dateText(await admin.query(q.Date("2020-01-01"))), "2020-01-01");
    assert.ok((await admin.query(q.Bytes("AQID"))) instanceof values.Bytes);
  });

  test("objects with a key starting with @ are wrapped as @obj", async () => {
    assertBody(await send('{"object":{"@x":1,"y":2}}'), 200, { resource: { "@obj": { "@x": 1, y: 2 } } });
    assertBody(await send('{"@obj":{"@x":1}}'), 200, { resource: { "@obj": { "@x": 1 } } });
    assertBody(await send('{"object":{"a":{"object":{"b":1}}}}'), 200, { resource: { a: { b: 1 } } });
  });

  test("{quote: …} is a literal: no evaluation inside", async () => {
    assertBody(await send('{"quote":{"add":[1,2]}}'), 200, { resource: { add: [1, 2] } });
  });

  test("integers have no '.', doubles always do", async () => {
    assertBody(await send('{"add":[1,2]}'), 200, { resource: 3 });
    assert.equal((await send('{"add":[1.0,2]}')).text, '{"resource":3.0}');
    assert.equal((await send("2.5")).text, '{"resource":2.5}');
    assert.equal((await send('{"multiply":[0.5,4]}')).text, '{"resource":2.0}');
  });

  test("sets render as @set with the index ref and terms (scalar / array / omitted)", async () => {
    assertBody(await send(q.Match(q.Index("users_by_name"), "a")), 200, {
      resource: { "@set": { match: indexJ("users_by_name"), terms: "a" } },
    });
    assertBody(await send(q.Documents(q.Collection("users"))), 200, {
      resource: { "@set": { documents: collJ("users") } },
    });
    const set = await admin.query(q.Match(q.Index("users_by_name"), "a"));
    assert.ok(set instanceof values.SetRef);
    // a set sent back in response form is accepted as input
    assert.equal(await admin.query(q.IsSet(set as never)), true);
  });

  test("set terms: several terms as an array, none → terms omitted", async () => {
    await admin.query(
      q.CreateIndex({
        name: "users_by_name_age",
        source: q.Collection("users"),
        terms: [{ field: ["data", "name"] }, { field: ["data", "age"] }],
      }),
    );
    await admin.query(q.CreateIndex({ name: "all_users", source: q.Collection("users") }));
    assertBody(await send(q.Match(q.Index("users_by_name_age"), "a", 1)), 200, {
      resource: { "@set": { match: indexJ("users_by_name_age"), terms: ["a", 1] } },
    });
    assertBody(await send(q.Match(q.Index("all_users"))), 200, { resource: { "@set": { match: indexJ("all_users") } } });
  });

  test("Query(Lambda) renders as @query with api_version first", async () => {
    assertBody(await send(q.Query(q.Lambda("x", q.Var("x")))), 200, {
      resource: { "@query": { api_version: "4", lambda: "x", expr: { var: "x" } } },
    });
    const lam = await admin.query(q.Query(q.Lambda("x", q.Var("x"))));
    assert.ok(lam instanceof values.Query);
  });

  test("a page renders before/after/data keys only when set", async () => {
    await admin.query(q.CreateCollection({ name: "pg" }));
    for (const id of ["1", "2", "3"]) await admin.query(q.Create(q.Ref(q.Collection("pg"), id), {}));
    assertBody(await send(q.Paginate(q.Documents(q.Collection("pg")))), 200, {
      resource: { data: [docJ("pg", "1"), docJ("pg", "2"), docJ("pg", "3")] },
    });
  });
});

describe("wire: parse errors (§2.2, §3.3)", () => {
  test("unknown form → 400 invalid expression listing the keys", async () => {
    assertBody(await send('{"foo":1}'), 400, {
      errors: [{ position: [], code: "invalid expression", description: "No form/function found, or invalid argument keys: { foo }." }],
    });
  });

  test("unbound variable → 400 invalid expression at its position", async () => {
    await expectError(admin.query(q.Var("x")), {
      status: 400,
      code: "invalid expression",
      description: "Variable 'x' is not defined.",
      position: [],
    });
  });

  test("unbound variable in a branch that would not run is still a parse error", async () => {
    await expectError(admin.query(q.If(true, 1, q.Var("nope"))), {
      status: 400,
      code: "invalid expression",
      description: "Variable 'nope' is not defined.",
      position: ["else"],
    });
  });

  test("Let forward reference is a parse error at [let,0,a]", async () => {
    await expectError(admin.query(q.Let([{ a: q.Var("b") }, { b: 1 }] as never, 1)), {
      status: 400,
      code: "invalid expression",
      description: "Variable 'b' is not defined.",
      position: ["let", 0, "a"],
    });
  });

  test("Let binding referencing an unbound var → [let,0,y] (driver form)", async () => {
    await expectError(admin.query(q.Let({ y: q.Var("x") }, 1)), {
      status: 400,
      code: "invalid expression",
      description: "Variable 'x' is not defined.",
      position: ["let", 0, "y"],
    });
  });

  test("Let object form: position [let,y]", async () => {
    const res = await send('{"let":{"y":{"var":"x"}},"in":1}');
    assertBody(res, 400, {
      errors: [{ position: ["let", "y"], code: "invalid expression", description: "Variable 'x' is not defined." }],
    });
  });

  test("Do(Var('bad')) → [do,0]; Do() empty → Expression list cannot be empty. at [do]", async () => {
    await expectError(admin.query(q.Do(q.Var("bad"))), {
      status: 400,
      code: "invalid expression",
      description: "Variable 'bad' is not defined.",
      position: ["do", 0],
    });
    assertBody(await send('{"do":[]}'), 400, {
      errors: [{ position: ["do"], code: "invalid expression", description: "Expression list cannot be empty." }],
    });
  });

  test("an unbound var in a Map lambda body → [map,expr,add,1]", async () => {
    await expectError(admin.query(q.Map([1], q.Lambda("x", q.Add(q.Var("x"), q.Var("bad"))))), {
      status: 400,
      code: "invalid expression",
      description: "Variable 'bad' is not defined.",
      position: ["map", "expr", "add", 1],
    });
  });

  test("a parse error prevents any evaluation (nothing written)", async () => {
    const n = await admin.query(q.Count(q.Documents(q.Collection("x"))));
    await expectError(admin.query(q.Do(q.Create(q.Collection("x"), {}), q.Var("nope"))), {
      status: 400,
      code: "invalid expression",
      position: ["do", 1],
    });
    assert.equal(await admin.query(q.Count(q.Documents(q.Collection("x")))), n);
  });

  test("snake-case API UNSTABLE names are unknown forms under API 4", async () => {
    assertBody(await send('{"contains_str":"abc","search":"b"}'), 400, {
      errors: [
        {
          position: [],
          code: "invalid expression",
          description: "No form/function found, or invalid argument keys: { contains_str, search }.",
        },
      ],
    });
  });

  test("Ref with a non-numeric id → 400 invalid argument at [id]", async () => {
    await expectError(admin.query(q.Ref(q.Collection("users"), "abc")), {
      status: 400,
      code: "invalid argument",
      description: "Number or numeric String expected, non-numeric 'abc' provided.",
      position: ["id"],
    });
  });
});
