/**
 * The presets of docs/identity-providers.md ("Presets"), all trusted by one deployment:
 * Auth0 through AUTH0_*, Clerk, Okta, Keycloak, Firebase, Google and Supabase through
 * OIDC_ISSUERS, each with the issuer form, audience, algorithm and JWKS path the provider
 * uses, and a token shaped like the provider's (its sub, kid and claims), verified against
 * a real JWKS over HTTP and exchanged through real HTTP. The claims worth listing in
 * TOKEN_CLAIMS land on the token whole, nested ones included.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import faunadb from "faunadb";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";
import { captureLogs } from "./support/log-capture.ts";
import { startProviderIssuer, type ProviderIssuer, type ProviderKeyOptions } from "./support/provider-issuer.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

interface Preset extends ProviderKeyOptions {
  name: string;
  issuer: string;
  audience: string;
  /** The token's payload as the provider shapes it (iat/exp added). */
  token: Record<string, unknown>;
  /** What TOKEN_CLAIMS (all presets' names together) puts on the token. */
  claims: Record<string, unknown>;
}

const uuid = "6f1c2a9e-3b7d-4e51-9c0a-8d2f4b6e1a73";
const PRESETS: Preset[] = [
  {
    name: "Auth0",
    issuer: "https://dev-tenant.eu.auth0.com/",
    audience: "https://api.example.com",
    jwksPath: "/.well-known/jwks.json",
    alg: "RS256",
    kid: "Qk0xNjlGQTk0M0UxMkRBQjA1QkE3QjQ0RTkyRjNBQzFFQ0I4NkE2Qg",
    jwkExtras: { use: "sig", x5t: "Qk0xNjlGQTk0M0UxMkRBQjA1QkE3QjQ0RTkyRjNBQzFFQ0I4NkE2Qg" },
    token: {
      iss: "https://dev-tenant.eu.auth0.com/",
      sub: "auth0|64b7f0c2e4a1b2c3d4e5f601",
      aud: ["https://api.example.com", "https://dev-tenant.eu.auth0.com/userinfo"],
      azp: "hH1xW3aZ9kQ2vB7nM4pL6tR8sD0fG5jY",
      scope: "openid profile email read:orders",
      permissions: ["read:orders"],
      org_id: "org_9yFqXk2LmN8pQr4T",
    },
    claims: { permissions: ["read:orders"], org_id: "org_9yFqXk2LmN8pQr4T" },
  },
  {
    name: "Clerk",
    issuer: "https://clerk.example.com",
    audience: "https://api.example.com",
    jwksPath: "/.well-known/jwks.json",
    alg: "RS256",
    kid: "ins_2abcDEF3ghiJKL4mnoPQR5stu",
    jwkExtras: { use: "sig" },
    token: {
      iss: "https://clerk.example.com",
      sub: "user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
      aud: "https://api.example.com",
      azp: "https://app.example.com",
      sid: "sess_2abcDEF3ghiJKL4mnoPQR5stu",
      v: 2,
      fva: [7, -1],
      o: { id: "org_2xyzUVW9rstOPQ8lmnIJK7fgh", rol: "admin", slg: "acme" },
    },
    claims: { o: { id: "org_2xyzUVW9rstOPQ8lmnIJK7fgh", rol: "admin", slg: "acme" } },
  },
  {
    name: "Okta",
    issuer: "https://dev-123456.okta.com/oauth2/default",
    audience: "api://default",
    jwksPath: "/oauth2/default/v1/keys",
    alg: "RS256",
    kid: "nQ3X5pL8rT2vY7bK1mW9dF4hJ6sA0cE3gU5iO8yR2tZ",
    jwkExtras: { use: "sig" },
    token: {
      ver: 1,
      jti: "AT.kP2oZ8wQ4nR6tY1uI3eW5qA7sD9fG0hJ",
      iss: "https://dev-123456.okta.com/oauth2/default",
      aud: "api://default",
      cid: "0oa1b2c3d4E5F6g7h8i9",
      uid: "00u1a2b3c4D5E6f7g8h9",
      sub: "alice@example.com",
      scp: ["openid", "profile", "orders.read"],
      groups: ["Everyone", "orders-readers"],
    },
    claims: { scp: ["openid", "profile", "orders.read"], groups: ["Everyone", "orders-readers"] },
  },
  {
    name: "Keycloak",
    issuer: "https://sso.example.com/realms/app",
    audience: "app-api",
    jwksPath: "/realms/app/protocol/openid-connect/certs",
    alg: "RS256",
    kid: "Xq8T3bVn6Lr1KpZ4wC7yE0uH2mJ5sA9dG3fR6tY1iOk",
    jwkExtras: { use: "sig", x5t: "c2hhMS10aHVtYnByaW50" },
    token: {
      iss: "https://sso.example.com/realms/app",
      sub: uuid,
      aud: ["app-api", "account"],
      typ: "Bearer",
      azp: "app-spa",
      preferred_username: "alice",
      scope: "openid email profile",
      realm_access: { roles: ["offline_access", "orders-reader"] },
      resource_access: { account: { roles: ["manage-account"] } },
    },
    claims: { realm_access: { roles: ["offline_access", "orders-reader"] }, resource_access: { account: { roles: ["manage-account"] } } },
  },
  {
    name: "Firebase",
    issuer: "https://securetoken.google.com/example-project",
    audience: "example-project",
    jwksPath: "/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
    alg: "RS256",
    kid: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    jwkExtras: { use: "sig" },
    token: {
      iss: "https://securetoken.google.com/example-project",
      aud: "example-project",
      sub: "kX9pQ2rT4vY6bN8mL1wZ3cF5hJ7s",
      user_id: "kX9pQ2rT4vY6bN8mL1wZ3cF5hJ7s",
      auth_time: Math.floor(Date.now() / 1000) - 60,
      email: "alice@example.com",
      firebase: { identities: { "google.com": ["104839274615283746512"] }, sign_in_provider: "google.com" },
      roles: ["reader"],
    },
    claims: { firebase: { identities: { "google.com": ["104839274615283746512"] }, sign_in_provider: "google.com" }, roles: ["reader"] },
  },
  {
    name: "Google",
    issuer: "https://accounts.google.com",
    audience: "1234567890-abcdefghijklmnop.apps.googleusercontent.com",
    jwksPath: "/oauth2/v3/certs",
    alg: "RS256",
    kid: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
    jwkExtras: { use: "sig" },
    token: {
      iss: "https://accounts.google.com",
      azp: "1234567890-abcdefghijklmnop.apps.googleusercontent.com",
      aud: "1234567890-abcdefghijklmnop.apps.googleusercontent.com",
      sub: "104839274615283746512",
      hd: "example.com",
      email: "alice@example.com",
      email_verified: true,
    },
    claims: { hd: "example.com" },
  },
  {
    name: "Supabase",
    issuer: "https://abcdefghijklmnopqrst.supabase.co/auth/v1",
    audience: "authenticated",
    jwksPath: "/auth/v1/.well-known/jwks.json",
    alg: "ES256",
    kid: "0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e",
    jwkExtras: { key_ops: ["verify"], ext: true },
    token: {
      iss: "https://abcdefghijklmnopqrst.supabase.co/auth/v1",
      sub: uuid,
      aud: "authenticated",
      email: "alice@example.com",
      phone: "",
      app_metadata: { provider: "email", providers: ["email"], roles: ["reader"] },
      user_metadata: { full_name: "Alice" },
      role: "authenticated",
      aal: "aal1",
      amr: [{ method: "password", timestamp: 1735689600 }],
      session_id: "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
      is_anonymous: false,
    },
    claims: { app_metadata: { provider: "email", providers: ["email"], roles: ["reader"] }, role: "authenticated", is_anonymous: false },
  },
];
const TOKEN_CLAIMS = "permissions,org_id,o,scp,groups,realm_access,resource_access,firebase,roles,hd,app_metadata,role,is_anonymous";

