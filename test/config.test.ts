import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { loadCleanupConfig, loadConfig, loadCronSecret, loadDeploySchemaConfig, loadFaunaConfig, loadLogLevel } from "../lib/core/config/load.ts";
import { CleanupConfigError, Misconfigured } from "../lib/core/errors/index.ts";

const minimal = {
  FAUNA_ENDPOINT: "http://127.0.0.1:8443",
  FAUNA_SECRET: "fnAE-server-key-secret-value",
  AUTH0_DOMAIN: "tenant.eu.auth0.com",
  AUTH0_AUDIENCE: "https://api.example.com",
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (e) {
    assert.ok(e instanceof Misconfigured);
    assert.equal(e.code, "ERR_MISCONFIGURED");
    return [...e.problems];
  }
  assert.fail("expected Misconfigured");
}

test("defaults from a minimal Auth0 environment", () => {
  const c = loadConfig(minimal);
  assert.equal(c.jwt.issuer, "https://tenant.eu.auth0.com/");
  assert.equal(c.jwt.jwksUri, "https://tenant.eu.auth0.com/.well-known/jwks.json");
  assert.deepEqual(c.jwt.audiences, ["https://api.example.com"]);
  assert.deepEqual(c.jwt.algorithms, ["RS256"]);
  assert.equal(c.usersCollection, "users");
  assert.equal(c.usersIndex, "users_by_auth0_id");
  assert.equal(c.createMissingUsers, false);
  assert.equal(c.tokenMaxTtlSeconds, 3600);
  assert.deepEqual(c.allowedOrigins, []);
  assert.deepEqual(c.ledgerClaims, []);
});

test("every missing variable is named in one error, and no value is echoed", () => {
  const problems = problemsOf({});
  assert.equal(problems.length, 4);
  for (const name of ["FAUNA_ENDPOINT", "FAUNA_SECRET", "AUTH0_DOMAIN or AUTH0_ISSUER", "AUTH0_AUDIENCE"]) {
    assert.ok(problems.some((p) => p.includes(name)), name);
  }
});

test("every malformed variable is named, and the secret never appears", () => {
  const secret = "fnAE secret with spaces";
  let message = "";
  try {
    loadConfig({
      FAUNA_ENDPOINT: "localhost:8443",
      FAUNA_SECRET: secret,
      AUTH0_ISSUER: "not a url",
      AUTH0_JWKS_URI: "ftp://x",
      AUTH0_AUDIENCE: "a",
      AUTH0_ALGORITHMS: "RS256,HS256,none",
      CREATE_MISSING_USERS: "maybe",
      TOKEN_MAX_TTL_SECONDS: "1h",
      ALLOWED_ORIGINS: "https://ok.example,https://bad.example/path",
      FAUNA_USERS_INDEX: "users by id",
    });
  } catch (e) {
    message = (e as Error).message;
  }
  for (const name of ["FAUNA_ENDPOINT", "FAUNA_SECRET", "AUTH0_ISSUER", "AUTH0_JWKS_URI", "AUTH0_ALGORITHMS", "CREATE_MISSING_USERS", "TOKEN_MAX_TTL_SECONDS", "ALLOWED_ORIGINS", "FAUNA_USERS_INDEX"]) {
    assert.ok(message.includes(name), name);
  }
  assert.ok(!message.includes("spaces"));
});

test("HMAC and none can never be allow-listed", () => {
  for (const alg of ["HS256", "none", "RS256,HS512"]) {
    assert.ok(problemsOf({ ...minimal, AUTH0_ALGORITHMS: alg }).some((p) => p.includes("AUTH0_ALGORITHMS")));
  }
  assert.deepEqual(loadConfig({ ...minimal, AUTH0_ALGORITHMS: "RS256, PS256" }).jwt.algorithms, ["RS256", "PS256"]);
});

test("JWKS_MAX_AGE_SECONDS: 60 by default, whole seconds from 10 to 3600", () => {
  assert.equal(loadConfig(minimal).jwt.jwksMaxAgeSeconds, 60);
  assert.equal(loadConfig({ ...minimal, JWKS_MAX_AGE_SECONDS: " 10 " }).jwt.jwksMaxAgeSeconds, 10);
  assert.equal(loadConfig({ ...minimal, JWKS_MAX_AGE_SECONDS: "3600" }).jwt.jwksMaxAgeSeconds, 3600);
  for (const bad of ["9", "3601", "60000", "1.5", "1m", "-60"]) {
    assert.deepEqual(problemsOf({ ...minimal, JWKS_MAX_AGE_SECONDS: bad }), ["JWKS_MAX_AGE_SECONDS must be a whole number of seconds from 10 to 3600"], bad);
  }
});

