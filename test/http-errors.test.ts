/**
 * Every error row of the endpoint contract, over real HTTP into the handler:
 * each asserts the status, the OAuth error code, the headers the RFCs require,
 * that the description gives nothing away, and that nothing was written.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { startStack, type Stack } from "./support/stack.ts";
import { emulatorOnly, startTarget } from "fql4-emulator/testing";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { bearer, call, form, jsonBody, rfc8693, TOKEN_EXCHANGE_GRANT, type Reply } from "./support/http-client.ts";
import { createHttpHandler } from "../lib/http/token-handler.ts";
import { handlerFromEnv } from "../lib/adapters/from-env.ts";
import { createTokenExchange } from "../lib/core/exchange/exchange.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { serveHandler } from "../lib/adapters/node.ts";

const logs = captureLogs();

let s: Stack;
const nowS = () => Math.floor(Date.now() / 1000);
const ORIGIN = "https://app.example.com";
const FAILURE_BACKOFF_MS = 50;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  // Many rows below present unknown kids on purpose; the refetch budget that limits
  // such floods (tested in jwt.test.ts) is raised so that later rows still refetch, and
  // the pause after a failed JWKS fetch is shortened so rows after an outage need not wait.
  s = await startStack({
    users: ["auth0|known"],
    env: { ALLOWED_ORIGINS: ORIGIN },
    jwtOptions: { jwksRequestsPerMinute: 1000, jwksFailureBackoffMs: FAILURE_BACKOFF_MS },
  });
  logs.forbid(s.target.serverSecret, s.target.adminSecret);
  // Warm the key cache so rows below measure the handler, not the first fetch.
  const warm = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|known" })));
  assert.equal(warm.status, 200);
  logs.forbid(warm.body.secret as string);
});
after(closeThenCheck(logs, () => s?.close()));

function mint(opts: Parameters<Stack["issuer"]["mint"]>[0]): string {
  const jwt = s.issuer.mint(opts);
  logs.forbid(jwt);
  return jwt;
}

interface Expected {
  status: number;
  error: string;
}

/** Sends the request and checks the reply and that no token, ledger entry or user appeared. */
async function expectError(init: RequestInit, expected: Expected, url = s.url): Promise<Reply> {
  const before = await s.counts();
  const res = await call(url, init);
  assert.equal(res.status, expected.status, JSON.stringify(res.body));
  assert.equal(res.body.error, expected.error);
  assert.equal(typeof res.body.error_description, "string");
  assert.deepEqual(Object.keys(res.body).sort(), ["error", "error_description"]);
  assert.equal(res.headers.get("cache-control"), "no-store");
  const description = res.body.error_description as string;
  assert.ok(!description.includes(s.target.serverSecret));
  assert.ok(!/fauna|transaction aborted|instance not|stack|at .*\.ts/i.test(description), description);
  if (expected.status === 401) {
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token", error_description="[^"]*"$/);
  } else {
    assert.equal(res.headers.get("www-authenticate"), null);
  }
  assert.deepEqual(await s.counts(), before, "nothing may be written");
  return res;
}

const badJwts: [string, () => string][] = [
  ["expired", () => mint({ sub: "auth0|known", iat: nowS() - 7200, exp: nowS() - 60 })],
  ["bad signature", () => mint({ sub: "auth0|known", key: s.issuer.createKey(), kid: s.issuer.currentKey.kid })],
  ["wrong issuer", () => mint({ sub: "auth0|known", iss: "https://evil.example/" })],
  ["wrong audience", () => mint({ sub: "auth0|known", aud: "https://other.example/api" })],
  ["not yet valid", () => mint({ sub: "auth0|known", nbf: nowS() + 3600 })],
  ["malformed", () => "not-a-jwt"],
  ["no sub", () => mint({ sub: "x", claims: { sub: undefined } })],
  ["a sub with a bidi override (ERR_JWT_SUB_INVALID)", () => mint({ sub: "auth0|kn\u202eown" })],
  ["a sub with a zero-width space (ERR_JWT_SUB_INVALID)", () => mint({ sub: "auth0|\u200bknown" })],
  ["alg none", () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    return `${b64({ alg: "none" })}.${b64({ iss: s.issuer.issuer, aud: s.issuer.audience, sub: "auth0|known", exp: nowS() + 600 })}.`;
  }],
  ["unknown kid", () => mint({ sub: "auth0|known", key: s.issuer.createKey("stranger") })],
];

