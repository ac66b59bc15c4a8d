/**
 * OIDC_ISSUERS and TOKEN_CLAIMS as the configuration reader takes them: the AUTH0_* issuer
 * first, every entry's fields checked and named, duplicates refused, the size bound that
 * keeps Netlify's 4 KB environment, and claim names that are names.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadConfig, MAX_OIDC_ISSUERS_BYTES } from "../lib/core/config/load.ts";
import { Misconfigured } from "../lib/core/errors/index.ts";

const fauna = { FAUNA_ENDPOINT: "http://127.0.0.1:8443", FAUNA_SECRET: "fnAE-server-key-secret-value" };
const auth0 = { AUTH0_DOMAIN: "tenant.eu.auth0.com", AUTH0_AUDIENCE: "https://api.example.com" };

/** The three-issuer example of docs/identity-providers.md (Auth0 stays in AUTH0_*): measured below. */
const THREE_ISSUERS = JSON.stringify([
  {
    issuer: "https://sso.example.com/realms/app",
    audience: "app-api",
    jwks_uri: "https://sso.example.com/realms/app/protocol/openid-connect/certs",
  },
  {
    issuer: "https://securetoken.google.com/example-project",
    audience: "example-project",
    jwks_uri: "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com",
  },
  {
    issuer: "https://abcdefghijklmnopqrst.supabase.co/auth/v1",
    audience: "authenticated",
    jwks_uri: "https://abcdefghijklmnopqrst.supabase.co/auth/v1/.well-known/jwks.json",
    algorithms: ["ES256"],
  },
]);

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...fauna, ...env });
  } catch (e) {
    assert.ok(e instanceof Misconfigured);
    return [...e.problems];
  }
  assert.fail("expected Misconfigured");
}

test("AUTH0_* and OIDC_ISSUERS together: the AUTH0_* issuer first, then the list in its order", (t) => {
  const c = loadConfig({ ...fauna, ...auth0, OIDC_ISSUERS: THREE_ISSUERS });
  assert.deepEqual(
    c.issuers.map((i) => i.issuer),
    ["https://tenant.eu.auth0.com/", "https://sso.example.com/realms/app", "https://securetoken.google.com/example-project", "https://abcdefghijklmnopqrst.supabase.co/auth/v1"],
  );
  assert.equal(c.jwt, c.issuers[0]);
  assert.deepEqual(c.issuers[1]!.audiences, ["app-api"]);
  assert.deepEqual(c.issuers[1]!.algorithms, ["RS256"], "RS256 by default");
  assert.deepEqual(c.issuers[3]!.algorithms, ["ES256"]);
  // What the example costs of Netlify's 4 KB (name, "=", value): the figure the page states.
  const bytes = Buffer.byteLength(`OIDC_ISSUERS=${THREE_ISSUERS}`);
  t.diagnostic(`OIDC_ISSUERS with three issuers: ${bytes} bytes`);
  assert.ok(bytes < 1024, String(bytes));
  const page = readFileSync(new URL("../docs/identity-providers.md", import.meta.url), "utf8");
  const shown = /^OIDC_ISSUERS='(\[[\s\S]*?\])'$/m.exec(page);
  assert.ok(shown, "the page shows the example");
  assert.deepEqual(JSON.parse(shown[1]!), JSON.parse(THREE_ISSUERS), "the page's example is the one measured here");
  assert.match(page, new RegExp(`\\(${bytes} bytes of Netlify's 4 KB`), "the page states what it costs");
});

test("OIDC_ISSUERS alone: AUTH0_* left unset configure nothing; the first entry is the first issuer", () => {
  const c = loadConfig({ ...fauna, OIDC_ISSUERS: THREE_ISSUERS });
  assert.equal(c.issuers.length, 3);
  assert.equal(c.jwt.issuer, "https://sso.example.com/realms/app");
  assert.equal(c.jwt.jwksUri, "https://sso.example.com/realms/app/protocol/openid-connect/certs");
  // Any one AUTH0_* variable set: they are read, and what is missing is named.
  const half = problemsOf({ AUTH0_AUDIENCE: "x", OIDC_ISSUERS: THREE_ISSUERS });
  assert.deepEqual(half, ["AUTH0_DOMAIN or AUTH0_ISSUER is missing (or set OIDC_ISSUERS)"]);
});

test("JWKS_MAX_AGE_SECONDS applies to every issuer's key set, with or without AUTH0_*", () => {
  assert.deepEqual(loadConfig({ ...fauna, ...auth0, OIDC_ISSUERS: THREE_ISSUERS, JWKS_MAX_AGE_SECONDS: "30" }).issuers.map((i) => i.jwksMaxAgeSeconds), [30, 30, 30, 30]);
  assert.deepEqual(loadConfig({ ...fauna, OIDC_ISSUERS: THREE_ISSUERS, JWKS_MAX_AGE_SECONDS: "30" }).issuers.map((i) => i.jwksMaxAgeSeconds), [30, 30, 30]);
  assert.deepEqual(loadConfig({ ...fauna, OIDC_ISSUERS: THREE_ISSUERS }).issuers.map((i) => i.jwksMaxAgeSeconds), [60, 60, 60]);
  assert.deepEqual(problemsOf({ OIDC_ISSUERS: THREE_ISSUERS, JWKS_MAX_AGE_SECONDS: "5" }), ["JWKS_MAX_AGE_SECONDS must be a whole number of seconds from 10 to 3600"]);
});