test("AUTH0_ISSUER for any OIDC provider; AUTH0_JWKS_URI overrides; several audiences", () => {
  const c = loadConfig({
    ...minimal,
    AUTH0_DOMAIN: undefined,
    AUTH0_ISSUER: "https://id.example.com/realms/main",
    AUTH0_AUDIENCE: "api-1, client-abc ,",
  });
  assert.equal(c.jwt.issuer, "https://id.example.com/realms/main");
  assert.equal(c.jwt.jwksUri, "https://id.example.com/realms/main/.well-known/jwks.json");
  assert.deepEqual(c.jwt.audiences, ["api-1", "client-abc"]);
  const o = loadConfig({ ...minimal, AUTH0_JWKS_URI: "https://keys.example.com/jwks" });
  assert.equal(o.jwt.jwksUri, "https://keys.example.com/jwks");
  assert.ok(problemsOf({ ...minimal, AUTH0_ISSUER: "https://x/" }).some((p) => p.includes("only one")));
});

test("AUTH0_PUBLIC_KEY: PEM with literal \\n as Netlify stores it, no JWKS", () => {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
  const c = loadConfig({ ...minimal, AUTH0_PUBLIC_KEY: pem.replace(/\n/g, "\\n") });
  assert.equal(c.jwt.publicKeyPem, pem);
  assert.equal(c.jwt.jwksUri, undefined);
  assert.ok(problemsOf({ ...minimal, AUTH0_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----" }).some((p) => p.includes("AUTH0_PUBLIC_KEY")));
});

test("options parse", () => {
  const c = loadConfig({
    ...minimal,
    CREATE_MISSING_USERS: "on",
    TOKEN_MAX_TTL_SECONDS: "900",
    ALLOWED_ORIGINS: "https://app.example.com, http://localhost:5173/",
    LEDGER_CLAIMS: "azp,scope,https://example.com/roles",
    FAUNA_USERS_COLLECTION: "members",
    FAUNA_USERS_INDEX: "members_by_sub",
  });
  assert.equal(c.createMissingUsers, true);
  assert.equal(c.tokenMaxTtlSeconds, 900);
  assert.deepEqual(c.allowedOrigins, ["https://app.example.com", "http://localhost:5173"]);
  assert.deepEqual(c.ledgerClaims, ["azp", "scope", "https://example.com/roles"]);
  assert.equal(c.usersCollection, "members");
  assert.ok(problemsOf({ ...minimal, TOKEN_MAX_TTL_SECONDS: "0" }).length === 1);
});

test("loadFaunaConfig needs only the Fauna variables", () => {
  assert.deepEqual(loadFaunaConfig({ FAUNA_ENDPOINT: "http://127.0.0.1:8443", FAUNA_SECRET: "s" }), {
    endpoint: "http://127.0.0.1:8443",
    secret: "s",
  });
  assert.throws(() => loadFaunaConfig({ AUTH0_DOMAIN: "x" }), (e: Misconfigured) => e.problems.length === 2);
});

test("AUTH0_PUBLIC_KEY refuses a private key, in every PEM flavour, without echoing it", () => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const pems = [
    privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }).toString(),
    ec.export({ type: "sec1", format: "pem" }).toString(),
  ];
  for (const pem of pems) {
    let message = "";
    try {
      loadConfig({ ...minimal, AUTH0_PUBLIC_KEY: pem.replace(/\n/g, "\\n") });
    } catch (e) {
      assert.ok(e instanceof Misconfigured);
      assert.equal(e.problems.length, 1);
      message = e.message;
    }
    assert.match(message, /AUTH0_PUBLIC_KEY holds a PRIVATE key/, pem.split("\n")[0]);
    const body = pem.split("\n")[1]!;
    assert.ok(!message.includes(body.slice(0, 16)), "the key's content is never echoed");
  }
});