describe("401 invalid_token for a bad JWT (Bearer and JSON)", () => {
  for (const [name, make] of badJwts) {
    test(name, async () => {
      const res = await expectError(bearer(make()), { status: 401, error: "invalid_token" });
      assert.ok((res.body.error_description as string).length > 0);
      await expectError(jsonBody({ token: make() }), { status: 401, error: "invalid_token" });
    });
  }
  test("the description says why", async () => {
    const res = await call(s.url, bearer(badJwts[0]![1]()));
    assert.match(res.body.error_description as string, /expired/);
    assert.match(res.headers.get("www-authenticate")!, /expired/);
  });
});

describe("400 invalid_request for a bad JWT in an RFC 8693 form", () => {
  for (const [name, make] of badJwts) {
    test(name, () => expectError(rfc8693(make()), { status: 400, error: "invalid_request" }).then(() => undefined));
  }
});

describe("400 for a malformed request", () => {
  const valid = () => mint({ sub: "auth0|known" });
  const rows: [string, () => RequestInit, string?][] = [
    ["no token at all", () => ({})],
    ["empty JSON object", () => jsonBody({})],
    ["invalid JSON", () => ({ headers: { "content-type": "application/json" }, body: "{token:" })],
    ["JSON array", () => jsonBody([valid()])],
    ["token not a string", () => jsonBody({ token: 42 })],
    ["extra JSON field (no client data reaches the ledger)", () => jsonBody({ token: valid(), metadata: { admin: true } })],
    ["Authorization with another scheme", () => ({ headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` } })],
    ["Authorization: Bearer with nothing", () => ({ headers: { authorization: "Bearer " } })],
    ["token in header and body", () => ({ headers: { authorization: `Bearer ${valid()}`, "content-type": "application/json" }, body: JSON.stringify({ token: valid() }) })],
    ["form without grant_type", () => form({ subject_token: valid(), subject_token_type: "urn:ietf:params:oauth:token-type:jwt" })],
    ["form without subject_token", () => form({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token_type: "urn:ietf:params:oauth:token-type:jwt" })],
    ["form without subject_token_type", () => form({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: valid() })],
    ["form with an unknown subject_token_type", () => form({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: valid(), subject_token_type: "urn:ietf:params:oauth:token-type:saml2" })],
    ["form with an actor_token", () => form({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: valid(), subject_token_type: "urn:ietf:params:oauth:token-type:jwt", actor_token: valid() })],
    ["form with a repeated parameter", () => ({
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=${encodeURIComponent(TOKEN_EXCHANGE_GRANT)}&subject_token=${valid()}&subject_token=${valid()}&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt`,
    })],
    ["form with another grant_type", () => form({ grant_type: "client_credentials", subject_token: valid(), subject_token_type: "urn:ietf:params:oauth:token-type:jwt" }), "unsupported_grant_type"],
  ];
  for (const [name, init, error] of rows) {
    test(name, () => expectError(init(), { status: 400, error: error ?? "invalid_request" }).then(() => undefined));
  }
});

