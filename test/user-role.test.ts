/**
 * deploy-schema --with-user-role: the role is created once, then left alone; a
 * role that drifted is reported and not touched; and a secret from the exchange
 * can read its own user document and nothing else.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";
import { deploySchema, schemaDefinition } from "../lib/core/schema/deploy.ts";
import { LEDGER_BY_USER_INDEX, LEDGER_COLLECTION, LIVE_TOKENS_INDEX, SIGN_OUTS_BY_USER_INDEX } from "../lib/core/ledger/layout.ts";
import { USER_ROLE } from "../lib/core/schema/role.ts";
import { Misconfigured, SchemaConflict } from "../lib/core/errors/index.ts";
import { runScript } from "./support/processes.ts";

const q = faunadb.query;

const run = (args: string[], env: Record<string, string>) => runScript("scripts/deploy-schema.ts", args, env);

const permissionDenied = (e: Error) => e.message === "permission denied";

describe("npm run deploy-schema -- --with-user-role", () => {
  let target: FaunaTarget;
  before(async () => {
    target = await startTarget();
  });
  after(() => target.close());

  test("twice: created, then unchanged; a server key is refused before anything is created", async () => {
    const serverOnly = await run(["--with-users", "--with-user-role"], { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret });
    // The key lacks what deploy-schema needs: exit 4, like any refused key (scripts/command-line.ts).
    assert.equal(serverOnly.code, 4, serverOnly.stderr);
    assert.match(serverOnly.stderr, /^deploy-schema: ERR_FAUNA_SECRET_REFUSED: .*needs an admin key/);
    assert.equal(await target.client().query(q.Exists(q.Collection(LEDGER_COLLECTION))), false);

    const env = { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.adminSecret };
    assert.equal((await run(["--with-users"], env)).code, 0);
    const first = await run(["--with-user-role"], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`created +role ${USER_ROLE}`));
    assert.match(first.stdout, /Schema deployed: 1 object\(s\) created/);
    const second = await run(["--with-user-role"], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`exists +role ${USER_ROLE}`));
    assert.match(second.stdout, /Schema up to date: nothing changed\./);
    const json = await run(["--with-users", "--with-user-role", "--json"], env);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { changed: boolean; created: string[]; existing: string[] };
    assert.equal(report.changed, false);
    assert.deepEqual(report.created, []);
    assert.equal(report.existing.length, 9);
    const role = await target.client().query<{ membership: { resource: faunadb.values.Ref }[] }>(q.Get(q.Role(USER_ROLE)));
    assert.equal(role.membership[0]!.resource.id, "users");
  });

  test("a role that differs is reported with its differences (exit 1) and nothing is changed", async () => {
    const admin = target.client();
    const widened = [
      {
        resource: q.Collection("users"),
        actions: { read: q.Query(q.Lambda("ref", q.Equals(q.CurrentIdentity(), q.Var("ref")))), write: true },
      },
      { resource: q.Collection(LEDGER_COLLECTION), actions: { read: true } },
    ];
    await admin.query(q.Update(q.Role(USER_ROLE), { privileges: widened }));
    const before = await admin.query<{ ts: number }>(q.Get(q.Role(USER_ROLE)));
    const res = await run(["--with-users", "--with-user-role"], { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.adminSecret });
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, new RegExp(`role ${USER_ROLE} already exists with a different definition`));
    assert.match(res.stderr, /privileges on collections\/users are \{read: Query\(.*\), write: true\}, expected \{read: Query\(/);
    assert.match(res.stderr, /privileges on collections\/auth0_token_exchanges \{read: true\} are not in the definition/);
    assert.match(res.stderr, /a role of your own/);
    const after = await admin.query<{ ts: number }>(q.Get(q.Role(USER_ROLE)));
    assert.equal(after.ts, before.ts);

    // Membership drift is named as such, by the library too.
    await admin.query(q.Update(q.Role(USER_ROLE), { membership: [{ resource: q.Collection(LEDGER_COLLECTION) }] }));
    await assert.rejects(deploySchema(admin, { withUsers: true, withUserRole: true }), (e: unknown) => {
      assert.ok(e instanceof SchemaConflict);
      assert.equal(e.object, `role ${USER_ROLE}`);
      assert.ok(e.differences.some((d) => /membership is \[collections\/auth0_token_exchanges\], expected \[collections\/users\]/.test(d)));
      return true;
    });
  });

  test("without --with-users, the users collection must exist already", async () => {
    const t2 = await startTarget();
    try {
      const admin = t2.client();
      await assert.rejects(deploySchema(admin, { withUserRole: true }), (e: unknown) => {
        assert.ok(e instanceof Misconfigured);
        assert.match(e.problems.join(), /role user_self needs the collection users/);
        return true;
      });
      assert.equal(await admin.query(q.Exists(q.Collection(LEDGER_COLLECTION))), false);
      // An existing users collection of the app's own is enough.
      await admin.query(q.CreateCollection({ name: "members" }));
      const report = await deploySchema(admin, { withUserRole: true, usersCollection: "members" });
      assert.ok(report.created.includes(`role ${USER_ROLE}`));
    } finally {
      await t2.close();
    }
  });

  test("definition: no role unless asked; its membership follows the users collection", () => {
    assert.deepEqual(schemaDefinition({ withUsers: true }).roles, []);
    const [role] = schemaDefinition({ withUserRole: true, usersCollection: "members" }).roles;
    assert.deepEqual(role!.membership, ["members"]);
    assert.deepEqual(role!.privileges[0]!.resource, { collection: "members" });
  });
});

describe("a secret under the user role", () => {
  let s: Stack;
  let me: faunadb.Client;
  let bobRef: faunadb.values.Ref;
  before(async () => {
    s = await startStack({ users: ["auth0|alice", "auth0|bob"] });
    bobRef = await s.admin.query<faunadb.values.Ref>(q.Select("ref", q.Get(q.Match(q.Index("users_by_auth0_id"), "auth0|bob"))));
    const bob = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|bob" })));
    assert.equal(bob.status, 200);
    const alice = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|alice" })));
    assert.equal(alice.status, 200);
    me = s.target.client(alice.body.secret as string);
  });
  after(() => s.close());

  test("before the role: not even its own document", async () => {
    await assert.rejects(me.query(q.Get(q.CurrentIdentity())), permissionDenied);
  });

  test("with the role: its own user document, and nothing else", async () => {
    const report = await deploySchema(s.admin, { withUsers: true, withUserRole: true });
    assert.deepEqual(report.created, [`role ${USER_ROLE}`]);
    // A secret issued afterwards (the earlier one gets the role too: roles apply per request).
    const fresh = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|alice" })));
    assert.equal(fresh.status, 200);
    me = s.target.client(fresh.body.secret as string);

    const own = await me.query<{ ref: faunadb.values.Ref; data: { auth0_id: string } }>(q.Get(q.CurrentIdentity()));
    assert.equal(own.data.auth0_id, "auth0|alice");
    // Other users: not by ref, not through the index, not by listing the collection.
    await assert.rejects(me.query(q.Get(bobRef)), permissionDenied);
    await assert.rejects(me.query(q.Paginate(q.Match(q.Index("users_by_auth0_id"), "auth0|bob"))), permissionDenied);
    const listed = await me.query<{ data: faunadb.values.Ref[] }>(q.Paginate(q.Documents(q.Collection("users"))));
    assert.deepEqual(listed.data.map((r) => r.id), [own.ref.id]);
    // Its own document is read-only.
    await assert.rejects(me.query(q.Update(q.CurrentIdentity(), { data: { admin: true } })), permissionDenied);
    await assert.rejects(me.query(q.Create(q.Collection("users"), { data: { auth0_id: "auth0|mallory" } })), permissionDenied);
    // The ledger: no document, no index.
    const ledger = await s.admin.query<{ data: faunadb.values.Ref[] }>(q.Paginate(q.Documents(q.Collection(LEDGER_COLLECTION))));
    assert.equal(ledger.data.length, 3);
    await assert.rejects(me.query(q.Get(ledger.data[0]!)), permissionDenied);
    assert.deepEqual((await me.query<{ data: unknown[] }>(q.Paginate(q.Documents(q.Collection(LEDGER_COLLECTION))))).data, []);
    await assert.rejects(me.query(q.Paginate(q.Match(q.Index(LEDGER_BY_USER_INDEX), q.CurrentIdentity()))), permissionDenied);
    // Nor the live-secret bound's index (over Tokens()) or the sign-outs.
    await assert.rejects(me.query(q.Count(q.Match(q.Index(LIVE_TOKENS_INDEX), q.CurrentIdentity()))), permissionDenied);
    await assert.rejects(me.query(q.Paginate(q.Match(q.Index(SIGN_OUTS_BY_USER_INDEX), q.CurrentIdentity()))), permissionDenied);
    // No new secrets and no keys.
    await assert.rejects(me.query(q.Create(q.Tokens(), { instance: q.CurrentIdentity() })), permissionDenied);
    await assert.rejects(me.query(q.CreateKey({ role: "server" })), permissionDenied);
    assert.deepEqual((await me.query<{ data: unknown[] }>(q.Paginate(q.Keys()))).data, []);
    // Listing tokens shows only the user's own (FaunaDB's baseline for every token, not the role's doing).
    const tokens = await me.query<{ data: faunadb.values.Ref[] }>(q.Paginate(q.Tokens()));
    assert.equal(tokens.data.length, 2);
    for (const t of tokens.data) assert.equal((await s.admin.query<faunadb.values.Ref>(q.Select("instance", q.Get(t)))).id, own.ref.id);
    assert.equal((await s.counts()).tokens, 3);
  });
});