test("AUTH0_PUBLIC_KEY must fit every algorithm in AUTH0_ALGORITHMS", () => {
  const spki = (k: ReturnType<typeof generateKeyPairSync>["publicKey"]) => k.export({ type: "spki", format: "pem" }).toString();
  const rsa = spki(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey);
  const p256 = spki(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey);
  const p384 = spki(generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey);
  const ed = spki(generateKeyPairSync("ed25519").publicKey);
  const fits: [string, string][] = [
    [rsa, "RS256"],
    [rsa, "RS256,PS512"],
    [p256, "ES256"],
    [p384, "ES384"],
  ];
  for (const [pem, algs] of fits) assert.deepEqual(loadConfig({ ...minimal, AUTH0_PUBLIC_KEY: pem, AUTH0_ALGORITHMS: algs }).jwt.algorithms, algs.split(","));
  const misfits: [string, string, RegExp][] = [
    [p256, "RS256", /an EC \(prime256v1\) key, which cannot verify RS256/],
    [p256, "ES384", /cannot verify ES384/],
    [p384, "ES256,ES384", /cannot verify ES256 listed/],
    [rsa, "ES256", /an rsa key, which cannot verify ES256/],
    [rsa, "RS256,ES512", /cannot verify ES512 listed/],
    [ed, "RS256", /an ed25519 key/],
  ];
  for (const [pem, algs, why] of misfits) {
    const problems = problemsOf({ ...minimal, AUTH0_PUBLIC_KEY: pem, AUTH0_ALGORITHMS: algs });
    assert.equal(problems.length, 1, `${algs}: ${problems.join("; ")}`);
    assert.match(problems[0]!, why);
    assert.match(problems[0]!, /AUTH0_PUBLIC_KEY.*AUTH0_ALGORITHMS/);
  }
});

test("deploy-schema's configuration: every bad variable in one error", () => {
  assert.deepEqual(loadDeploySchemaConfig({ FAUNA_ENDPOINT: "http://127.0.0.1:8443", FAUNA_SECRET: "s" }), {
    fauna: { endpoint: "http://127.0.0.1:8443", secret: "s" },
    usersCollection: "users",
    usersIndex: "users_by_auth0_id",
  });
  assert.throws(
    () => loadDeploySchemaConfig({ FAUNA_SECRET: "s", FAUNA_USERS_COLLECTION: "bad name", FAUNA_USERS_INDEX: "1x" }),
    (e: Misconfigured) => {
      assert.equal(e.problems.length, 3);
      for (const name of ["FAUNA_ENDPOINT", "FAUNA_USERS_COLLECTION", "FAUNA_USERS_INDEX"]) assert.ok(e.message.includes(name), name);
      return true;
    },
  );
});

test("LOG_LEVEL, the cleanup's settings and CRON_SECRET are read by the same reader, every problem in one error", () => {
  assert.equal(loadConfig(minimal).logLevel, "info");
  assert.equal(loadConfig({ ...minimal, LOG_LEVEL: " WARN " }).logLevel, "warn");
  assert.equal(loadLogLevel({ LOG_LEVEL: "silent" }), "silent");
  assert.deepEqual(problemsOf({ ...minimal, LOG_LEVEL: "verbose" }), ["LOG_LEVEL must be one of debug, info, warn, error, silent"]);

  const fauna = { FAUNA_ENDPOINT: "http://127.0.0.1:8443", FAUNA_SECRET: "s" };
  assert.deepEqual(loadCleanupConfig({ ...fauna, CLEANUP_PAGE_SIZE: "50", LOG_LEVEL: "error" }), {
    fauna: { endpoint: "http://127.0.0.1:8443", secret: "s" },
    cleanup: { pageSize: 50 },
    logLevel: "error",
  });
  // Only the cleanup's own settings wrong: its own code. Anything else too: one error naming all.
  assert.throws(
    () => loadCleanupConfig({ ...fauna, CLEANUP_TIME_BUDGET_MS: "20s" }),
    (e: unknown) => e instanceof CleanupConfigError && e.code === "ERR_CLEANUP_CONFIG" && e.problems.length === 1,
  );
  assert.throws(
    () => loadCleanupConfig({ FAUNA_SECRET: "s", CLEANUP_PAGE_SIZE: "0", LOG_LEVEL: "loud" }),
    (e: unknown) => {
      assert.ok(e instanceof Misconfigured && !(e instanceof CleanupConfigError));
      assert.equal(e.code, "ERR_MISCONFIGURED");
      for (const name of ["FAUNA_ENDPOINT", "CLEANUP_PAGE_SIZE", "LOG_LEVEL"]) assert.ok(e.problems.some((p) => p.includes(name)), name);
      return true;
    },
  );

  assert.equal(loadCronSecret({ CRON_SECRET: "  abc  " }), "abc");
  assert.equal(loadCronSecret({ CRON_SECRET: " " }), undefined);
});

test("every variable the configuration reader reads is in .env.example, and nothing else is", () => {
  const root = new URL("../", import.meta.url);
  const dir = new URL("lib/core/config/", root);
  const sources = readdirSync(dir).map((f) => readFileSync(new URL(f, dir), "utf8")).join("\n");
  const read = new Set([...sources.matchAll(/\.(?:value|list|boolean|wholeNumber|choice|faunaName)\(\s*"([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1]!));
  const documented = new Set([...readFileSync(new URL(".env.example", root), "utf8").matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
  assert.ok(read.size >= 19, [...read].join(" "));
  assert.deepEqual([...read].sort(), [...documented].sort());
});