describe("other statuses", () => {
  test("403 access_denied for an unknown user when creation is off", async () => {
    const res = await expectError(bearer(mint({ sub: "auth0|stranger" })), { status: 403, error: "access_denied" });
    assert.ok(!(res.body.error_description as string).includes("auth0|stranger"));
    await expectError(rfc8693(mint({ sub: "auth0|stranger" })), { status: 403, error: "access_denied" });
  });

  test("405 with Allow", async () => {
    for (const method of ["GET", "PUT", "PATCH"]) {
      const res = await expectError({ method }, { status: 405, error: "invalid_request" });
      assert.equal(res.headers.get("allow"), "POST, DELETE, OPTIONS");
    }
  });

  test("413 for a body over 16 KB, declared or streamed", async () => {
    const big = JSON.stringify({ token: "x".repeat(17 * 1024) });
    await expectError({ headers: { "content-type": "application/json" }, body: big }, { status: 413, error: "invalid_request" });
    const chunk = new TextEncoder().encode("a".repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 20) c.enqueue(chunk);
        else c.close();
      },
    });
    await expectError(
      { headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit,
      { status: 413, error: "invalid_request" },
    );
  });

  test("415 for other media types", async () => {
    await expectError({ headers: { "content-type": "text/plain" }, body: mint({ sub: "auth0|known" }) }, { status: 415, error: "invalid_request" });
    await expectError({ headers: { "content-type": "application/xml" }, body: "<token/>" }, { status: 415, error: "invalid_request" });
    await expectError({ body: new Uint8Array(Buffer.from(JSON.stringify({ token: "a.b.c" }))) }, { status: 415, error: "invalid_request" });
  });

  test("503 temporarily_unavailable when Fauna refuses the query, or its deadline passes (440, 503 time out)", async (t) => {
    const emulator = emulatorOnly(t, s.target, "fault injection");
    if (!emulator) return;
    const refusals = [{ status: 503 }, { status: 500 }, { status: 429 }, { status: 440, code: "processing time limit exceeded" }, { status: 503, code: "time out" }];
    for (const refusal of refusals) {
      emulator.faults.failQueries({ count: 1, ...refusal });
      const res = await call(s.url, bearer(mint({ sub: "auth0|known" })));
      emulator.faults.clear();
      assert.equal(res.status, 503, `Fauna ${JSON.stringify(refusal)}`);
      assert.equal(res.body.error, "temporarily_unavailable");
      assert.equal(res.headers.get("retry-after"), "2");
    }
  });

  test("503 when Fauna cannot be reached at all", async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const config = loadConfig({ ...envOf(s), FAUNA_ENDPOINT: `http://127.0.0.1:${port}` });
    const server = await serveHandler(createHttpHandler({ exchange: createTokenExchange(config) }));
    try {
      await expectError(bearer(mint({ sub: "auth0|known" })), { status: 503, error: "temporarily_unavailable" }, server.url);
    } finally {
      await server.close();
    }
  });

  test("503 when the JWKS cannot be fetched for a new key", async () => {
    s.issuer.rotate();
    s.issuer.setUnavailable(true);
    try {
      const res = await expectError(bearer(mint({ sub: "auth0|known" })), { status: 503, error: "temporarily_unavailable" });
      assert.equal(res.headers.get("retry-after"), "2");
    } finally {
      s.issuer.setUnavailable(false);
    }
    await sleep(FAILURE_BACKOFF_MS + 10);
    const ok = await call(s.url, bearer(mint({ sub: "auth0|known" })));
    assert.equal(ok.status, 200);
    logs.forbid(ok.body.secret as string);
  });

  test("500 server_error when the server key is refused, without saying so", async () => {
    const config = loadConfig({ ...envOf(s), FAUNA_SECRET: "fnAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    const server = await serveHandler(createHttpHandler({ exchange: createTokenExchange(config) }));
    try {
      const res = await expectError(bearer(mint({ sub: "auth0|known" })), { status: 500, error: "server_error" }, server.url);
      assert.ok(!/FAUNA_SECRET|key/i.test(res.body.error_description as string));
    } finally {
      await server.close();
    }
  });

  test("500 server_error when the schema was never deployed, with the fix in the log only", async () => {
    const bare = await startTarget();
    const config = loadConfig({ ...envOf(s), FAUNA_ENDPOINT: bare.endpoint, FAUNA_SECRET: bare.serverSecret });
    const server = await serveHandler(createHttpHandler({ exchange: createTokenExchange(config, { client: bare.client(bare.serverSecret) }) }));
    try {
      const res = await expectError(bearer(mint({ sub: "auth0|known" })), { status: 500, error: "server_error" }, server.url);
      assert.ok(!/deploy-schema|index/.test(res.body.error_description as string));
      assert.match(logs.text(), /ERR_MISCONFIGURED.*npm run deploy-schema/);
    } finally {
      await server.close();
      await bare.close();
    }
  });

  test("500 server_error for a deployment with missing configuration", async () => {
    const server = await serveHandler(handlerFromEnv({ FAUNA_ENDPOINT: "not a url" }));
    try {
      const res = await expectError(bearer(mint({ sub: "auth0|known" })), { status: 500, error: "server_error" }, server.url);
      assert.ok(!/AUTH0|FAUNA/.test(res.body.error_description as string));
      assert.match(logs.text(), /configuration_invalid.*FAUNA_SECRET is missing.*AUTH0_DOMAIN or AUTH0_ISSUER is missing/);
    } finally {
      await server.close();
    }
  });
});

