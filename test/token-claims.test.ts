/**
 * Authority from the identity provider: TOKEN_CLAIMS copies verified claims onto the token
 * the exchange issues (one query, nothing else read), and a role from a roles file grants
 * by them through `Get(CurrentToken())` in its membership predicate. Everything through
 * real HTTP into the handler, and the secrets used with the real driver.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { exchangedClient, outcome } from "./support/exchanged.ts";
import { captureLogs } from "./support/log-capture.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { parseRolesFile } from "../lib/core/schema/roles-file.ts";
import { MAX_TOKEN_CLAIMS_BYTES } from "../lib/core/exchange/token-claims.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

/** Three roles over `orders`, on the word of `issuer`: a permission (contains), an organisation (equals), a nested Keycloak-style role. */
const roles = (issuer: string) => JSON.stringify({
  roles: [
    {
      name: "orders_reader",
      members: { issuer, claim: "permissions", contains: "read:orders" },
      privileges: [
        { resource: { collection: "orders" }, actions: { read: true } },
        { resource: { index: "all_orders" }, actions: { read: true } },
      ],
    },
    { name: "acme_member", members: { collection: "users", issuer: [issuer], claim: "org_id", equals: "org_acme" }, privileges: [{ resource: { collection: "acme" }, actions: { read: true } }] },
    { name: "realm_auditor", members: { issuer, claim: ["realm_access", "roles"], contains: "auditor" }, privileges: [{ resource: { collection: "audit" }, actions: { read: true } }] },
  ],
});

let s: Stack;
let order: faunadb.values.Ref;
let acme: faunadb.values.Ref;
let audit: faunadb.values.Ref;

before(async () => {
  s = await startStack({ env: { CREATE_MISSING_USERS: "true", TOKEN_CLAIMS: "permissions,org_id,realm_access" } });
  logs.forbid(s.target.serverSecret, s.target.adminSecret);
  await s.admin.query(q.Do(q.CreateCollection({ name: "orders" }), q.CreateCollection({ name: "acme" }), q.CreateCollection({ name: "audit" })));
  await s.admin.query(q.CreateIndex({ name: "all_orders", source: q.Collection("orders") }));
  order = await s.admin.query(q.Select("ref", q.Create(q.Collection("orders"), { data: { item: "tea", qty: 2 } })));
  acme = await s.admin.query(q.Select("ref", q.Create(q.Collection("acme"), { data: { plan: "gold" } })));
  audit = await s.admin.query(q.Select("ref", q.Create(q.Collection("audit"), { data: { event: "login" } })));
  await deploySchema(s.admin, { withUsers: true, roles: parseRolesFile(roles(s.issuer.issuer), "roles.json", "users") });
});
after(() => s.close());

/** A secret from the real exchange for a JWT with these claims. */
const secretFor = (sub: string, claims: Record<string, unknown>): Promise<faunadb.Client> => exchangedClient(s, logs, s.issuer.mint({ sub, claims }));

describe("TOKEN_CLAIMS on the issued token", () => {
  test("exactly the listed claims present in the JWT, as data.claims of the token", async () => {
    const c = await secretFor("auth0|claims", {
      permissions: ["read:orders", "write:orders"],
      org_id: "org_acme",
      email: "claims@example.com",
      scope: "openid profile",
    });
    const token = await c.query<{ data?: { claims?: unknown } }>(q.Get(q.CurrentToken()));
    assert.deepEqual(token.data, { claims: { permissions: ["read:orders", "write:orders"], org_id: "org_acme" }, issuer: s.issuer.issuer });
  });

  test("no listed claim in the JWT: the token has no data at all (no claims, no issuer to vouch for them)", async () => {
    const c = await secretFor("auth0|bare", { email: "bare@example.com" });
    const token = await c.query<Record<string, unknown>>(q.Get(q.CurrentToken()));
    assert.ok(!("data" in token), JSON.stringify(token));
  });

  test(`over ${MAX_TOKEN_CLAIMS_BYTES} bytes: a claim is left out whole (never cut), named in a warning, and the exchange succeeds`, async () => {
    const huge = Array.from({ length: 400 }, (_, i) => `read:thing-${i}`);
    const c = await secretFor("auth0|big", { permissions: huge, org_id: "org_acme" });
    const token = await c.query<{ data?: { claims?: Record<string, unknown> } }>(q.Get(q.CurrentToken()));
    assert.deepEqual(token.data?.claims, { org_id: "org_acme" });
    const [warning] = logs.events("token_claims_dropped");
    assert.deepEqual(warning?.claims, ["permissions"]);
    assert.equal(warning?.level, "warn");
    assert.ok(!JSON.stringify(warning).includes("read:thing"), "never a claim's value");
    // …and a role granting by the claim that was left out does not grant.
    assert.equal(await outcome(c, q.Get(order)), "PermissionDenied");
  });

  test("the one query of an exchange reads what it read before the claims and the issuer", async (t) => {
    const emulator = emulatorOnly(t, s.target, "stats");
    if (!emulator) return;
    await secretFor("auth0|reads", { permissions: ["read:orders"] }); // creates the user, warms the keys
    emulator.stats.reset();
    await secretFor("auth0|reads", { permissions: ["read:orders"] });
    const stats = emulator.stats.snapshot();
    t.diagnostic(`per exchange with TOKEN_CLAIMS: ${JSON.stringify(stats)}`);
    assert.equal(stats.queries, 1);
    assert.equal(stats.documentsRead, 0, "indexes only, as without claims (test/exchange-flow)");
    assert.equal(stats.documentsWritten, 2);
  });
});

