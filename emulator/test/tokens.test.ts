/** §4.3–§4.5, S.2: tokens, Login/Logout, Identify, identity functions, baseline rights, ttl. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import {
  q,
  rawQuery,
  assertBody,
  expectError,
  assertDocRef,
  assertNativeRef,
  timeText,
  docJ,
  nativeJ,
  type Client,
  type Doc,
  type Page,
  type Ref,
} from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;

const UNAUTHORIZED = { status: 401, code: "unauthorized", description: "Unauthorized", position: null } as const;
const DENIED = { status: 403, code: "permission denied", description: "Insufficient privileges to perform the action." };
const AUTH_FAILED = {
  status: 400,
  code: "authentication failed",
  description: "The document was not found or provided password was incorrect.",
  position: [],
};

interface Token {
  ref: Ref;
  ts: number;
  instance: Ref;
  secret: string;
  ttl?: unknown;
  data?: Record<string, unknown>;
}

async function newUser(data: Record<string, unknown> = {}, password?: string): Promise<Ref> {
  const params: Record<string, unknown> = { data };
  if (password) params.credentials = { password };
  return (await server.query<Doc>(q.Create(q.Collection("users"), params))).ref;
}
async function tokenFor(user: Ref, extra: Record<string, unknown> = {}): Promise<Token> {
  return server.query<Token>(q.Create(q.Tokens(), { instance: user, ...extra }));
}

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateCollection({ name: "users" }));
  await admin.query(q.CreateCollection({ name: "things" }));
  await admin.query(
    q.CreateIndex({ name: "users_by_email", source: q.Collection("users"), terms: [{ field: ["data", "email"] }] }),
  );
});
after(() => target.close());

describe("Create(Tokens(), …)", () => {
  test("201 with ref, ts, instance, ttl, secret in that order (raw)", async () => {
    const user = await newUser();
    const res = await rawQuery(
      target.endpoint,
      target.serverSecret,
      q.Create(q.Tokens(), { instance: user, ttl: q.Time("2099-01-01T01:00:00Z") }),
    );
    assert.equal(res.status, 201, res.text);
    const r = res.json.resource;
    assert.equal(r.ref["@ref"].collection["@ref"].id, "tokens");
    assert.equal(typeof r.secret, "string");
    assert.ok(!r.secret.includes(":"), "secrets never contain ':'");
    assertBody(res, 201, {
      resource: {
        ref: { "@ref": { id: r.ref["@ref"].id, collection: nativeJ("tokens") } },
        ts: r.ts,
        instance: docJ("users", user.id),
        ttl: { "@ts": "2099-01-01T01:00:00Z" },
        secret: r.secret,
      },
    });
  });

  test("data is kept; Get afterwards shows hashed_secret and never the secret", async () => {
    const user = await newUser();
    const tok = await tokenFor(user, { data: { purpose: "test" } });
    assert.deepEqual(tok.data, { purpose: "test" });
    const again = await server.query<Record<string, unknown>>(q.Get(tok.ref));
    assert.equal(again.secret, undefined);
    assert.equal(typeof again.hashed_secret, "string");
    assertDocRef(again.instance, "users", user.id);
    assert.deepEqual(again.data, { purpose: "test" });
  });

  test("instance is required → validation failed, value required on [instance]", async () => {
    await expectError(server.query(q.Create(q.Tokens(), { data: { a: 1 } })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: ["create"],
      failures: [{ field: ["instance"], code: "value required", description: "Required value not found." }],
    });
  });

  test("instance must be a ref → validation failed at [create]", async () => {
    await expectError(server.query(q.Create(q.Tokens(), { instance: "users/1" })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: ["create"],
    });
  });

  test("instance is not checked at creation, but the token is unusable (identity missing → 401)", async () => {
    const tok = await tokenFor(q.Ref(q.Collection("users"), "123456") as unknown as Ref);
    await expectError(target.client(tok.secret).query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("a client key cannot create tokens → 403 at [create]", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    const user = await newUser();
    await expectError(target.client(k.secret).query(q.Create(q.Tokens(), { instance: user })), {
      ...DENIED,
      position: ["create"],
    });
  });

  test("the server key can list tokens with Paginate(Tokens())", async () => {
    const tok = await tokenFor(await newUser());
    const page = await server.query<Page<Ref>>(q.Paginate(q.Tokens(), { size: 100000 }));
    assert.ok(page.data.some((r) => r.id === tok.ref.id));
  });
});

describe("identity functions with a token (§4.4)", () => {
  test("Identity/CurrentIdentity = instance; Has* true; CurrentToken = the token ref", async () => {
    const user = await newUser({ name: "ident" });
    const tok = await tokenFor(user);
    const c = target.client(tok.secret);
    assertDocRef(await c.query(q.CurrentIdentity()), "users", user.id);
    assertDocRef(await c.query(q.Identity()), "users", user.id);
    assert.equal(await c.query(q.HasCurrentIdentity()), true);
    assert.equal(await c.query(q.HasIdentity()), true);
    assertNativeRef(await c.query(q.CurrentToken()), "tokens", tok.ref.id);
    assert.equal(await c.query(q.HasCurrentToken()), true);
  });

  test("a scope suffix on a token secret is ignored", async () => {
    const user = await newUser();
    const tok = await tokenFor(user);
    const c = target.client(`${tok.secret}:somedb:admin`);
    assertDocRef(await c.query(q.CurrentIdentity()), "users", user.id);
  });
});

describe("baseline rights of a token with no role (§4.5)", () => {
  let user: Ref;
  let other: Ref;
  let c: Client;
  let mine: Token;
  let sibling: Token;
  let foreign: Token;
  let thing: Ref;
  before(async () => {
    user = await newUser({ email: "me@x" });
    other = await newUser({ email: "other@x" });
    mine = await tokenFor(user);
    sibling = await tokenFor(user);
    foreign = await tokenFor(other);
    c = target.client(mine.secret);
    thing = (await server.query<Doc>(q.Create(q.Collection("things"), { data: { a: 1 } }))).ref;
  });

  test("Get/Exists(CurrentToken()) work and show the token document", async () => {
    const doc = await c.query<Record<string, unknown>>(q.Get(q.CurrentToken()));
    assertNativeRef(doc.ref, "tokens", mine.ref.id);
    assertDocRef(doc.instance, "users", user.id);
    assert.equal(doc.secret, undefined);
    assert.equal(await c.query(q.Exists(q.CurrentToken())), true);
  });

  test("may read another token of the same identity, not a token of another identity", async () => {
    const doc = await c.query<Record<string, unknown>>(q.Get(sibling.ref));
    assertNativeRef(doc.ref, "tokens", sibling.ref.id);
    await expectError(c.query(q.Get(foreign.ref)), { ...DENIED, position: [] });
  });

  test("pure expressions need no permission", async () => {
    assert.equal(await c.query(q.Add(1, 2)), 3);
    assert.ok(timeText(await c.query(q.Now())).endsWith("Z"));
    assert.equal(await c.query(q.IsSet(q.Match(q.Index("users_by_email"), "me@x"))), true);
    assert.equal(await c.query(q.IsRef(q.Collection("things"))), true);
  });

  test("cannot read, update, replace or delete its own identity document (403 at [])", async () => {
    await expectError(c.query(q.Get(q.CurrentIdentity())), { ...DENIED, position: [] });
    await expectError(c.query(q.Update(q.CurrentIdentity(), { data: { x: 1 } })), { ...DENIED, position: [] });
    await expectError(c.query(q.Replace(q.CurrentIdentity(), { data: { x: 1 } })), { ...DENIED, position: [] });
    await expectError(c.query(q.Delete(q.CurrentIdentity())), { ...DENIED, position: [] });
    assert.equal(await c.query(q.Exists(q.CurrentIdentity())), false);
    // the identity is still there
    assert.equal(await server.query(q.Exists(user)), true);
  });

  test("Get of any document → 403, even when it does not exist; Exists → false", async () => {
    await expectError(c.query(q.Get(thing)), { ...DENIED, position: [] });
    await expectError(c.query(q.Get(q.Ref(q.Collection("things"), "999999"))), { ...DENIED, position: [] });
    assert.equal(await c.query(q.Exists(thing)), false);
  });

  test("Paginate(Documents(…)) → 200 with empty data", async () => {
    const page = await c.query<Page>(q.Paginate(q.Documents(q.Collection("things"))));
    assert.deepEqual(page, { data: [] });
  });

  test("index sets need read on the index: Paginate/Count/Get/Exists → 403 at the reading form", async () => {
    const m = q.Match(q.Index("users_by_email"), "me@x");
    await expectError(c.query(q.Paginate(m)), { ...DENIED, position: ["paginate"] });
    await expectError(c.query(q.Count(m)), { ...DENIED, position: ["count"] });
    await expectError(c.query(q.Get(m)), { ...DENIED, position: ["get"] });
    await expectError(c.query(q.Exists(m)), { ...DENIED, position: ["exists"] });
  });

  test("Create → 403 at [create]; Update/Delete of others' docs → 403 at []", async () => {
    await expectError(c.query(q.Create(q.Collection("things"), { data: {} })), { ...DENIED, position: ["create"] });
    await expectError(c.query(q.Update(thing, { data: { a: 2 } })), { ...DENIED, position: [] });
    await expectError(c.query(q.Delete(thing)), { ...DENIED, position: [] });
  });

  test("a 403 inside a larger query reports the nested position and writes nothing", async () => {
    await expectError(c.query(q.Do(q.Add(1, 1), q.Create(q.Collection("things"), { data: {} }))), {
      ...DENIED,
      position: ["do", 1, "create"],
    });
  });
});

describe("Login / Identify (S.2.2, S.2.4)", () => {
  let alice: Ref;
  before(async () => {
    alice = await newUser({ email: "alice@x" }, "s3cret");
  });

  test("Create with credentials: response shows only ref, ts, data", async () => {
    const res = await rawQuery(
      target.endpoint,
      target.serverSecret,
      q.Create(q.Collection("users"), { credentials: { password: "pw" }, data: { email: "c@x" } }),
    );
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.json.resource), ["ref", "ts", "data"]);
  });

  test("Login(ref, {password}) → 201 token for the document; password not stored", async () => {
    const res = await rawQuery(target.endpoint, target.serverSecret, q.Login(alice, { password: "s3cret" }));
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json.resource.instance, docJ("users", alice.id));
    assert.equal(typeof res.json.resource.secret, "string");
    assert.equal(res.json.resource.password, undefined);
    const c = target.client(res.json.resource.secret);
    assertDocRef(await c.query(q.CurrentIdentity()), "users", alice.id);
  });

  test("Login copies ttl and data to the token", async () => {
    const tok = await server.query<Token>(
      q.Login(alice, { password: "s3cret", ttl: q.Time("2099-01-01T00:00:00Z"), data: { via: "login" } }),
    );
    assert.equal(timeText(tok.ttl), "2099-01-01T00:00:00Z");
    assert.deepEqual(tok.data, { via: "login" });
  });

  test("Login works with a client key (no privilege needed for a ref)", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    const tok = await target.client(k.secret).query<Token>(q.Login(alice, { password: "s3cret" }));
    assertDocRef(tok.instance, "users", alice.id);
  });

  test("Login with a readable set uses its first element", async () => {
    const tok = await server.query<Token>(q.Login(q.Match(q.Index("users_by_email"), "alice@x"), { password: "s3cret" }));
    assertDocRef(tok.instance, "users", alice.id);
  });

  test("wrong password, no password, no credentials, missing document → 400 authentication failed", async () => {
    const bare = await newUser({ email: "nocreds@x" });
    await expectError(server.query(q.Login(alice, { password: "nope" })), AUTH_FAILED);
    await expectError(server.query(q.Login(alice, {})), AUTH_FAILED);
    await expectError(server.query(q.Login(bare, { password: "x" })), AUTH_FAILED);
    await expectError(server.query(q.Login(q.Ref(q.Collection("users"), "4242424242"), { password: "x" })), AUTH_FAILED);
    await expectError(server.query(q.Login(q.Match(q.Index("users_by_email"), "nobody@x"), { password: "x" })), AUTH_FAILED);
  });

  test("Login params must be an object → invalid argument at [params]", async () => {
    await expectError(server.query(q.Login(alice, "s3cret" as never)), {
      status: 400,
      code: "invalid argument",
      description: "Object expected, String provided.",
      position: ["params"],
    });
  });

  test("Identify: true/false, never an error for wrong password or missing doc", async () => {
    assert.equal(await server.query(q.Identify(alice, "s3cret")), true);
    assert.equal(await server.query(q.Identify(alice, "wrong")), false);
    assert.equal(await server.query(q.Identify(q.Ref(q.Collection("users"), "4242424242"), "x")), false);
    const bare = await newUser();
    assert.equal(await server.query(q.Identify(bare, "x")), false);
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    assert.equal(await target.client(k.secret).query(q.Identify(alice, "s3cret")), true);
  });

  test("Identify argument errors", async () => {
    await expectError(server.query(q.Identify(alice, 5 as never)), {
      status: 400,
      code: "invalid argument",
      description: "String expected, Integer provided.",
      position: ["password"],
    });
    await expectError(server.query(q.Identify("users/1" as never, "x")), {
      status: 400,
      code: "invalid argument",
      description: "Ref or Set expected, String provided.",
      position: ["identify"],
    });
  });

  test("Login / Identify with an unreadable set → 403 at [login] / [identify]", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    const cl = target.client(k.secret);
    const m = q.Match(q.Index("users_by_email"), "alice@x");
    await expectError(cl.query(q.Login(m, { password: "s3cret" })), { ...DENIED, position: ["login"] });
    await expectError(cl.query(q.Identify(m, "s3cret")), { ...DENIED, position: ["identify"] });
  });

  test("Identify with a readable set uses its first element; empty set → false", async () => {
    assert.equal(await server.query(q.Identify(q.Match(q.Index("users_by_email"), "alice@x"), "s3cret")), true);
    assert.equal(await server.query(q.Identify(q.Match(q.Index("users_by_email"), "nobody@x"), "s3cret")), false);
  });

  test("password change through the Credentials document: server key freely; admin needs current_password", async () => {
    const u = await newUser({ email: "cred@x" }, "first");
    const page = await server.query<Page<Ref>>(q.Paginate(q.Credentials(), { size: 100000 }));
    const docs = await server.query<{ ref: Ref; instance: Ref }[]>(q.Map(page.data, q.Lambda("r", q.Get(q.Var("r")))));
    const cred = docs.find((d) => d.instance.id === u.id);
    assert.ok(cred, "credentials document for the new user");
    await server.query(q.Update(cred.ref, { password: "second" }));
    assert.equal(await server.query(q.Identify(u, "second")), true);
    await expectError(admin.query(q.Update(cred.ref, { password: "third" })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      failures: [{ field: ["current_password"], code: "invalid password", description: "Invalid password at `current_password`." }],
    });
    await admin.query(q.Update(cred.ref, { password: "third", current_password: "second" }));
    assert.equal(await server.query(q.Identify(u, "third")), true);
  });

  test("password change through the user document (Update with credentials)", async () => {
    const bob = await newUser({ email: "bob@x" }, "old");
    await server.query(q.Update(bob, { credentials: { password: "new" } }));
    assert.equal(await server.query(q.Identify(bob, "new")), true);
    assert.equal(await server.query(q.Identify(bob, "old")), false);
    const doc = await server.query<Record<string, unknown>>(q.Get(bob));
    assert.equal(doc.credentials, undefined);
  });

  test("Credentials documents: listed by the server key, show instance and hashed_password", async () => {
    const page = await server.query<Page<Ref>>(q.Paginate(q.Credentials(), { size: 1000 }));
    assert.ok(page.data.length >= 1);
    const docs = await server.query<Record<string, unknown>[]>(q.Map(page.data, q.Lambda("r", q.Get(q.Var("r")))));
    const forAlice = docs.find((d) => (d.instance as Ref).id === alice.id);
    assert.ok(forAlice, "alice has a credentials document");
    assertNativeRef(forAlice.ref, "credentials");
    assert.equal(typeof forAlice.hashed_password, "string");
    assert.equal(forAlice.password, undefined);
  });

  test("Create(Credentials(), {instance, password}) → 201 and enables Login", async () => {
    const u = await newUser();
    const res = await rawQuery(target.endpoint, target.serverSecret, q.Create(q.Credentials(), { instance: u, password: "p1" }));
    assert.equal(res.status, 201, res.text);
    assert.equal(await server.query(q.Identify(u, "p1")), true);
  });

  test("Create(Credentials()) without instance → validation failed, value required", async () => {
    await expectError(server.query(q.Create(q.Credentials(), { password: "p1" })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      failures: [{ field: ["instance"], code: "value required", description: "Required value not found." }],
    });
  });
});

describe("Logout (S.2.4)", () => {
  test("Logout(false) deletes only the calling token; the query itself keeps its auth", async () => {
    const u = await newUser();
    const t1 = await tokenFor(u);
    const t2 = await tokenFor(u);
    const c1 = target.client(t1.secret);
    assert.deepEqual(await c1.query(q.Do(q.Logout(false), q.HasCurrentIdentity())), true);
    await expectError(c1.query(q.Add(1, 1)), UNAUTHORIZED);
    assert.equal(await target.client(t2.secret).query(q.Add(1, 1)), 2);
    assert.equal(await server.query(q.Exists(t1.ref)), false);
  });

  test("Logout(false) returns true", async () => {
    const t = await tokenFor(await newUser());
    assert.equal(await target.client(t.secret).query(q.Logout(false)), true);
  });

  test("Logout(true) deletes every token of the identity, not other identities' tokens", async () => {
    const u = await newUser();
    const v = await newUser();
    const a = await tokenFor(u);
    const b = await tokenFor(u);
    const other = await tokenFor(v);
    assert.equal(await target.client(a.secret).query(q.Logout(true)), true);
    await expectError(target.client(a.secret).query(q.Add(1, 1)), UNAUTHORIZED);
    await expectError(target.client(b.secret).query(q.Add(1, 1)), UNAUTHORIZED);
    assert.equal(await target.client(other.secret).query(q.Add(1, 1)), 2);
  });

  test("@doc-scoped server key: identity is that document; Logout(true) deletes its tokens", async () => {
    const u = await newUser();
    const t = await tokenFor(u);
    const asDoc = target.client(`${target.serverSecret}:@doc/users/${u.id}`);
    assertDocRef(await asDoc.query(q.CurrentIdentity()), "users", u.id);
    assert.equal(await asDoc.query(q.HasCurrentIdentity()), true);
    assert.equal(await asDoc.query(q.Logout(true)), true);
    await expectError(target.client(t.secret).query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("Logout argument must be boolean", async () => {
    const t = await tokenFor(await newUser());
    await expectError(target.client(t.secret).query(q.Logout("yes" as never)), {
      status: 400,
      code: "invalid argument",
      description: "Boolean expected, String provided.",
      position: ["logout"],
    });
  });

  test("a token may delete its own token document; next request → 401", async () => {
    const t = await tokenFor(await newUser());
    const c = target.client(t.secret);
    await c.query(q.Delete(q.CurrentToken()));
    await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
  });
});

describe("token authentication failures → 401 before the query runs (§4.3)", () => {
  test("unknown secret", async () => {
    await expectError(target.client("fnEnotarealtokensecretatall").query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("token deleted by the server key", async () => {
    const t = await tokenFor(await newUser());
    const c = target.client(t.secret);
    assert.equal(await c.query(q.Add(1, 1)), 2);
    await server.query(q.Delete(t.ref));
    await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("identity document deleted", async () => {
    const u = await newUser();
    const t = await tokenFor(u);
    const c = target.client(t.secret);
    assert.equal(await c.query(q.Add(1, 1)), 2);
    await server.query(q.Delete(u));
    await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("a 401 query does not run: a Create in it is not written", async () => {
    const t = await tokenFor(await newUser());
    await server.query(q.Delete(t.ref));
    const n = await server.query(q.Count(q.Documents(q.Collection("things"))));
    await expectError(target.client(t.secret).query(q.Create(q.Collection("things"), {})), UNAUTHORIZED);
    assert.equal(await server.query(q.Count(q.Documents(q.Collection("things")))), n);
  });

  test("token created with a past ttl: 201, unusable, and invisible to Get/Exists", async () => {
    const t = await tokenFor(await newUser(), { ttl: q.TimeSubtract(q.Now(), 1, "hour") });
    assert.equal(typeof t.secret, "string");
    await expectError(target.client(t.secret).query(q.Add(1, 1)), UNAUTHORIZED);
    assert.equal(await server.query(q.Exists(t.ref)), false);
    await expectError(server.query(q.Get(t.ref)), { status: 404, code: "instance not found", position: [] });
  });

  test("Update of a token's ttl to the past takes effect on the next request", async () => {
    const t = await tokenFor(await newUser(), { ttl: q.TimeAdd(q.Now(), 1, "hour") });
    const c = target.client(t.secret);
    assert.equal(await c.query(q.Add(1, 1)), 2);
    await server.query(q.Update(t.ref, { ttl: q.TimeSubtract(q.Now(), 1, "second") }));
    await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("KeyFromSecret resolves a token secret (server key) without the secret", async () => {
    const u = await newUser();
    const t = await tokenFor(u, { data: { k: 1 } });
    const doc = await server.query<Record<string, unknown>>(q.KeyFromSecret(t.secret));
    assertNativeRef(doc.ref, "tokens", t.ref.id);
    assertDocRef(doc.instance, "users", u.id);
    assert.equal(typeof doc.hashed_secret, "string");
    assert.equal(doc.secret, undefined);
  });
});

describe("token ttl on the emulator clock", () => {
  test("a token expires when the clock passes its ttl (no sleeping)", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    try {
      const tok = await tokenFor(await newUser(), { ttl: q.TimeAdd(q.Now(), 1, "hour") });
      const c = target.client(tok.secret);
      assert.equal(await c.query(q.Add(1, 1)), 2);
      emu.clock.advance(59 * 60 * 1000);
      assert.equal(await c.query(q.Add(1, 1)), 2);
      emu.clock.advance(2 * 60 * 1000);
      await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
      assert.equal(await server.query(q.Exists(tok.ref)), false);
    } finally {
      emu.clock.resume();
    }
  });

  test("a token whose ttl equals the snapshot time is already unusable (ttl ≤ now)", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    const base = new Date(Date.now() + 10 * 86_400_000);
    base.setUTCMilliseconds(0);
    try {
      emu.clock.freeze(base);
      const ttl = new Date(base.getTime() + 1000).toISOString();
      const tok = await tokenFor(await newUser(), { ttl: q.Time(ttl) });
      const c = target.client(tok.secret);
      emu.clock.freeze(new Date(base.getTime() + 999));
      assert.equal(await c.query(q.Add(1, 1)), 2);
      emu.clock.freeze(new Date(base.getTime() + 1000));
      await expectError(c.query(q.Add(1, 1)), UNAUTHORIZED);
    } finally {
      emu.clock.resume();
    }
  });
});
