/**
 * Issue 16, gaps that need no profile, as the server's source settles them:
 * - `Get(CurrentToken())` in a role's membership predicate (Fauna's refresh-token
 *   blueprint): the predicate runs read-only but as the login it decides about
 *   (LambdaWrapper.evalPredicate, RoleMembership.scala);
 * - KeyFromSecret of a token whose identity is gone, and of a `secret:db:role` string:
 *   400 instance not found (ReadFunctions.scala, AuthLike.scala, AuthScope.scala);
 * - `Documents()` over native collections (DocumentsFunction takes any collection ref,
 *   DocumentsSet filters by read permission instead of refusing);
 * - a named schema ref that names nothing is `invalid ref` (the driver suite's
 *   `access_provider`): the server's constructors leave it unresolved.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { assertNativeRef, expectError, ids, q, type Client, type Doc, type Page, type Ref } from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;

const DENIED = { status: 403, code: "permission denied", description: "Insufficient privileges to perform the action." };
const noKey = (secret: string) => ({ status: 400, code: "instance not found", description: `No key found for secret ${secret}.`, position: [] });

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.Do(q.CreateCollection({ name: "users" }), q.CreateCollection({ name: "notes" })));
  await admin.query(q.Create(q.Collection("notes"), { data: { text: "hello" } }));
});
after(() => target.close());

const mkUser = async (): Promise<Ref> => (await server.query<Doc>(q.Create(q.Collection("users"), { data: {} }))).ref;
const issue = (user: Ref, data?: Record<string, unknown>) => server.query<{ ref: Ref; secret: string }>(q.Create(q.Tokens(), { instance: user, ...(data ? { data } : {}) }));

describe("Get(CurrentToken()) in a membership predicate (the refresh-token blueprint)", () => {
  before(async () => {
    // As the blueprint: a token's `data.type` decides which role its holder gets.
    const byType = (type: string) => q.Query(q.Lambda("ref", q.Equals(q.Select(["data", "type"], q.Get(q.CurrentToken()), null), type)));
    await admin.query(
      q.Do(
        q.CreateRole({
          name: "access",
          membership: [{ resource: q.Collection("users"), predicate: byType("access") }],
          privileges: [{ resource: q.Collection("notes"), actions: { read: true } }],
        }),
        q.CreateRole({
          name: "refresh",
          membership: [{ resource: q.Collection("users"), predicate: byType("refresh") }],
          privileges: [{ resource: q.Tokens(), actions: { create: true } }],
        }),
      ),
    );
  });

  test("the predicate reads the token being authenticated: an access token gets the access role, a refresh token does not", async () => {
    const user = await mkUser();
    const access = target.client((await issue(user, { type: "access" })).secret);
    const refresh = target.client((await issue(user, { type: "refresh" })).secret);
    const page = await access.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("notes"))));
    assert.equal(page.data.length, 1);
    assert.equal(((await access.query<Doc>(q.Get(page.data[0]!))).data as { text: string }).text, "hello");
    await expectError(refresh.query(q.Get(page.data[0]!)), { ...DENIED, position: [] });
    // …and the refresh token holds the refresh role: it may create a token for its identity.
    const fresh = await refresh.query<{ secret: string }>(q.Create(q.Tokens(), { instance: user, data: { type: "access" } }));
    assert.match(fresh.secret, /^fnE/);
  });

  test("a token without the field matches neither role", async () => {
    const plain = target.client((await issue(await mkUser())).secret);
    assert.deepEqual((await plain.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("notes"))))).data, []);
  });
});

describe("KeyFromSecret as the server decodes secrets", () => {
  test("a token whose identity document was deleted is no secret: 400 instance not found", async () => {
    const user = await mkUser();
    const tok = await issue(user);
    assertNativeRef((await admin.query<Doc>(q.KeyFromSecret(tok.secret))).ref, "tokens", tok.ref.id);
    await admin.query(q.Delete(user));
    await expectError(admin.query(q.KeyFromSecret(tok.secret)), noKey(tok.secret));
    // The token document itself is still there.
    assert.equal(await admin.query(q.Exists(tok.ref)), true);
  });

  test("a token secret with a :db:role suffix is decoded as a whole: 400 instance not found", async () => {
    const tok = await issue(await mkUser());
    const scoped = `${tok.secret}:${target.database}:admin`;
    await expectError(admin.query(q.KeyFromSecret(scoped)), noKey(scoped));
  });
});

describe("Documents() over native collections", () => {
  test("Documents(Tokens()) lists the tokens as Paginate(Tokens()) does, and renders as a documents set", async () => {
    await issue(await mkUser());
    const viaDocuments = await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Tokens()), { size: 1000 }));
    const viaNative = await admin.query<Page<Ref>>(q.Paginate(q.Tokens(), { size: 1000 }));
    assert.ok(viaDocuments.data.length > 0);
    assert.deepEqual(ids(viaDocuments.data), ids(viaNative.data));
    assertNativeRef(viaDocuments.data[0], "tokens");
    assert.deepEqual(JSON.parse(JSON.stringify(await admin.query(q.Documents(q.Tokens())))), { "@set": { documents: { "@ref": { id: "tokens" } } } });
  });

  test("Documents of Credentials(), Collections(), Keys() and Databases() for an admin key", async () => {
    await admin.query(q.Create(q.Collection("users"), { credentials: { password: "pw" } }));
    assert.equal(((await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Credentials())))).data.length >= 1), true);
    assert.deepEqual(ids((await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Collections())))).data).sort(), ["notes", "users"]);
    assert.equal(await admin.query(q.Count(q.Documents(q.Keys()))), await admin.query(q.Count(q.Keys())));
    assert.deepEqual((await admin.query<Page<Ref>>(q.Paginate(q.Documents(q.Databases())))).data, []);
  });

  test("a key that may not read a native collection gets an empty page, not a refusal (the set is filtered)", async () => {
    assert.deepEqual((await server.query<Page<Ref>>(q.Paginate(q.Documents(q.Keys())))).data, []);
    await expectError(server.query(q.Paginate(q.Keys())), { ...DENIED, position: ["paginate"] });
    assert.ok((await server.query<Page<Ref>>(q.Paginate(q.Documents(q.Tokens())))).data.length > 0);
  });

  test("a token without roles sees only its own identity's tokens (its baseline rights)", async () => {
    const user = await mkUser();
    const mine = [await issue(user), await issue(user)];
    await issue(await mkUser());
    const holder = target.client(mine[0]!.secret);
    const page = await holder.query<Page<Ref>>(q.Paginate(q.Documents(q.Tokens())));
    assert.deepEqual(ids(page.data).sort(), mine.map((t) => t.ref.id).sort());
  });

  test("Documents() of something that is no collection is still refused", async () => {
    await expectError(admin.query(q.Documents(q.Index("nope") as never)), { status: 400, code: "invalid argument", description: "Collection Ref expected, Index Ref provided.", position: ["documents"] });
  });
});

describe("named schema refs that name nothing", () => {
  test("Get, Update, Replace and Delete answer 400 invalid ref at the argument, even without permission", async () => {
    const cases: [ReturnType<typeof q.Collection>, string][] = [
      [q.AccessProvider("nope"), "access_provider"],
      [q.Collection("nope"), "collection"],
      [q.Index("nope"), "index"],
      [q.Role("nope"), "role"],
      [q.Function("nope"), "function"],
      [q.Database("nope"), "database"],
    ];
    for (const [ref, kind] of cases) {
      const invalid = (at: string) => ({ status: 400, code: "invalid ref", description: `Ref refers to undefined ${kind} 'nope'`, position: [at] });
      await expectError(admin.query(q.Get(ref)), invalid("get"));
      await expectError(admin.query(q.Update(ref, {})), invalid("update"));
      await expectError(admin.query(q.Delete(ref)), invalid("delete"));
      await expectError(server.query(q.Get(ref)), invalid("get"));
    }
    await expectError(admin.query(q.Replace(q.Collection("nope"), {})), { status: 400, code: "invalid ref", description: "Ref refers to undefined collection 'nope'", position: ["replace"] });
  });

  test("Exists stays false, and documents with ids stay 404", async () => {
    assert.equal(await admin.query(q.Exists(q.AccessProvider("nope"))), false);
    await expectError(admin.query(q.Get(q.Ref(q.Keys(), "1"))), { status: 404, code: "instance not found", description: "Key not found.", position: [] });
  });
});