describe("a role over Get(CurrentToken()) grants by the token's claims, through the real driver", () => {
  test("contains: the permission grants the collection and the index; without it, permission denied", async () => {
    const reader = await secretFor("auth0|reader", { permissions: ["read:orders"] });
    assert.deepEqual(((await reader.query<{ data: unknown }>(q.Get(order))) as { data: unknown }).data, { item: "tea", qty: 2 });
    assert.equal(((await reader.query<{ data: unknown[] }>(q.Paginate(q.Match(q.Index("all_orders"))))) as { data: unknown[] }).data.length, 1);
    const other = await secretFor("auth0|writer", { permissions: ["write:orders"] });
    assert.equal(await outcome(other, q.Get(order)), "PermissionDenied");
    assert.equal(await outcome(other, q.Paginate(q.Match(q.Index("all_orders")))), "PermissionDenied");
    // A string that merely contains the value is not an array that does.
    const stringly = await secretFor("auth0|stringly", { permissions: "read:orders" });
    assert.equal(await outcome(stringly, q.Get(order)), "PermissionDenied");
  });

  test("equals: the organisation grants; another organisation, or none, does not; roles add up", async () => {
    const member = await secretFor("auth0|acme", { org_id: "org_acme" });
    assert.deepEqual(((await member.query<{ data: unknown }>(q.Get(acme))) as { data: unknown }).data, { plan: "gold" });
    assert.equal(await outcome(member, q.Get(order)), "PermissionDenied");
    assert.equal(await outcome(await secretFor("auth0|globex", { org_id: "org_globex" }), q.Get(acme)), "PermissionDenied");
    const both = await secretFor("auth0|both", { org_id: "org_acme", permissions: ["read:orders"] });
    assert.equal(((await both.query<{ ref: unknown }>(q.Get(acme))) as { ref: unknown }).ref !== undefined, true);
    assert.equal(((await both.query<{ ref: unknown }>(q.Get(order))) as { ref: unknown }).ref !== undefined, true);
  });

  test("a path into a claim (Keycloak's realm_access.roles) grants by the nested value", async () => {
    const auditor = await secretFor("kc-auditor", { realm_access: { roles: ["offline_access", "auditor"] } });
    assert.deepEqual(((await auditor.query<{ data: unknown }>(q.Get(audit))) as { data: unknown }).data, { event: "login" });
    assert.equal(await outcome(await secretFor("kc-user", { realm_access: { roles: ["offline_access"] } }), q.Get(audit)), "PermissionDenied");
  });

  test("the same user, two secrets: each has the authority its own JWT gave (the claims live on the token, not the user)", async () => {
    const withClaim = await secretFor("auth0|two", { permissions: ["read:orders"] });
    const without = await secretFor("auth0|two", {});
    assert.equal(await outcome(without, q.Get(order)), "PermissionDenied");
    assert.notEqual(await outcome(withClaim, q.Get(order)), "PermissionDenied");
  });

  test("a key acting as a user document (secret:@doc/…) has no token: the predicate is false, not an error", async () => {
    const user = await s.admin.query<faunadb.values.Ref>(q.Select(["data", 0], q.Paginate(q.Match(q.Index("users_by_auth0_id"), "auth0|reader"))));
    const asDoc = s.target.client(`${s.target.serverSecret}:@doc/users/${user.id}`);
    assert.equal(await outcome(asDoc, q.Get(order)), "PermissionDenied");
    assert.equal(await outcome(asDoc, q.HasCurrentToken()), false);
  });
});
