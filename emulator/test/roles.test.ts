/** §6: roles — membership (with predicates), privileges (boolean / Query(Lambda) predicates), role keys. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, rawQuery, expectError, assertDocRef, ids, type Client, type Doc, type Page, type Ref } from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;

const DENIED = { status: 403, code: "permission denied", description: "Insufficient privileges to perform the action." };

async function tokenClient(user: Ref): Promise<Client> {
  const t = await server.query<{ secret: string }>(q.Create(q.Tokens(), { instance: user }));
  return target.client(t.secret);
}
const mk = async (coll: string, data: Record<string, unknown>, id?: string): Promise<Ref> =>
  (await server.query<Doc>(q.Create(id ? q.Ref(q.Collection(coll), id) : q.Collection(coll), { data }))).ref;

let u1: Ref; // plain user
let vip: Ref; // user with data.vip = true
let x1: Ref;
let x2: Ref;

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  for (const name of ["users", "x", "z", "p", "w"]) await admin.query(q.CreateCollection({ name }));
  await admin.query(q.CreateIndex({ name: "x_by_y", source: q.Collection("x"), terms: [{ field: ["data", "y"] }] }));
  await admin.query(q.CreateIndex({ name: "z_by_y", source: q.Collection("z"), terms: [{ field: ["data", "y"] }] }));
  await admin.query(
    q.CreateIndex({ name: "xz_by_y", source: [q.Collection("x"), q.Collection("z")], terms: [{ field: ["data", "y"] }] }),
  );
  u1 = await mk("users", { name: "u1" });
  vip = await mk("users", { name: "vip", vip: true });
  x1 = await mk("x", { y: "a" });
  x2 = await mk("x", { y: "a" });
  await mk("z", { y: "a" });
  await admin.query(
    q.CreateRole({
      name: "user",
      membership: [{ resource: q.Collection("users") }],
      privileges: [{ resource: q.Collection("x"), actions: { read: true } }],
    }),
  );
});
after(() => target.close());

describe("CreateRole", () => {
  test("201 with ref in roles, name, membership, privileges", async () => {
    const res = await rawQuery(
      target.endpoint,
      target.adminSecret,
      q.CreateRole({ name: "shape", membership: { resource: q.Collection("w") }, privileges: [] }),
    );
    assert.equal(res.status, 201, res.text);
    const r = res.json.resource;
    assert.deepEqual(r.ref, { "@ref": { id: "shape", collection: { "@ref": { id: "roles" } } } });
    assert.equal(r.name, "shape");
    assert.ok("membership" in r && "privileges" in r);
    assert.ok(Number.isSafeInteger(r.ts));
  });

  test("duplicate name → 400 Role already exists. at [create_role]", async () => {
    await expectError(admin.query(q.CreateRole({ name: "user", privileges: [] })), {
      status: 400,
      code: "instance already exists",
      description: "Role already exists.",
      position: ["create_role"],
    });
  });

  test("a server key cannot create roles → 403 at [create_role]", async () => {
    await expectError(server.query(q.CreateRole({ name: "by_server", privileges: [] })), {
      ...DENIED,
      position: ["create_role"],
    });
  });
});

describe("token with role 'user' (read on x)", () => {
  let c: Client;
  before(async () => {
    c = await tokenClient(u1);
  });

  test("Get / Exists on x work", async () => {
    assert.equal((await c.query<Doc>(q.Get(x1))).data?.y, "a");
    assert.equal(await c.query(q.Exists(x1)), true);
    assert.equal(await c.query(q.Exists(q.Ref(q.Collection("x"), "999999"))), false);
  });

  test("Paginate(Documents(x)) returns all docs", async () => {
    const page = await c.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("x"))));
    assert.deepEqual(ids(page.data), [x1.id, x2.id].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
  });

  test("Get(Identity()) still 403 (no read on users)", async () => {
    await expectError(c.query(q.Get(q.CurrentIdentity())), { ...DENIED, position: [] });
  });

  test("writes on x → 403 (Create at [create], Update/Replace/Delete at [])", async () => {
    await expectError(c.query(q.Create(q.Collection("x"), { data: {} })), { ...DENIED, position: ["create"] });
    await expectError(c.query(q.Update(x1, { data: { y: "b" } })), { ...DENIED, position: [] });
    await expectError(c.query(q.Replace(x1, { data: { y: "b" } })), { ...DENIED, position: [] });
    await expectError(c.query(q.Delete(x1)), { ...DENIED, position: [] });
  });

  test("Paginate(Match(x_by_y)) → 403 at [paginate] without read on the index", async () => {
    await expectError(c.query(q.Paginate(q.Match(q.Index("x_by_y"), "a"))), { ...DENIED, position: ["paginate"] });
  });

  test("z is unreadable: Get 403, Documents page empty", async () => {
    const z = await server.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("z"))));
    await expectError(c.query(q.Get(z.data[0]!)), { ...DENIED, position: [] });
    assert.deepEqual(await c.query(q.Paginate(q.Documents(q.Collection("z")))), { data: [] });
  });

  test("baseline token rights still apply with a role", async () => {
    assert.equal(await c.query(q.Exists(q.CurrentToken())), true);
  });
});

describe("role edits apply on the next request; roles union", () => {
  test("granting index read + create via a second role", async () => {
    const c = await tokenClient(u1);
    await expectError(c.query(q.Paginate(q.Match(q.Index("x_by_y"), "a"))), { ...DENIED, position: ["paginate"] });
    await admin.query(
      q.CreateRole({
        name: "user_extra",
        membership: [{ resource: q.Collection("users") }],
        privileges: [
          { resource: q.Index("x_by_y"), actions: { read: true } },
          { resource: q.Index("xz_by_y"), actions: { read: true } },
          { resource: q.Collection("w"), actions: { create: true, read: true } },
        ],
      }),
    );
    const page = await c.query<Page<Ref>>(q.Paginate(q.Match(q.Index("x_by_y"), "a")));
    assert.equal(page.data.length, 2);
    const made = await c.query<Doc>(q.Create(q.Collection("w"), { data: { by: "token" } }));
    assertDocRef(made.ref, "w");
    // still no write on x
    await expectError(c.query(q.Update(x1, { data: {} })), { ...DENIED, position: [] });
  });

  test("index read without collection read: unreadable documents are silently dropped", async () => {
    const c = await tokenClient(u1);
    // xz_by_y covers x (readable) and z (not readable)
    const page = await c.query<Page<Ref>>(q.Paginate(q.Match(q.Index("xz_by_y"), "a")));
    assert.ok(page.data.length === 2, `only the two x docs: ${JSON.stringify(page.data)}`);
    for (const r of page.data) assertDocRef(r, "x");
  });

  test("Update(Role) changes privileges for the next request", async () => {
    const c = await tokenClient(u1);
    await expectError(c.query(q.Get(q.CurrentIdentity())), { ...DENIED, position: [] });
    await admin.query(
      q.Update(q.Role("user"), {
        privileges: [
          { resource: q.Collection("x"), actions: { read: true } },
          { resource: q.Collection("users"), actions: { read: true } },
        ],
      }),
    );
    assert.equal((await c.query<Doc>(q.Get(q.CurrentIdentity()))).data?.name, "u1");
  });
});

describe("membership predicates", () => {
  before(async () => {
    await admin.query(
      q.CreateRole({
        name: "vip",
        membership: [
          {
            resource: q.Collection("users"),
            predicate: q.Query(q.Lambda("ref", q.Select(["data", "vip"], q.Get(q.Var("ref")), false))),
          },
        ],
        privileges: [{ resource: q.Collection("z"), actions: { read: true } }],
      }),
    );
  });

  test("only members for whom the predicate is true get the role", async () => {
    const z = await server.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("z"))));
    const zref = z.data[0]!;
    const vc = await tokenClient(vip);
    const uc = await tokenClient(u1);
    assert.equal((await vc.query<Doc>(q.Get(zref))).data?.y, "a");
    await expectError(uc.query(q.Get(zref)), { ...DENIED, position: [] });
  });

  test("the predicate is re-evaluated: flipping the flag changes access on the next request", async () => {
    const z = await server.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("z"))));
    const zref = z.data[0]!;
    const vc = await tokenClient(vip);
    await server.query(q.Update(vip, { data: { vip: false } }));
    await expectError(vc.query(q.Get(zref)), { ...DENIED, position: [] });
    await server.query(q.Update(vip, { data: { vip: true } }));
    assert.equal((await vc.query<Doc>(q.Get(zref))).data?.y, "a");
  });
});

describe("privilege predicates", () => {
  let owner: Ref;
  let stranger: Ref;
  let mine: Ref;
  let theirs: Ref;
  before(async () => {
    owner = await mk("users", { name: "owner" });
    stranger = await mk("users", { name: "stranger" });
    mine = await mk("p", { owner, deletable: true, n: 1 });
    theirs = await mk("p", { owner: stranger, deletable: false, n: 2 });
    await admin.query(
      q.CreateRole({
        name: "owners",
        membership: { resource: q.Collection("users") },
        privileges: {
          resource: q.Collection("p"),
          actions: {
            read: q.Query(q.Lambda("ref", q.Equals(q.Select(["data", "owner"], q.Get(q.Var("ref"))), q.CurrentIdentity()))),
            write: q.Query(
              q.Lambda(
                ["oldData", "newData"],
                q.And(
                  q.Equals(q.Select(["data", "owner"], q.Var("oldData")), q.CurrentIdentity()),
                  q.Equals(q.Select(["data", "owner"], q.Var("newData")), q.CurrentIdentity()),
                ),
              ),
            ),
            delete: q.Query(q.Lambda("ref", q.Select(["data", "deletable"], q.Get(q.Var("ref"))))),
          },
        },
      }),
    );
  });

  test("read predicate (receives the ref): own document readable, others 403", async () => {
    const c = await tokenClient(owner);
    assert.equal((await c.query<Doc>(q.Get(mine))).data?.n, 1);
    await expectError(c.query(q.Get(theirs)), { ...DENIED, position: [] });
    assert.equal(await c.query(q.Exists(theirs)), false);
  });

  test("Documents page is filtered per document by the read predicate", async () => {
    const c = await tokenClient(owner);
    const page = await c.query<Page<Ref>>(q.Paginate(q.Documents(q.Collection("p"))));
    assert.deepEqual(ids(page.data), [mine.id]);
  });

  test("write predicate gets [oldData, newData] as documents (Select(['data','owner'], Var('oldData')), Fauna docs usage): may update own doc, not give it away", async () => {
    const c = await tokenClient(owner);
    const upd = await c.query<Doc>(q.Update(mine, { data: { n: 10 } }));
    assert.equal(upd.data?.n, 10);
    await expectError(c.query(q.Update(mine, { data: { owner: stranger } })), { ...DENIED, position: [] });
    await expectError(c.query(q.Update(theirs, { data: { n: 3 } })), { ...DENIED, position: [] });
    assert.equal((await server.query<Doc>(q.Get(theirs))).data?.n, 2);
  });

  test("delete predicate (receives the ref)", async () => {
    const c = await tokenClient(stranger);
    const s1 = await mk("p", { owner: stranger, deletable: false });
    await expectError(c.query(q.Delete(s1)), { ...DENIED, position: [] });
    const s2 = await mk("p", { owner: stranger, deletable: true });
    await c.query(q.Delete(s2));
    assert.equal(await server.query(q.Exists(s2)), false);
  });

  test("a denied write inside Do rolls back the earlier permitted write", async () => {
    const c = await tokenClient(owner);
    await expectError(c.query(q.Do(q.Update(mine, { data: { n: 99 } }), q.Update(theirs, { data: { n: 99 } }))), {
      ...DENIED,
      position: ["do", 1],
    });
    assert.equal((await server.query<Doc>(q.Get(mine))).data?.n, 10);
  });
});

describe("more predicate shapes", () => {
  test("index read predicate receives the term array", async () => {
    await admin.query(
      q.CreateRole({
        name: "z_terms",
        membership: { resource: q.Collection("users") },
        privileges: [
          { resource: q.Index("z_by_y"), actions: { read: q.Query(q.Lambda("terms", q.Equals(q.Select(0, q.Var("terms")), "a"))) } },
          { resource: q.Collection("z"), actions: { unrestricted_read: true } },
        ],
      }),
    );
    const c = await tokenClient(u1);
    const page = await c.query<Page<Ref>>(q.Paginate(q.Match(q.Index("z_by_y"), "a")));
    assert.equal(page.data.length, 1);
    await expectError(c.query(q.Paginate(q.Match(q.Index("z_by_y"), "b"))), { ...DENIED, position: ["paginate"] });
  });

  test("credentials are written with server privileges: a token with only create may set them", async () => {
    const c = await tokenClient(u1);
    const made = await c.query<Doc>(q.Create(q.Collection("w"), { credentials: { password: "pw" }, data: { k: 1 } }));
    assert.equal((made as Record<string, unknown>).credentials, undefined);
    assert.equal(await server.query(q.Identify(made.ref, "pw")), true);
  });

  test("a client key cannot create Credentials documents", async () => {
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: "client" }));
    await expectError(target.client(k.secret).query(q.Create(q.Credentials(), { instance: u1, password: "x" })), {
      ...DENIED,
      position: ["create"],
    });
  });
});

describe("keys with custom roles", () => {
  test("CreateKey({role: Role('r')}) gets exactly the role's privileges, no baseline token rights", async () => {
    await admin.query(
      q.CreateRole({ name: "xreader", privileges: [{ resource: q.Collection("x"), actions: { read: true } }] }),
    );
    const k = await admin.query<{ secret: string }>(q.CreateKey({ role: q.Role("xreader") }));
    const c = target.client(k.secret);
    assert.equal((await c.query<Doc>(q.Get(x1))).data?.y, "a");
    await expectError(c.query(q.Get(u1)), { ...DENIED, position: [] });
    await expectError(c.query(q.Create(q.Collection("x"), {})), { ...DENIED, position: ["create"] });
    assert.equal(await c.query(q.HasCurrentIdentity()), false);
  });
});

describe("predicates and composite sets", () => {
  const tokenFor = async (user: Ref) =>
    target.client((await server.query<{ secret: string }>(q.Create(q.Tokens(), { instance: user }))).secret);

  test("a predicate cannot write: a membership predicate that tries to grants nothing and writes nothing", async () => {
    await admin.query(q.CreateCollection({ name: "pw_users" }));
    await admin.query(q.CreateCollection({ name: "pw_log" }));
    await admin.query(
      q.CreateRole({
        name: "writes_in_predicate",
        membership: [{ resource: q.Collection("pw_users"), predicate: q.Query(q.Lambda("ref", q.Do(q.Create(q.Collection("pw_log"), {}), true))) }],
        privileges: [{ resource: q.Collection("x"), actions: { read: true } }],
      }),
    );
    const who = await mk("pw_users", { name: "w" });
    const c = await tokenFor(who);
    await expectError(c.query(q.Get(x1)), DENIED);
    assert.equal(await admin.query(q.Count(q.Documents(q.Collection("pw_log")))), 0);
  });

  test("Intersection with an unreadable component drops that component instead of emptying the result (S.1.4)", async () => {
    // Same documents as x_by_y, but no role grants read on it.
    await admin.query(q.CreateIndex({ name: "x_by_y_hidden", source: q.Collection("x"), terms: [{ field: ["data", "y"] }] }));
    await admin.query(
      q.CreateRole({
        name: "reads_x_index",
        membership: [{ resource: q.Collection("users"), predicate: q.Query(q.Lambda("ref", q.Equals(q.Var("ref"), vip))) }],
        privileges: [
          { resource: q.Index("x_by_y"), actions: { read: true } },
          { resource: q.Collection("x"), actions: { read: true } },
        ],
      }),
    );
    const c = await tokenFor(vip);
    const page = await c.query<Page>(q.Paginate(q.Intersection(q.Match(q.Index("x_by_y"), "a"), q.Match(q.Index("x_by_y_hidden"), "a"))));
    assert.deepEqual(ids(page.data as Ref[]).sort(), ids([x1, x2]).sort());
  });

  test("a caller who may not create is refused (403) before its data is validated", async () => {
    const c = await tokenFor(u1);
    await expectError(c.query(q.Create(q.Collection("p"), { data: "not an object" } as never)), { ...DENIED, position: ["create"] });
  });
});
