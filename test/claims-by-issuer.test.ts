/**
 * Claims are kept apart by issuer (the review of main, 2): with two identity providers, a
 * claim means what its issuer means by it. The exchange writes the verified `iss` next to the
 * claims on the token (`data.issuer`), and a role from a roles file grants only on the word of
 * the issuer(s) its `members.issuer` names. Two local issuers with real keys and JWKS, real
 * HTTP into the handler, the secrets used with the real driver.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startStack, type Stack } from "./support/stack.ts";
import { exchangedClient, outcome } from "./support/exchanged.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { parseRolesFile } from "../lib/core/schema/roles-file.ts";

const q = faunadb.query;
const logs = captureLogs();

let s: Stack;
/** The second issuer (OIDC_ISSUERS); `s.issuer` is the first (AUTH0_*). */
let second: DevIssuer;
let order: faunadb.values.Ref;
let shared: faunadb.values.Ref;
after(closeThenCheck(logs, async () => Promise.all([s?.close(), second?.close()])));

before(async () => {
  second = await startDevIssuer({ audience: "second-api" });
  s = await startStack({
    env: {
      CREATE_MISSING_USERS: "true",
      TOKEN_CLAIMS: "permissions",
      OIDC_ISSUERS: JSON.stringify([{ issuer: second.issuer, audience: second.audience, jwks_uri: second.jwksUri }]),
    },
  });
  logs.forbid(s.target.serverSecret, s.target.adminSecret);
  await s.admin.query(q.Do(q.CreateCollection({ name: "orders" }), q.CreateCollection({ name: "shared" })));
  order = await s.admin.query(q.Select("ref", q.Create(q.Collection("orders"), { data: { item: "tea" } })));
  shared = await s.admin.query(q.Select("ref", q.Create(q.Collection("shared"), { data: { note: "both" } })));
  const roles = {
    roles: [
      // Only the first issuer's read:orders.
      { name: "orders_reader", members: { issuer: s.issuer.issuer, claim: "permissions", contains: "read:orders" }, privileges: [{ resource: { collection: "orders" }, actions: { read: true } }] },
      // Either issuer's read:shared.
      { name: "shared_reader", members: { issuer: [s.issuer.issuer, second.issuer], claim: "permissions", contains: "read:shared" }, privileges: [{ resource: { collection: "shared" }, actions: { read: true } }] },
    ],
  };
  await deploySchema(s.admin, { withUsers: true, roles: parseRolesFile(JSON.stringify(roles), "roles.json", "users") });
});

const secretFrom = (issuer: DevIssuer, sub: string, permissions: string[]): Promise<faunadb.Client> =>
  exchangedClient(s, logs, issuer.mint({ sub, claims: { permissions } }));

/** A document's data, or the driver's error name. */
async function dataOf(c: faunadb.Client, expr: faunadb.ExprArg): Promise<unknown> {
  const v = await outcome(c, expr);
  return typeof v === "string" ? v : (v as { data: unknown }).data;
}

describe("claims are kept apart by issuer", () => {
  test("the token records the issuer that vouched for its claims", async () => {
    const c = await secretFrom(second, "user|1", ["read:orders"]);
    const token = await c.query<{ data?: unknown }>(q.Get(q.CurrentToken()));
    assert.deepEqual(token.data, { claims: { permissions: ["read:orders"] }, issuer: second.issuer });
  });

  test("the role's issuer's token is granted; the same claim from the other issuer is denied", async () => {
    const first = await secretFrom(s.issuer, "user|2", ["read:orders"]);
    assert.deepEqual(await dataOf(first, q.Get(order)), { item: "tea" });
    const other = await secretFrom(second, "user|2", ["read:orders"]);
    assert.equal(await dataOf(other, q.Get(order)), "PermissionDenied");
  });

  test("a role naming both issuers grants either's claim", async () => {
    assert.deepEqual(await dataOf(await secretFrom(s.issuer, "user|3", ["read:shared"]), q.Get(shared)), { note: "both" });
    assert.deepEqual(await dataOf(await secretFrom(second, "user|3", ["read:shared"]), q.Get(shared)), { note: "both" });
  });

  test("a token with claims but no recorded issuer (written some other way) is granted nothing", async () => {
    const user = await s.admin.query(q.Select("ref", q.Create(q.Collection("users"), { data: { auth0_id: "user|forged" } })));
    const forged = await s.admin.query<{ secret: string }>(q.Create(q.Tokens(), { instance: user, data: { claims: { permissions: ["read:orders"] } } }));
    logs.forbid(forged.secret);
    assert.equal(await dataOf(s.target.client(forged.secret), q.Get(order)), "PermissionDenied");
  });
});