test("every entry's fields are checked, by position and field; unknown fields are typos", () => {
  const problems = problemsOf({
    ...auth0,
    OIDC_ISSUERS: JSON.stringify([
      { issuer: "not a url", audience: [], jwks_uri: "http://keys.example.com/jwks.json", algorithms: ["HS256"] },
      { issuer: "https://a.example.com/#x", audience: "a", jwks_url: "https://a.example.com/keys" },
      "https://b.example.com",
    ]),
  });
  assert.deepEqual(problems, [
    "OIDC_ISSUERS[0].issuer must be the provider's issuer URL, exactly as in its tokens' iss",
    "OIDC_ISSUERS[0].audience must be a string or a non-empty array of strings (the tokens' aud)",
    "OIDC_ISSUERS[0].jwks_uri must use https (http only to localhost)",
    "OIDC_ISSUERS[0].algorithms must be a non-empty array of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 (default [\"RS256\"])",
    'OIDC_ISSUERS[1] has an unknown field "jwks_url" (the fields are issuer, audience, jwks_uri, algorithms)',
    'OIDC_ISSUERS[1].issuer must not contain "#" (an OIDC issuer has no fragment)',
    "OIDC_ISSUERS[1].jwks_uri must be an https URL (the provider's jwks_uri)",
    "OIDC_ISSUERS[2] must be an object with issuer, audience, jwks_uri, algorithms",
  ]);
  // http to this machine is a local issuer in development: allowed.
  const local = loadConfig({ ...fauna, OIDC_ISSUERS: JSON.stringify([{ issuer: "http://127.0.0.1:9/", audience: "a", jwks_uri: "http://127.0.0.1:9/jwks" }]) });
  assert.equal(local.jwt.jwksUri, "http://127.0.0.1:9/jwks");
});

test("not JSON, not an array, empty, too big, or an issuer twice", () => {
  assert.match(problemsOf({ ...auth0, OIDC_ISSUERS: "[{" }).join(), /OIDC_ISSUERS must be JSON/);
  assert.match(problemsOf({ ...auth0, OIDC_ISSUERS: "{}" }).join(), /OIDC_ISSUERS must be a non-empty JSON array/);
  assert.match(problemsOf({ ...auth0, OIDC_ISSUERS: "[]" }).join(), /OIDC_ISSUERS must be a non-empty JSON array/);
  const many = JSON.stringify(Array.from({ length: 40 }, (_, n) => ({ issuer: `https://issuer-${n}.example.com/`, audience: "api", jwks_uri: `https://issuer-${n}.example.com/.well-known/jwks.json` })));
  assert.ok(Buffer.byteLength(many) > MAX_OIDC_ISSUERS_BYTES);
  assert.deepEqual(problemsOf({ ...auth0, OIDC_ISSUERS: many }), [`OIDC_ISSUERS must be at most ${MAX_OIDC_ISSUERS_BYTES} bytes: a Netlify function's variables share 4 KB`]);
  const twice = JSON.stringify([
    { issuer: "https://tenant.eu.auth0.com/", audience: "x", jwks_uri: "https://tenant.eu.auth0.com/.well-known/jwks.json" },
    { issuer: "https://o.example.com", audience: "x", jwks_uri: "https://o.example.com/keys" },
    { issuer: "https://o.example.com", audience: "y", jwks_uri: "https://o.example.com/keys" },
  ]);
  assert.deepEqual(problemsOf({ ...auth0, OIDC_ISSUERS: twice }), [
    "OIDC_ISSUERS[0] repeats the issuer of AUTH0_DOMAIN/AUTH0_ISSUER: each issuer once",
    "OIDC_ISSUERS[2] repeats the issuer of OIDC_ISSUERS[1]: each issuer once",
  ]);
});

test("TOKEN_CLAIMS: names as they are (a namespaced claim included), never a path, none twice", () => {
  const c = loadConfig({ ...fauna, ...auth0, TOKEN_CLAIMS: "permissions, org_id,https://example.com/roles" });
  assert.deepEqual(c.tokenClaims, ["permissions", "org_id", "https://example.com/roles"]);
  assert.deepEqual(loadConfig({ ...fauna, ...auth0 }).tokenClaims, [], "none by default");
  assert.deepEqual(problemsOf({ ...auth0, TOKEN_CLAIMS: "realm_access.roles,resource_access.app.roles" }), [
    "TOKEN_CLAIMS names top-level claims: list realm_access, resource_access (the whole object), not a path into it",
  ]);
  assert.deepEqual(problemsOf({ ...auth0, TOKEN_CLAIMS: "permissions,permissions" }), ["TOKEN_CLAIMS lists a claim twice"]);
  assert.deepEqual(problemsOf({ ...auth0, TOKEN_CLAIMS: "x".repeat(257) }), ["TOKEN_CLAIMS entries must be claim names (at most 256 characters, no control characters)"]);
});