let s: Stack;
const issuers = new Map<string, ProviderIssuer>();

before(async () => {
  for (const p of PRESETS) issuers.set(p.name, await startProviderIssuer(p));
  const [auth0, ...others] = PRESETS;
  const oidc = others.map((p) => ({ issuer: p.issuer, audience: p.audience, jwks_uri: issuers.get(p.name)!.jwksUri, ...(p.alg !== "RS256" ? { algorithms: [p.alg] } : {}) }));
  s = await startStack({
    env: {
      AUTH0_ISSUER: auth0!.issuer,
      AUTH0_JWKS_URI: issuers.get(auth0!.name)!.jwksUri,
      AUTH0_AUDIENCE: auth0!.audience,
      OIDC_ISSUERS: JSON.stringify(oidc),
      TOKEN_CLAIMS,
      CREATE_MISSING_USERS: "true",
    },
  });
  logs.forbid(s.target.serverSecret, s.target.adminSecret);
});
after(async () => {
  await s.close();
  for (const i of issuers.values()) await i.close();
});

for (const [n, p] of PRESETS.entries()) {
  test(`${p.name}: a token shaped like ${p.name}'s (${p.alg}, kid ${p.kid.slice(0, 12)}…) is verified over its JWKS and exchanged`, async () => {
    const jwt = issuers.get(p.name)!.mint(p.token);
    logs.forbid(jwt);
    const res = await call(s.url, bearer(jwt));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const secret = res.body.secret as string;
    logs.forbid(secret);
    const c = s.target.client(secret);
    const token = await c.query<{ data?: { claims?: unknown } }>(q.Get(q.CurrentToken()));
    assert.deepEqual(token.data?.claims, p.claims);
    const user = await s.admin.query<string>(q.Select(["data", "auth0_id"], q.Get(q.Select("instance", q.Get(q.Select("ref", token))))));
    assert.equal(user, n === 0 ? p.token.sub : `${p.issuer}#${p.token.sub}`);
  });
}

test("docs/identity-providers.md's presets table has a row for each provider tested here, in this order", () => {
  const page = readFileSync(new URL("../docs/identity-providers.md", import.meta.url), "utf8");
  const table = /^\| provider \| `issuer` \|.*\n\|[-|]+\|\n((?:\|.*\|\n)+)/m.exec(page);
  assert.ok(table, "the page has the presets table");
  const rows = table[1]!.trim().split("\n").map((row) => row.split("|")[1]!.trim());
  assert.equal(rows.length, PRESETS.length);
  for (const [n, p] of PRESETS.entries()) assert.ok(rows[n]!.startsWith(p.name), `row ${n + 1}: ${rows[n]} is ${p.name}`);
});
