/** Issue 10: access providers (create, read, list, validation) and MoveDatabase. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, expectError, type Client, type Page, type Ref } from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;

const DENIED = { status: 403, code: "permission denied", description: "Insufficient privileges to perform the action." } as const;

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateRole({ name: "app_user", privileges: [] }));
  await admin.query(q.CreateRole({ name: "app_admin", privileges: [] }));
});
after(() => target.close());

interface Provider {
  ref: Ref;
  ts: number;
  name: string;
  issuer: string;
  jwks_uri: string;
  roles?: unknown;
  audience: string;
}

describe("access providers", () => {
  test("CreateAccessProvider → 201 with name, issuer, jwks_uri, roles and an audience", async () => {
    const p = await admin.query<Provider>(
      q.CreateAccessProvider({
        name: "auth0",
        issuer: "https://tenant.example.auth0.com/",
        jwks_uri: "https://tenant.example.auth0.com/.well-known/jwks.json",
        roles: [q.Role("app_user"), { role: q.Role("app_admin"), predicate: q.Query(q.Lambda("claims", true)) }],
      }),
    );
    assert.equal(p.ref.id, "auth0");
    assert.equal(p.ref.collection?.id, "access_providers");
    assert.equal(p.issuer, "https://tenant.example.auth0.com/");
    assert.equal(p.jwks_uri, "https://tenant.example.auth0.com/.well-known/jwks.json");
    assert.ok(Array.isArray(p.roles) && p.roles.length === 2);
    assert.match(p.audience, /^https:\/\/db\.fauna\.com\/db\/\w+$/);
  });

  test("Get(AccessProvider(n)) and Paginate(AccessProviders())", async () => {
    const p = await admin.query<Provider>(q.Get(q.AccessProvider("auth0")));
    assert.equal(p.name, "auth0");
    const page = await admin.query<Page<Ref>>(q.Paginate(q.AccessProviders()));
    assert.deepEqual(
      page.data.map((r) => r.id),
      ["auth0"],
    );
  });

  test("a single role is stored as that role", async () => {
    const p = await admin.query<Provider>(
      q.CreateAccessProvider({ name: "one", issuer: "https://one.example/", jwks_uri: "https://one.example/jwks", roles: [q.Role("app_user")] }),
    );
    assert.equal((p.roles as Ref).id, "app_user");
  });

  test("a duplicate issuer is validation failed at [issuer]", async () => {
    await expectError(
      admin.query(q.CreateAccessProvider({ name: "again", issuer: "https://tenant.example.auth0.com/", jwks_uri: "https://x.example/jwks" })),
      {
        status: 400,
        code: "validation failed",
        description: "document data is not valid.",
        position: ["create_access_provider"],
        failures: [{ field: ["issuer"], code: "duplicate value", description: "Value is not unique." }],
      },
    );
  });

  test("issuer and jwks_uri are required; jwks_uri must be https; a duplicate name exists already", async () => {
    const errs = await expectError(admin.query(q.CreateAccessProvider({ name: "bad" })), {
      status: 400,
      code: "validation failed",
      position: ["create_access_provider"],
    });
    assert.deepEqual(
      (errs[0]!.failures as { field: string[] }[]).map((f) => f.field[0]),
      ["issuer", "jwks_uri"],
    );
    const http = await expectError(admin.query(q.CreateAccessProvider({ name: "bad", issuer: "https://b.example/", jwks_uri: "http://b.example/jwks" })), {
      status: 400,
      code: "validation failed",
    });
    assert.deepEqual((http[0]!.failures as { field: string[] }[])[0]!.field, ["jwks_uri"]);
    await expectError(
      admin.query(q.CreateAccessProvider({ name: "auth0", issuer: "https://c.example/", jwks_uri: "https://c.example/jwks" })),
      { status: 400, code: "instance already exists", description: "Access Provider already exists.", position: ["create_access_provider"] },
    );
  });

  test("roles must exist and may not be built-in", async () => {
    const errs = await expectError(
      admin.query(q.CreateAccessProvider({ name: "r", issuer: "https://r.example/", jwks_uri: "https://r.example/jwks", roles: ["nope", "server"] })),
      { status: 400, code: "validation failed" },
    );
    assert.deepEqual(
      (errs[0]!.failures as { description: string }[]).map((f) => f.description),
      ["Role `nope` does not exist.", "Builtin role `server` not allowed."],
    );
  });

  test("server keys may neither create nor list access providers", async () => {
    await expectError(server.query(q.CreateAccessProvider({ name: "s", issuer: "https://s.example/", jwks_uri: "https://s.example/jwks" })), DENIED);
    await expectError(server.query(q.Paginate(q.AccessProviders())), DENIED);
  });
});

describe("MoveDatabase", () => {
  test("re-parents a database with its contents; its own keys keep working", async () => {
    await admin.query(q.CreateDatabase({ name: "src" }));
    await admin.query(q.CreateDatabase({ name: "dst" }));
    const inner = await admin.query<{ secret: string }>(q.CreateKey({ role: "admin", database: q.Database("src") }));
    const innerAdmin = target.client(inner.secret);
    await innerAdmin.query(q.CreateDatabase({ name: "leaf" }));
    const leafKey = await innerAdmin.query<{ secret: string }>(q.CreateKey({ role: "server", database: q.Database("leaf") }));
    await target.client(leafKey.secret).query(q.CreateCollection({ name: "kept" }));

    const moved = await admin.query<{ ref: Ref; name: string }>(q.MoveDatabase(q.Database("leaf", q.Database("src")), q.Database("dst")));
    assert.equal(moved.name, "leaf");
    assert.equal(moved.ref.id, "leaf");
    assert.equal(moved.ref.database?.id, "dst");
    assert.equal(await admin.query(q.Exists(q.Database("leaf", q.Database("dst")))), true);
    assert.equal(await admin.query(q.Exists(q.Database("leaf", q.Database("src")))), false);
    assert.equal(await admin.query(q.Exists(q.Collection("kept", q.Database("leaf", q.Database("dst"))))), true);
  });

  test("a name clash in the new parent exists already; keys the old parent held for it stop working", async () => {
    await admin.query(q.CreateDatabase({ name: "p1" }));
    await admin.query(q.CreateDatabase({ name: "p2" }));
    const k1 = await admin.query<{ secret: string }>(q.CreateKey({ role: "admin", database: q.Database("p1") }));
    const k2 = await admin.query<{ secret: string }>(q.CreateKey({ role: "admin", database: q.Database("p2") }));
    await target.client(k1.secret).query(q.CreateDatabase({ name: "same" }));
    await target.client(k2.secret).query(q.CreateDatabase({ name: "same" }));
    await expectError(admin.query(q.MoveDatabase(q.Database("same", q.Database("p1")), q.Database("p2"))), {
      status: 400,
      code: "instance already exists",
      description: "Database already exists.",
    });
    const forSame = await target.client(k1.secret).query<{ secret: string }>(q.CreateKey({ role: "server", database: q.Database("same") }));
    assert.equal(await target.client(forSame.secret).query(q.Add(1, 1)), 2);
    await target.client(k2.secret).query(q.Delete(q.Database("same")));
    await admin.query(q.MoveDatabase(q.Database("same", q.Database("p1")), q.Database("p2")));
    await expectError(target.client(forSame.secret).query(q.Add(1, 1)), {
      status: 401,
      code: "unauthorized",
      description: "Unauthorized",
    });
  });

  test("moving a database into its own descendant is a move database error", async () => {
    await admin.query(q.CreateDatabase({ name: "top" }));
    const topKey = await admin.query<{ secret: string }>(q.CreateKey({ role: "admin", database: q.Database("top") }));
    await target.client(topKey.secret).query(q.CreateDatabase({ name: "below" }));
    await expectError(admin.query(q.MoveDatabase(q.Database("top"), q.Database("below", q.Database("top")))), {
      status: 400,
      code: "move database error",
      description: "Cannot move database 'top' into parent 'below': Cannot move database from ancestor to descendant.",
      position: [],
    });
  });

  test("needs delete rights on the moved database", async () => {
    await expectError(server.query(q.MoveDatabase(q.Database("top"), q.Database("dst"))), DENIED);
  });
});
