/**
 * The roles drift check is strict (the review of main, 3): a stored role that lists a
 * resource twice is drift, since FaunaDB grants the union of the entries' actions, so a
 * second entry widens a role whose first entry matches; deploy-schema refuses it
 * (ERR_SCHEMA_CONFLICT) and the doctor, which compares the same way, reports it. And every
 * key of a stored membership entry and privilege is compared, none ignored. Through the real
 * driver, the real commands and the emulator.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { parseRolesFile } from "../lib/core/schema/roles-file.ts";
import { roleDifferences, USER_ROLE, userRoleDefinition } from "../lib/core/schema/role.ts";
import { RolesFileInvalid, SchemaConflict } from "../lib/core/errors/index.ts";
import { check, doctorJson, runDoctor } from "./support/doctor.ts";
import { EXIT } from "../scripts/command-line.ts";

const q = faunadb.query;
const ISSUER = "https://example.eu.auth0.com/";
const ROLES = { roles: [{ name: "orders_reader", members: { issuer: ISSUER, claim: "permissions", contains: "read:orders" }, privileges: [{ resource: { collection: "orders" }, actions: { read: true } }] }] };
const roles = () => parseRolesFile(JSON.stringify(ROLES), "roles.json", "users");

/** SchemaConflict naming `object`, with a difference matching `re`. */
const conflict = (object: string, re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof SchemaConflict, String(e));
  assert.equal(e.object, object);
  assert.ok(e.differences.some((d) => re.test(d)), e.differences.join("\n"));
  return true;
};

describe("a stored role that lists a resource twice is drift", () => {
  let target: FaunaTarget;
  let admin: faunadb.Client;
  before(async () => {
    target = await startTarget();
    admin = target.client();
    await admin.query(q.CreateCollection({ name: "orders" }));
    await deploySchema(admin, { withUsers: true, withUserRole: true, roles: roles() });
  });
  after(() => target.close());

  test("a roles-file role widened by a second entry for the same collection: deploy-schema refuses it, naming the entries", async () => {
    const role = await admin.query<{ privileges: unknown[] }>(q.Get(q.Role("orders_reader")));
    await admin.query(q.Update(q.Role("orders_reader"), { privileges: [{ resource: q.Collection("orders"), actions: { read: true, write: true, delete: true } }, ...role.privileges] }));
    await assert.rejects(
      deploySchema(admin, { withUsers: true, withUserRole: true, roles: roles() }),
      conflict("role orders_reader", /^orders_reader: privileges on collections\/orders are listed 2 times \(\{delete: true, read: true, write: true\}, \{read: true\}\): FaunaDB grants the union of their actions$/),
    );
    // The same widening with the matching entry first is just as much drift.
    await admin.query(q.Update(q.Role("orders_reader"), { privileges: [...role.privileges, { resource: q.Collection("orders"), actions: { write: true } }] }));
    await assert.rejects(deploySchema(admin, { roles: roles() }), conflict("role orders_reader", /listed 2 times/));
    await admin.query(q.Update(q.Role("orders_reader"), { privileges: role.privileges }));
    await deploySchema(admin, { roles: roles() });
  });

  test("user_self widened the same way: the doctor's schema check fails and says so", async () => {
    const role = await admin.query<{ privileges: unknown[] }>(q.Get(q.Role(USER_ROLE)));
    await admin.query(q.Update(q.Role(USER_ROLE), { privileges: [...role.privileges, { resource: q.Collection("users"), actions: { read: true, write: true } }] }));
    const out = doctorJson(await runDoctor(["--json"], { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.adminSecret }), EXIT.failed, "ERR_NOT_READY");
    const schema = check(out, "schema")!;
    assert.equal(schema.ok, false);
    assert.match(schema.detail, /user_self: privileges on collections\/users are listed 2 times \(\{read: Query\(.*\)\}, \{read: true, write: true\}\)/);
    await assert.rejects(deploySchema(admin, { withUsers: true, withUserRole: true }), conflict(`role ${USER_ROLE}`, /listed 2 times/));
  });
});

describe("every stored key is compared", () => {
  test("a membership entry or privilege with a key the definition has not is drift", () => {
    const def = userRoleDefinition("users");
    // As the driver returns a stored role's resource.
    const resource = new faunadb.values.Ref("users", faunadb.values.Native.COLLECTIONS);
    const read = def.privileges[0]!.actions;
    assert.deepEqual(roleDifferences(def, { membership: [{ resource }], privileges: [{ resource, actions: read }] }), []);
    assert.deepEqual(roleDifferences(def, { membership: [{ resource, extra: 1 }], privileges: [{ resource, actions: read, note: "x" }] }), [
      "membership on collections/users has extra: 1, which the definition has not",
      'the privilege on collections/users has note: "x", which the definition has not',
    ]);
  });

  test("a roles file that lists a resource twice is refused: deploy-schema would call it drift", () => {
    const twice = { roles: [{ ...ROLES.roles[0]!, privileges: [...ROLES.roles[0]!.privileges, { resource: { collection: "orders" }, actions: { write: true } }] }] };
    assert.throws(
      () => parseRolesFile(JSON.stringify(twice), "r.json", "users"),
      (e: unknown) => e instanceof RolesFileInvalid && e.problems.includes('r.json: role "orders_reader": privileges[1].resource names collections/orders again: list each resource once, with all its actions'),
    );
  });
});
