/**
 * Root-level behaviour (§4.1, §4.4): the root secret and its scoped forms. Needs the root key,
 * so it runs on a plain emulator (the shared target only hands out child-database keys).
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator, type EmulatorHandle } from "../index.ts";
import { q, expectError, assertDocRef, rawQuery, type Doc, clientPool } from "./support.ts";

let emu: EmulatorHandle;
const pool = clientPool(() => emu.url);
const client = pool.client;

before(async () => {
  emu = await startEmulator({ port: 0, secret: "rootpw" });
  const root = client("rootpw");
  await root.query(q.CreateDatabase({ name: "app" }));
  await client("rootpw:app:admin").query(q.CreateDatabase({ name: "sub" }));
});
after(async () => {
  await pool.closeAll();
  await emu.close();
});

describe("root secret", () => {
  test("handle exposes url, port and the configured secret", () => {
    assert.equal(emu.secret, "rootpw");
    assert.ok(emu.port > 0);
    assert.match(emu.url, new RegExp(`:${emu.port}`));
  });

  test("the root secret is admin on the root database", async () => {
    const root = client("rootpw");
    assert.equal(await root.query(q.Exists(q.Database("app"))), true);
    await root.query(q.CreateCollection({ name: "root_coll" }));
    assert.equal(await root.query(q.Exists(q.Collection("root_coll"))), true);
  });

  test("a wrong root secret → 401", async () => {
    await expectError(client("rootpw2").query(q.Add(1, 1)), {
      status: 401,
      code: "unauthorized",
      description: "Unauthorized",
      position: null,
    });
  });

  test("identity functions with the root secret (bare and scoped)", async () => {
    for (const s of ["rootpw", "rootpw:app:admin", "rootpw:app:server"]) {
      const c = client(s);
      await expectError(c.query(q.CurrentIdentity()), {
        status: 400,
        code: "missing identity",
        description: "Authentication does not contain an identity",
        position: [],
      });
      await expectError(c.query(q.CurrentToken()), {
        status: 400,
        code: "invalid token",
        description: "Token metadata is not accessible.",
        position: [],
      });
      assert.equal(await c.query(q.HasCurrentIdentity()), false, s);
      assert.equal(await c.query(q.HasCurrentToken()), false, s);
    }
  });

  test("rootpw:app:admin / :server / :server-readonly / :client act with those roles inside app", async () => {
    await client("rootpw:app:admin").query(q.CreateCollection({ name: "c" }));
    const d = await client("rootpw:app:server").query<Doc>(q.Create(q.Collection("c"), { data: { a: 1 } }));
    assertDocRef(d.ref, "c");
    await expectError(client("rootpw:app:server").query(q.CreateRole({ name: "r0", privileges: [] })), {
      status: 403,
      code: "permission denied",
      position: ["create_role"],
    });
    assert.equal((await client("rootpw:app:server-readonly").query<Doc>(q.Get(d.ref))).data?.a, 1);
    await expectError(client("rootpw:app:server-readonly").query(q.Create(q.Collection("c"), {})), {
      status: 403,
      code: "permission denied",
      position: ["create"],
    });
    await expectError(client("rootpw:app:client").query(q.Get(d.ref)), {
      status: 403,
      code: "permission denied",
      description: "Insufficient privileges to perform the action.",
      position: [],
    });
    // the root db does not see app's collection
    assert.equal(await client("rootpw").query(q.Exists(q.Collection("c"))), false);
  });

  test("rootpw:app/sub:admin reaches a grandchild; unknown db or role in scope → 401", async () => {
    const sub = client("rootpw:app/sub:admin");
    await sub.query(q.CreateCollection({ name: "in_sub" }));
    assert.equal(await client("rootpw:app:admin").query(q.Exists(q.Collection("in_sub"))), false);
    assert.equal(await sub.query(q.Exists(q.Collection("in_sub"))), true);
    await expectError(client("rootpw:ghost:admin").query(q.Add(1, 1)), { status: 401, code: "unauthorized", position: null });
    await expectError(client("rootpw:app:@role/ghost").query(q.Add(1, 1)), { status: 401, code: "unauthorized", position: null });
  });

  test("rootpw:app:@role/name runs with exactly that role", async () => {
    const a = client("rootpw:app:admin");
    await a.query(q.CreateCollection({ name: "visible" }));
    await a.query(q.CreateCollection({ name: "hidden" }));
    const v = await a.query<Doc>(q.Create(q.Collection("visible"), { data: { ok: true } }));
    const h = await a.query<Doc>(q.Create(q.Collection("hidden"), { data: { ok: false } }));
    await a.query(
      q.CreateRole({ name: "reader", privileges: [{ resource: q.Collection("visible"), actions: { read: true } }] }),
    );
    const r = client("rootpw:app:@role/reader");
    assert.equal((await r.query<Doc>(q.Get(v.ref))).data?.ok, true);
    await expectError(r.query(q.Get(h.ref)), { status: 403, code: "permission denied", position: [] });
    await expectError(r.query(q.Create(q.Collection("visible"), {})), { status: 403, code: "permission denied", position: ["create"] });
  });

  test("rootpw:app:@doc/coll/id acts as that document (identity)", async () => {
    const a = client("rootpw:app:admin");
    await a.query(q.CreateCollection({ name: "people" }));
    await a.query(q.Create(q.Ref(q.Collection("people"), "77"), { data: { n: 1 } }));
    const c = client("rootpw:app:@doc/people/77");
    assertDocRef(await c.query(q.CurrentIdentity()), "people", "77");
    assert.equal(await c.query(q.HasCurrentIdentity()), true);
  });

  test("queries in a scoped db render refs relative to it (no database field)", async () => {
    const res = await rawQuery(emu.url, "rootpw:app:admin", q.Collection("c"));
    assert.equal(res.text, '{"resource":{"@ref":{"id":"c","collection":{"@ref":{"id":"collections"}}}}}');
  });
});