describe("identity provider outages (the default refetch budget)", () => {
  // Clients treat 401 as "sign out": an identity provider's blip must be a 503 for every
  // request it touches, and must not leave valid tokens refused once it is over. The key
  // cache runs on a clock of the test's own, so that a busy machine cannot stretch a burst
  // of requests past the back-off after a failure: time moves only when a test moves it.
  let o: Stack;
  let clockMs = Date.now();
  const tick = (ms: number) => (clockMs += ms);
  before(async () => {
    o = await startStack({ users: ["auth0|known"], jwtOptions: { jwksFailureBackoffMs: FAILURE_BACKOFF_MS, now: () => clockMs } });
    logs.forbid(o.target.serverSecret, o.target.adminSecret);
    const warm = await call(o.url, bearer(o.issuer.mint({ sub: "auth0|known" })));
    assert.equal(warm.status, 200);
    logs.forbid(warm.body.secret as string);
  });
  after(() => o.close());

  const mintO = (sub = "auth0|known") => {
    const jwt = o.issuer.mint({ sub });
    logs.forbid(jwt);
    return jwt;
  };

  test("concurrent requests with a rotated-in key during an outage all get 503, and nothing is written", async () => {
    o.issuer.rotate();
    o.issuer.setUnavailable(true);
    o.issuer.resetJwksFetches();
    const before = await o.counts();
    const replies = await Promise.all(Array.from({ length: 12 }, () => call(o.url, bearer(mintO()))));
    for (const r of replies) {
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error, "temporarily_unavailable");
      assert.equal(r.headers.get("retry-after"), "2");
      assert.equal(r.headers.get("www-authenticate"), null);
    }
    assert.equal(o.issuer.jwksFetches, 1, "one shared fetch");
    assert.deepEqual(await o.counts(), before);
    // Each refusal is logged with what failed (status or code, never a URL).
    assert.match(logs.text(), /"event":"token_exchange".*"outcome":"ERR_IDP_UNAVAILABLE","status":503.*"idp":\{"status":503\}/);
  });

  test("after the outage, the rotated-in key verifies promptly though more fetches failed than the budget", async () => {
    o.issuer.resetJwksFetches();
    for (let i = 0; i < 7; i++) {
      // The pause after a failure doubles with each failure in a row (the test before this
      // one left one failure).
      tick(FAILURE_BACKOFF_MS * 2 ** (i + 1) + 10);
      const r = await call(o.url, bearer(mintO()));
      assert.equal(r.status, 503, `attempt ${i}: ${JSON.stringify(r.body)}`);
    }
    assert.ok(o.issuer.jwksFetches > 5, `only ${o.issuer.jwksFetches} fetches: the test must exceed the budget of 5 a minute`);
    o.issuer.setUnavailable(false);
    tick(30_000 + 10);
    const started = Date.now();
    const ok = await call(o.url, bearer(mintO()));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    logs.forbid(ok.body.secret as string);
    assert.ok(Date.now() - started < 2000);
  });

  test("a JWKS URL answering 404 is 500 server_error (misconfiguration, logged), not 503", async () => {
    o.issuer.rotate();
    o.issuer.setJwksStatus(404);
    try {
      tick(30_000 + 10);
      const r = await call(o.url, bearer(mintO()));
      assert.equal(r.status, 500);
      assert.equal(r.body.error, "server_error");
      assert.ok(!/JWKS|AUTH0|404/.test(r.body.error_description as string));
      assert.equal(r.headers.get("retry-after"), null);
      assert.match(logs.text(), /"outcome":"ERR_MISCONFIGURED","status":500.*"problems":\[".*AUTH0_JWKS_URI.*HTTP 404/);
    } finally {
      o.issuer.setJwksStatus(undefined);
    }
  });
});

describe("the node:http adapter", () => {
  test("a handler that throws gets the OAuth 500 shape, not plain text", async () => {
    const server = await serveHandler(async () => {
      throw new Error("boom");
    });
    try {
      const res = await call(server.url);
      assert.equal(res.status, 500);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.deepEqual(Object.keys(res.body).sort(), ["error", "error_description"]);
      assert.equal(res.body.error, "server_error");
      assert.ok(!/boom/.test(res.body.error_description as string));
    } finally {
      await server.close();
    }
    assert.match(logs.text(), /"event":"handler_crashed"/);
  });
});

describe("CORS", () => {
  test("preflight from an allowed origin", async () => {
    const res = await fetch(s.url, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
    assert.match(res.headers.get("access-control-allow-methods")!, /POST/);
    assert.match(res.headers.get("access-control-allow-headers")!, /Authorization/);
    assert.match(res.headers.get("vary")!, /Origin/);
  });

  test("preflight from any other origin gets no CORS grant", async () => {
    const res = await fetch(s.url, { method: "OPTIONS", headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("access-control-allow-methods"), null);
  });

  test("responses carry the grant for allowed origins only, errors included", async () => {
    const ok = await call(s.url, { headers: { origin: ORIGIN, authorization: `Bearer ${mint({ sub: "auth0|known" })}` } });
    assert.equal(ok.status, 200);
    logs.forbid(ok.body.secret as string);
    assert.equal(ok.headers.get("access-control-allow-origin"), ORIGIN);
    const err = await call(s.url, { headers: { origin: ORIGIN, authorization: "Bearer x" } });
    assert.equal(err.status, 401);
    assert.equal(err.headers.get("access-control-allow-origin"), ORIGIN);
    const other = await call(s.url, { headers: { origin: "https://evil.example", authorization: "Bearer x" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    assert.equal(other.headers.get("access-control-expose-headers"), null);
  });

  test("an allowed origin's script may read WWW-Authenticate and Retry-After", async () => {
    const err = await call(s.url, { headers: { origin: ORIGIN, authorization: "Bearer x" } });
    assert.equal(err.status, 401);
    assert.equal(err.headers.get("access-control-expose-headers"), "WWW-Authenticate, Retry-After");
    const wildcard = await serveHandler(createHttpHandler({ exchange: createTokenExchange(loadConfig({ ...envOf(s), ALLOWED_ORIGINS: "*" })) }));
    try {
      const res = await call(wildcard.url, { headers: { origin: "https://any.example", authorization: "Bearer x" } });
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.equal(res.headers.get("access-control-expose-headers"), "WWW-Authenticate, Retry-After");
      // As docs/endpoint.md says: Vary: Origin on every answer, with * too, and without an Origin.
      assert.equal(res.headers.get("vary"), "Origin");
      assert.equal((await call(wildcard.url, bearer("x"))).headers.get("vary"), "Origin");
    } finally {
      await wildcard.close();
    }
  });
});

function envOf(stack: Stack): Record<string, string> {
  return {
    FAUNA_ENDPOINT: stack.target.endpoint,
    FAUNA_SECRET: stack.target.serverSecret,
    AUTH0_ISSUER: stack.issuer.issuer,
    AUTH0_JWKS_URI: stack.issuer.jwksUri,
    AUTH0_AUDIENCE: stack.issuer.audience,
  };
}
