/** §4.1, §4.2, §4.4, S.2.5: databases, keys, scoped secrets, built-in roles. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import {
  q,
  raw,
  rawQuery,
  assertBody,
  expectError,
  assertDocRef,
  assertNativeRef,
  values,
  type Client,
  type Doc,
  type Page,
} from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;
let docRef: unknown;

const DENIED = { status: 403, code: "permission denied", description: "Insufficient privileges to perform the action." };
const UNAUTHORIZED = { status: 401, code: "unauthorized", description: "Unauthorized", position: null };

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateCollection({ name: "things" }));
  await admin.query(q.CreateCollection({ name: "users" }));
  const d = await admin.query<Doc>(q.Create(q.Collection("things"), { data: { v: 1 } }));
  docRef = d.ref;
  await admin.query(q.CreateDatabase({ name: "alpha" }));
  await admin.query(q.CreateDatabase({ name: "beta" }));
});
after(() => target.close());

const scoped = (db: string, role: string) => target.client(`${target.adminSecret}:${db}:${role}`);

describe("databases", () => {
  test("CreateDatabase → 201 document with ref Database(name) and name", async () => {
    const res = await rawQuery(target.endpoint, target.adminSecret, q.CreateDatabase({ name: "gamma" }));
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.resource.ref, { "@ref": { id: "gamma", collection: { "@ref": { id: "databases" } } } });
    assert.equal(res.json.resource.name, "gamma");
    assert.ok(Number.isSafeInteger(res.json.resource.ts));
  });

  test("duplicate database name → instance already exists at [create_database]", async () => {
    await expectError(admin.query(q.CreateDatabase({ name: "alpha" })), {
      status: 400,
      code: "instance already exists",
      description: "Database already exists.",
      position: ["create_database"],
    });
  });

  test("child databases are isolated from each other and from the parent", async () => {
    const a = scoped("alpha", "admin");
    const b = scoped("beta", "admin");
    await a.query(q.CreateCollection({ name: "c" }));
    await b.query(q.CreateCollection({ name: "c" }));
    await a.query(q.CreateCollection({ name: "only_alpha" }));
    await a.query(q.Create(q.Collection("c"), { data: { in: "alpha" } }));
    const pa = await a.query<Page>(q.Paginate(q.Documents(q.Collection("c"))));
    const pb = await b.query<Page>(q.Paginate(q.Documents(q.Collection("c"))));
    assert.equal(pa.data.length, 1);
    assert.equal(pb.data.length, 0);
    assert.equal(await b.query(q.Exists(q.Collection("only_alpha"))), false);
    assert.equal(await admin.query(q.Exists(q.Collection("only_alpha"))), false);
    await expectError(b.query(q.Create(q.Collection("only_alpha"), {})), {
      status: 400,
      code: "invalid ref",
      description: "Ref refers to undefined collection 'only_alpha'",
      position: ["create"],
    });
  });

  test("refs inside a child seen from the parent carry a database; seen from inside they do not", async () => {
    const inside = await rawQuery(target.endpoint, `${target.adminSecret}:alpha:admin`, q.Collection("c"));
    assert.equal(inside.text, '{"resource":{"@ref":{"id":"c","collection":{"@ref":{"id":"collections"}}}}}');
    const fromParent = await rawQuery(target.endpoint, target.adminSecret, q.Select("ref", q.Get(q.Collection("c", q.Database("alpha")))));
    assert.equal(fromParent.status, 200, fromParent.text);
    assert.deepEqual(fromParent.json.resource, {
      "@ref": {
        id: "c",
        collection: { "@ref": { id: "collections" } },
        database: { "@ref": { id: "alpha", collection: { "@ref": { id: "databases" } } } },
      },
    });
    const drv = await admin.query<InstanceType<typeof values.Ref>>(q.Select("ref", q.Get(q.Collection("c", q.Database("alpha")))));
    assert.equal(drv.database?.id, "alpha");
  });

  test("nested databases are reachable with a db/child path in the scope", async () => {
    await scoped("alpha", "admin").query(q.CreateDatabase({ name: "inner" }));
    const inner = target.client(`${target.adminSecret}:alpha/inner:admin`);
    await inner.query(q.CreateCollection({ name: "deep" }));
    assert.equal(await scoped("alpha", "admin").query(q.Exists(q.Collection("deep"))), false);
    assert.equal(await inner.query(q.Exists(q.Collection("deep"))), true);
  });

  test("a scope naming a database that does not exist → 401", async () => {
    await expectError(scoped("nope", "admin").query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("a scope with no role is ignored: acts as the bare secret", async () => {
    const c = target.client(`${target.adminSecret}:alpha`);
    assert.equal(await c.query(q.Exists(q.Collection("things"))), true);
    assert.equal(await c.query(q.Exists(q.Database("alpha"))), true);
  });

  test("only admin keys may scope: server key scoped to a child → 401", async () => {
    await expectError(target.client(`${target.serverSecret}:alpha:server`).query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("scoped roles: secret:db:server can write documents but not create roles", async () => {
    const s = scoped("alpha", "server");
    const d = await s.query<Doc>(q.Create(q.Collection("c"), { data: { by: "server" } }));
    assertDocRef(d.ref, "c");
    await expectError(s.query(q.CreateRole({ name: "r", privileges: [] })), { ...DENIED, position: ["create_role"] });
  });

  test("scoped roles: secret:db:client cannot read", async () => {
    await expectError(scoped("alpha", "client").query(q.Get(q.Ref(q.Collection("c"), "1"))), { ...DENIED, position: [] });
  });
});

describe("keys", () => {
  test("CreateKey → 201 with ref in keys, role, secret (no ':'), hashed_secret; later reads hide the secret", async () => {
    const res = await rawQuery(target.endpoint, target.adminSecret, q.CreateKey({ role: "server" }));
    assert.equal(res.status, 201, res.text);
    const k = res.json.resource;
    assert.equal(k.ref["@ref"].collection["@ref"].id, "keys");
    assert.equal(k.role, "server");
    assert.equal(typeof k.secret, "string");
    assert.ok(!k.secret.includes(":"));
    assert.equal(typeof k.hashed_secret, "string");
    assert.ok(Number.isSafeInteger(k.ts));
    assert.deepEqual(Object.keys(k).slice(0, 3), ["ref", "ts", "role"]);
    const again = await admin.query<Record<string, unknown>>(q.Get(q.Ref(q.Keys(), k.ref["@ref"].id)));
    assert.equal(again.secret, undefined);
    assert.equal(again.role, "server");
    assert.equal(typeof again.hashed_secret, "string");
  });

  test("a key created for a child database works only there", async () => {
    const k = await admin.query<{ secret: string; database: unknown }>(
      q.CreateKey({ database: q.Database("beta"), role: "server" }),
    );
    assert.ok(k.database instanceof values.Ref);
    const c = target.client(k.secret);
    assert.equal(await c.query(q.Exists(q.Collection("c"))), true);
    assert.equal(await c.query(q.Exists(q.Collection("things"))), false);
  });

  test("admin key: creates databases, keys and roles", async () => {
    await admin.query(q.CreateDatabase({ name: "by_admin" }));
    await admin.query(q.CreateKey({ role: "client" }));
    await admin.query(q.CreateRole({ name: "made_by_admin", privileges: [] }));
    const keys = await admin.query<Page>(q.Paginate(q.Keys()));
    assert.ok(keys.data.length >= 1);
  });

  test("server key: documents, collections, indexes, tokens yes; databases, keys, roles no (403)", async () => {
    const d = await server.query<Doc>(q.Create(q.Collection("things"), { data: { v: 2 } }));
    assert.equal((await server.query<Doc>(q.Get(d.ref))).data?.v, 2);
    await server.query(q.CreateCollection({ name: "by_server" }));
    await server.query(q.CreateIndex({ name: "by_server_idx", source: q.Collection("by_server") }));
    const u = await server.query<Doc>(q.Create(q.Collection("users"), {}));
    await server.query(q.Create(q.Tokens(), { instance: u.ref }));
    await expectError(server.query(q.CreateRole({ name: "nope", privileges: [] })), { ...DENIED, position: ["create_role"] });
    await expectError(server.query(q.CreateDatabase({ name: "nope" })), { ...DENIED, position: ["create_database"] });
    await expectError(server.query(q.CreateKey({ role: "admin" })), { ...DENIED, position: ["create_key"] });
    await expectError(server.query(q.Get(q.Database("alpha"))), { ...DENIED, position: [] });
    await expectError(server.query(q.Paginate(q.Keys())), { ...DENIED, position: ["paginate"] });
  });

  test("server-readonly key: reads only", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "server-readonly" }));
    const ro = target.client(k.secret);
    assert.equal((await ro.query<Doc>(q.Get(docRef as never))).data?.v, 1);
    const page = await ro.query<Page>(q.Paginate(q.Documents(q.Collection("things"))));
    assert.ok(page.data.length >= 1);
    await expectError(ro.query(q.Create(q.Collection("things"), { data: {} })), { ...DENIED, position: ["create"] });
    await expectError(ro.query(q.Update(docRef as never, { data: { v: 9 } })), { ...DENIED, position: [] });
    await expectError(ro.query(q.Delete(docRef as never)), { ...DENIED, position: [] });
  });

  test("client key: no reads or writes, but pure expressions run", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    const c = target.client(k.secret);
    assert.equal(await c.query(q.Add(1, 2)), 3);
    await expectError(c.query(q.Get(docRef as never)), { ...DENIED, position: [] });
    await expectError(c.query(q.Create(q.Collection("things"), { data: {} })), { ...DENIED, position: ["create"] });
    await expectError(c.query(q.Delete(docRef as never)), { ...DENIED, position: [] });
    assert.equal(await c.query(q.Exists(docRef as never)), false);
  });

  test("a deleted key → 401 on its next request", async () => {
    const k = await admin.query<{ secret: string; ref: unknown }>(q.CreateKey({ role: "server" }));
    const c = target.client(k.secret);
    assert.equal(await c.query(q.Add(1, 1)), 2);
    await admin.query(q.Delete(k.ref as never));
    await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("no Authorization header → 401 exact body", async () => {
    assertBody(await raw(target.endpoint, { body: '{"add":1}' }), 401, {
      errors: [{ code: "unauthorized", description: "Unauthorized" }],
    });
  });

  test("Basic auth with base64(secret:) is accepted", async () => {
    const res = await raw(target.endpoint, {
      body: '{"add":[1,1]}',
      headers: { authorization: `Basic ${Buffer.from(`${target.adminSecret}:`).toString("base64")}` },
    });
    assertBody(res, 200, { resource: 2 });
  });
});

describe("identity functions with keys (§4.4)", () => {
  test("key in its own db: CurrentToken = its key ref, HasCurrentToken true, no identity", async () => {
    const k = await admin.query<{ secret: string; ref: unknown }>(q.CreateKey({ role: "server" }));
    const c = target.client(k.secret);
    const tok = await c.query(q.CurrentToken());
    assertNativeRef(tok, "keys", (k.ref as InstanceType<typeof values.Ref>).id);
    assert.equal(await c.query(q.HasCurrentToken()), true);
    assert.equal(await c.query(q.HasCurrentIdentity()), false);
    assert.equal(await c.query(q.HasIdentity()), false);
    for (const expr of [q.CurrentIdentity(), q.Identity()]) {
      await expectError(c.query(expr), {
        status: 400,
        code: "missing identity",
        description: "Authentication does not contain an identity",
        position: [],
      });
    }
  });

  test("key created in the parent for a child db: CurrentToken → invalid token, HasCurrentToken false", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ database: q.Database("beta"), role: "admin" }));
    const c = target.client(k.secret);
    await expectError(c.query(q.CurrentToken()), {
      status: 400,
      code: "invalid token",
      description: "Token metadata is not accessible.",
      position: [],
    });
    assert.equal(await c.query(q.HasCurrentToken()), false);
    assert.equal(await c.query(q.HasCurrentIdentity()), false);
    await expectError(c.query(q.CurrentIdentity()), { status: 400, code: "missing identity", position: [] });
  });

  test("Logout with a key returns false and the key keeps working", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "server" }));
    const c = target.client(k.secret);
    assert.equal(await c.query(q.Logout(true)), false);
    assert.equal(await c.query(q.Add(1, 1)), 2);
  });
});

describe("KeyFromSecret (S.2.5)", () => {
  test("admin: resolves a key secret to its document, without the secret", async () => {
    const k = await admin.query<{ secret: string; ref: InstanceType<typeof values.Ref> }>(q.CreateKey({ role: "client", data: { tag: "kfs" } }));
    const doc = await admin.query<Record<string, unknown>>(q.KeyFromSecret(k.secret));
    assertNativeRef(doc.ref, "keys", k.ref.id);
    assert.equal(doc.role, "client");
    assert.equal(doc.secret, undefined);
    assert.equal(typeof doc.hashed_secret, "string");
    assert.deepEqual(doc.data, { tag: "kfs" });
  });

  test("a scoped secret (secret:db:role) is decoded as a whole, as the server does: 400 instance not found", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "server" }));
    const scoped = `${k.secret}:alpha:admin`;
    await expectError(admin.query(q.KeyFromSecret(scoped)), {
      status: 400,
      code: "instance not found",
      description: `No key found for secret ${scoped}.`,
      position: [],
    });
  });

  test("unknown secret → 400 instance not found echoing the secret", async () => {
    await expectError(admin.query(q.KeyFromSecret("fnAEgarbage")), {
      status: 400,
      code: "instance not found",
      description: "No key found for secret fnAEgarbage.",
      position: [],
    });
  });

  test("a server key may not read keys: same 400", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    await expectError(server.query(q.KeyFromSecret(k.secret)), {
      status: 400,
      code: "instance not found",
      description: `No key found for secret ${k.secret}.`,
      position: [],
    });
  });
});

describe("missing schema documents (§3.3)", () => {
  test("Get(Ref(Keys(), '1')) → 404 Key not found.", async () => {
    await expectError(admin.query(q.Get(q.Ref(q.Keys(), "1"))), {
      status: 404,
      code: "instance not found",
      description: "Key not found.",
      position: [],
    });
  });

  test("Get(Ref(Tokens(), '1')) → 404 Token not found.", async () => {
    await expectError(admin.query(q.Get(q.Ref(q.Tokens(), "1"))), {
      status: 404,
      code: "instance not found",
      description: "Token not found.",
      position: [],
    });
  });
});

describe("keys: lifetime", () => {
  test("a key of a deleted database stays dead when a database of the same name is created again", async () => {
    await admin.query(q.CreateDatabase({ name: "phoenix" }));
    const key = await admin.query<{ secret: string; ref: unknown }>(q.CreateKey({ database: q.Database("phoenix"), role: "server" }));
    const c = target.client(key.secret);
    assert.equal(await c.query(q.Add(1, 1)), 2);
    await admin.query(q.Delete(q.Database("phoenix")));
    await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
    await admin.query(q.CreateDatabase({ name: "phoenix" }));
    await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
    assert.equal(await admin.query(q.Exists(key.ref as never)), false);
  });

  test("a key's ttl is kept and enforced", async (t) => {
    const key = await admin.query<{ secret: string; ttl?: unknown }>(q.CreateKey({ role: "server", ttl: q.TimeAdd(q.Now(), 1, "hour") }));
    assert.ok(key.ttl, "ttl rendered on the key");
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    const c = target.client(key.secret);
    assert.equal(await c.query(q.Add(1, 1)), 2);
    emu.clock.advance(3_600_001);
    await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
  });
});
