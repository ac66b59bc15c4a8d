/** Appendix S.7: CreateFunction, Call, Query(Lambda) values, call-error wrapping. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import {
  q,
  rawQuery,
  assertBody,
  expectError,
  assertDocRef,
  schemaJ,
  values,
  type Client,
  type Doc,
  type Ref,
} from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;
const send = (expr: Parameters<typeof rawQuery>[2]) => rawQuery(target.endpoint, target.adminSecret, expr);
const CALL_ERROR = { status: 400, code: "call error", description: "Calling the function resulted in an error." };

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateCollection({ name: "users" }));
  await admin.query(q.CreateCollection({ name: "notes" }));
  await admin.query(q.CreateFunction({ name: "double", body: q.Query(q.Lambda("arg", q.Add(q.Var("arg"), q.Var("arg")))) }));
  await admin.query(q.CreateFunction({ name: "add2", body: q.Query(q.Lambda(["a", "b"], q.Add(q.Var("a"), q.Var("b")))) }));
  await admin.query(q.CreateFunction({ name: "ident", body: q.Query(q.Lambda("x", q.Var("x"))) }));
  await admin.query(q.CreateFunction({ name: "zero", body: q.Query(q.Lambda([], 42)) }));
  await admin.query(q.CreateFunction({ name: "boom", body: q.Query(q.Lambda("m", q.Abort(q.Var("m")))) }));
  await admin.query(
    q.CreateFunction({ name: "outer", body: q.Query(q.Lambda("x", q.Call(q.Function("double"), q.Var("x")))) }),
  );
  await admin.query(
    q.CreateFunction({
      name: "make_note",
      body: q.Query(q.Lambda("t", q.Create(q.Collection("notes"), { data: { t: q.Var("t"), by: q.CurrentIdentity() } }))),
      role: "server",
    }),
  );
  await admin.query(
    q.CreateFunction({
      name: "make_note_norole",
      body: q.Query(q.Lambda("t", q.Create(q.Collection("notes"), { data: { t: q.Var("t") } }))),
    }),
  );
  await admin.query(
    q.CreateFunction({
      name: "whoami",
      body: q.Query(q.Lambda([], { id: q.CurrentIdentity(), tok: q.CurrentToken() })),
      role: "server",
    }),
  );
});
after(() => target.close());

describe("Query(Lambda) values (S.7.2)", () => {
  test("renders as @query with api_version first", async () => {
    assertBody(await send(q.Query(q.Lambda("x", q.Var("x")))), 200, {
      resource: { "@query": { api_version: "4", lambda: "x", expr: { var: "x" } } },
    });
    assertBody(await send(q.Query(q.Lambda([], 1))), 200, { resource: { "@query": { api_version: "4", lambda: [], expr: 1 } } });
  });

  test("array let becomes object let in the rendering", async () => {
    assertBody(await send(q.Query(q.Lambda("x", q.Let({ a: 1 }, q.Var("a"))))), 200, {
      resource: { "@query": { api_version: "4", lambda: "x", expr: { let: { a: 1 }, in: { var: "a" } } } },
    });
  });

  test("variables captured from an enclosing Let are inlined as a wrapping let", async () => {
    assertBody(await send(q.Let({ k: 5 }, q.Query(q.Lambda("x", q.Add(q.Var("x"), q.Var("k")))))), 200, {
      resource: {
        "@query": {
          api_version: "4",
          lambda: "x",
          expr: { let: { k: 5 }, in: { add: [{ var: "x" }, { var: "k" }] } },
        },
      },
    });
  });

  test("the argument of query must be a literal lambda", async () => {
    assertBody(await send('{"query":"x"}'), 400, {
      errors: [{ position: ["query"], code: "invalid expression", description: "Lambda expected, String provided." }],
    });
  });

  test("a @query value sent back is accepted where a lambda is (Map)", async () => {
    const lam = await admin.query(q.Query(q.Lambda("x", q.Multiply(q.Var("x"), 3))));
    assert.ok(lam instanceof values.Query);
    assert.equal(await admin.query(q.IsLambda(lam as never)), true);
  });
});

describe("CreateFunction (S.7.3)", () => {
  test("201 with ref in functions, name, body as @query, role when given", async () => {
    const res = await send(q.CreateFunction({ name: "shape", body: q.Query(q.Lambda("x", q.Var("x"))), role: "server" }));
    assert.equal(res.status, 201, res.text);
    assertBody(res, 201, {
      resource: {
        ref: schemaJ("functions", "shape"),
        ts: res.json.resource.ts,
        name: "shape",
        body: { "@query": { api_version: "4", lambda: "x", expr: { var: "x" } } },
        role: "server",
      },
    });
  });

  test("Function('f') is a ref", async () => {
    assertBody(await send(q.Function("double")), 200, { resource: schemaJ("functions", "double") });
  });

  test("duplicate name → Function already exists. at [create_function]", async () => {
    await expectError(admin.query(q.CreateFunction({ name: "double", body: q.Query(q.Lambda("x", 1)) })), {
      status: 400,
      code: "instance already exists",
      description: "Function already exists.",
      position: ["create_function"],
    });
  });

  test("body as a string → schema validation failed", async () => {
    await expectError(admin.query(q.CreateFunction({ name: "strbody", body: "x => x" })), {
      status: 400,
      code: "schema validation failed",
      description: "Invalid type provided for field `body`.",
      position: ["create_function"],
    });
  });

  test("a client key cannot create functions", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    await expectError(target.client(k.secret).query(q.CreateFunction({ name: "nope", body: q.Query(q.Lambda("x", 1)) })), {
      status: 403,
      code: "permission denied",
      position: ["create_function"],
    });
  });
});

describe("Call (S.7.4)", () => {
  test("argument binding: scalar, array pattern, zero args, name string", async () => {
    assert.equal(await admin.query(q.Call(q.Function("double"), 21)), 42);
    assert.equal(await admin.query(q.Call(q.Function("add2"), 1, 2)), 3);
    assert.equal(await admin.query(q.Call(q.Function("add2"), [1, 2])), 3);
    assert.deepEqual(await admin.query(q.Call(q.Function("ident"), 1, 2)), [1, 2]);
    assert.equal(await admin.query(q.Call(q.Function("zero"))), 42);
    assert.equal(await admin.query(q.Call("double" as never, 5)), 10);
  });

  test("wrong arity → call error with cause invalid argument at [lambda]", async () => {
    await expectError(admin.query(q.Call(q.Function("add2"), [1] as never)), {
      ...CALL_ERROR,
      position: [],
      cause: [
        { position: ["lambda"], code: "invalid argument", description: "Lambda expects an array with 2 elements. Array contains 1." },
      ],
    });
  });

  test("error inside the body → 400 call error wrapping the inner error (exact JSON)", async () => {
    assertBody(await send(q.Call(q.Function("double"), "oops")), 400, {
      errors: [
        {
          position: [],
          code: "call error",
          description: "Calling the function resulted in an error.",
          cause: [{ position: ["expr", "add", 0], code: "invalid argument", description: "Number expected, String provided." }],
        },
      ],
    });
  });

  test("Abort in a UDF surfaces as call error with cause transaction aborted; position of the Call", async () => {
    await expectError(admin.query(q.Do(1, q.Call(q.Function("boom"), "stop it"))), {
      ...CALL_ERROR,
      position: ["do", 1],
      cause: [{ position: ["expr"], code: "transaction aborted", description: "stop it" }],
    });
  });

  test("nested UDF failures nest causes", async () => {
    const errs = await expectError(admin.query(q.Call(q.Function("outer"), "x")), { ...CALL_ERROR, position: [] });
    const cause = errs[0]!.cause as { code: string; cause?: { code: string; description: string }[] }[];
    assert.equal(cause[0]!.code, "call error");
    assert.equal(cause[0]!.cause?.[0]?.code, "invalid argument");
    assert.equal(cause[0]!.cause?.[0]?.description, "Number expected, String provided.");
  });

  test("a 404 inside the body is wrapped too (status 400)", async () => {
    await admin.query(
      q.CreateFunction({ name: "getter", body: q.Query(q.Lambda("id", q.Get(q.Ref(q.Collection("notes"), q.Var("id"))))) }),
    );
    const errs = await expectError(admin.query(q.Call(q.Function("getter"), "999999")), { ...CALL_ERROR, position: [] });
    assert.equal((errs[0]!.cause as { code: string }[])[0]!.code, "instance not found");
  });

  test("unknown function → invalid ref at [call] (not wrapped); non-function → Identifier expected", async () => {
    await expectError(admin.query(q.Call(q.Function("nope"))), {
      status: 400,
      code: "invalid ref",
      description: "Ref refers to undefined function 'nope'",
      position: ["call"],
    });
    await expectError(admin.query(q.Call(q.Collection("notes") as never)), {
      status: 400,
      code: "invalid argument",
      description: "Identifier expected, Collection Ref provided.",
      position: ["call"],
    });
  });

  test("the call's writes join the transaction; a later failure rolls them back", async () => {
    const n = await admin.query<number>(q.Count(q.Documents(q.Collection("notes"))));
    await expectError(admin.query(q.Do(q.Call(q.Function("make_note_norole"), "x"), q.Abort("undo"))), {
      status: 400,
      code: "transaction aborted",
      position: ["do", 1],
    });
    assert.equal(await admin.query(q.Count(q.Documents(q.Collection("notes")))), n);
    await admin.query(q.Call(q.Function("make_note_norole"), "y"));
    assert.equal(await admin.query(q.Count(q.Documents(q.Collection("notes")))), n + 1);
  });

  test("Update(Function) replaces the body; Delete removes it", async () => {
    await admin.query(q.CreateFunction({ name: "temp", body: q.Query(q.Lambda("x", 1)) }));
    await admin.query(q.Update(q.Function("temp"), { body: q.Query(q.Lambda("x", 2)) }));
    assert.equal(await admin.query(q.Call(q.Function("temp"), 0)), 2);
    await admin.query(q.Delete(q.Function("temp")));
    await expectError(admin.query(q.Call(q.Function("temp"), 0)), {
      status: 400,
      code: "invalid ref",
      description: "Ref refers to undefined function 'temp'",
      position: ["call"],
    });
  });
});

describe("Call permissions and roles (S.7.4)", () => {
  let user: Ref;
  let tokenClient: Client;
  let tokenRef: Ref;
  before(async () => {
    user = (await server.query<Doc>(q.Create(q.Collection("users"), { data: { n: "caller" } }))).ref;
    const t = await server.query<{ secret: string; ref: Ref }>(q.Create(q.Tokens(), { instance: user }));
    tokenClient = target.client(t.secret);
    tokenRef = t.ref;
  });

  test("server keys may call any function", async () => {
    assert.equal(await server.query(q.Call(q.Function("double"), 2)), 4);
  });

  test("client keys and role-less tokens → 403 at the Call position", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    await expectError(target.client(k.secret).query(q.Call(q.Function("double"), 2)), {
      status: 403,
      code: "permission denied",
      description: "Insufficient privileges to perform the action.",
      position: [],
    });
    await expectError(tokenClient.query(q.Call(q.Function("double"), 2)), { status: 403, code: "permission denied", position: [] });
  });

  test("a role granting call (with a predicate on the arguments)", async () => {
    await admin.query(
      q.CreateRole({
        name: "callers",
        membership: { resource: q.Collection("users") },
        privileges: [
          { resource: q.Function("double"), actions: { call: q.Query(q.Lambda("x", q.LT(q.Var("x"), 100))) } },
          { resource: q.Function("make_note"), actions: { call: true } },
          { resource: q.Function("make_note_norole"), actions: { call: true } },
          { resource: q.Function("whoami"), actions: { call: true } },
        ],
      }),
    );
    assert.equal(await tokenClient.query(q.Call(q.Function("double"), 5)), 10);
    await expectError(tokenClient.query(q.Call(q.Function("double"), 500)), { status: 403, code: "permission denied", position: [] });
  });

  test("a function with role runs with that role's privileges; without, with the caller's", async () => {
    const note = await tokenClient.query<Doc>(q.Call(q.Function("make_note"), "hi"));
    assertDocRef(note.ref, "notes");
    assertDocRef(note.data?.by, "users", user.id);
    const errs = await expectError(tokenClient.query(q.Call(q.Function("make_note_norole"), "hi")), {
      ...CALL_ERROR,
      position: [],
    });
    assert.equal((errs[0]!.cause as { code: string }[])[0]!.code, "permission denied");
  });

  test("inside a role function, CurrentIdentity/CurrentToken are still the caller's", async () => {
    const who = await tokenClient.query<{ id: Ref; tok: Ref }>(q.Call(q.Function("whoami")));
    assertDocRef(who.id, "users", user.id);
    assert.equal(who.tok.id, tokenRef.id);
  });
});

describe("recursion limit", () => {
  test("recursion deeper than 200 frames → stack overflow (not wrapped)", async () => {
    await admin.query(
      q.CreateFunction({ name: "forever", body: q.Query(q.Lambda("n", q.Call(q.Function("forever"), q.Add(q.Var("n"), 1)))) }),
    );
    await expectError(admin.query(q.Call(q.Function("forever"), 0)), {
      status: 400,
      code: "stack overflow",
      description: "Call stack reached the maximum limit of 200.",
    });
  });
});

describe("function documents stay callable", () => {
  test("Update cannot give a function a body that is not a lambda", async () => {
    await admin.query(q.CreateFunction({ name: "keepbody", body: q.Query(q.Lambda("x", q.Var("x"))) }));
    await expectError(admin.query(q.Update(q.Function("keepbody"), { body: "s" })), {
      status: 400,
      code: "schema validation failed",
      description: "Invalid type provided for field `body`.",
    });
    assert.equal(await admin.query(q.Call(q.Function("keepbody"), 7)), 7);
  });

  test("a custom role that does not exist is refused", async () => {
    for (const role of ["no_such_role", q.Role("no_such_role")]) {
      await expectError(admin.query(q.CreateFunction({ name: "badrole", body: q.Query(q.Lambda("x", 1)), role })), {
        status: 400,
        code: "validation failed",
      });
    }
  });
});
