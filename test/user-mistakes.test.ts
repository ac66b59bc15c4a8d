/**
 * The mistakes an Auth0 user actually makes (issue 9, "The mistakes users make"), one
 * test per numbered mistake, each through real HTTP into the handler: what the client is
 * told, and what the operator's log line says, must be enough to find the cause.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { bearer, call, form } from "./support/http-client.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { createTokenExchange } from "../lib/core/exchange/exchange.ts";
import { createHttpHandler, type HttpHandlerOptions } from "../lib/http/token-handler.ts";
import { serveHandler } from "../lib/adapters/node.ts";
import { MAX_LOGGED_REFUSED_ORIGINS } from "../lib/http/cors.ts";
import { closedPort } from "./support/processes.ts";

const logs = captureLogs();

let s: Stack;
before(async () => {
  s = await startStack({ users: ["auth0|known"] });
  logs.forbid(s.target.serverSecret, s.target.adminSecret);
});
after(closeThenCheck(logs, () => s?.close()));


/** The exchange served with the stack's settings, some of them replaced: one deployment's mistake. */
async function deployment(env: Record<string, string>, opts: Partial<HttpHandlerOptions> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const config = loadConfig({
    FAUNA_ENDPOINT: s.target.endpoint,
    FAUNA_SECRET: s.target.serverSecret,
    AUTH0_ISSUER: s.issuer.issuer,
    AUTH0_JWKS_URI: s.issuer.jwksUri,
    AUTH0_AUDIENCE: s.issuer.audience,
    ...env,
  });
  const exchange = createTokenExchange(config);
  const server = await serveHandler(createHttpHandler({ exchange, ...opts }), { route: "/api/token" });
  return {
    url: `${server.url}/api/token`,
    async close() {
      await server.close();
      await exchange.client.close({ force: true });
    },
  };
}

const mint = (opts: Parameters<Stack["issuer"]["mint"]>[0]): string => {
  const jwt = s.issuer.mint(opts);
  logs.forbid(jwt);
  return jwt;
};

/** The log lines of `event` written while `fn` ran. */
async function loggedDuring<T>(event: string, fn: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const before = logs.events(event).length;
  const result = await fn();
  return { result, lines: logs.events(event).slice(before) };
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("1. an opaque or encrypted access token (the SPA did not ask for the API's audience)", () => {
  test("a JWE (five segments) is named as such, with AUTH0_AUDIENCE as the fix; so is an opaque token", async () => {
    const jwe = [b64({ alg: "dir", enc: "A256GCM" }), "", "aXY", "Y2lwaGVydGV4dA", "dGFn"].join(".");
    const { result: r, lines } = await loggedDuring("token_exchange", () => call(s.url, bearer(jwe)));
    assert.equal(r.status, 401);
    assert.equal(r.body.error, "invalid_token");
    const description = r.body.error_description as string;
    assert.match(description, /an encrypted JWT \(JWE\), not a signed JWT/);
    assert.match(description, /requested without the API's audience/);
    assert.match(description, /AUTH0_AUDIENCE/);
    assert.match(r.headers.get("www-authenticate") ?? "", /not a signed JWT/);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.outcome, "ERR_JWT_NOT_SIGNED");

    // Auth0's opaque access tokens are one random word, no dots.
    const opaque = await call(s.url, bearer("x7Qd2mN4pL8vR1sT6wY0zA3bC5eF9gH"));
    assert.equal(opaque.status, 401);
    assert.match(opaque.body.error_description as string, /not a JWT, not a signed JWT.*AUTH0_AUDIENCE/);
  });
});

describe("2. wrong audience, wrong issuer", () => {
  test("the log line carries the expected and the received aud", async () => {
    const { result: r, lines } = await loggedDuring("token_exchange", () => call(s.url, bearer(mint({ sub: "auth0|known", aud: "https://other-api.example" }))));
    assert.equal(r.status, 401);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.outcome, "ERR_JWT_AUDIENCE_INVALID");
    assert.deepEqual(lines[0]!.expected, [s.issuer.audience]);
    assert.equal(lines[0]!.received, "https://other-api.example");
    assert.equal(lines[0]!.hint, undefined, "no trailing-slash hint when the values differ otherwise");
  });

  test("an issuer configured without Auth0's trailing slash: expected, received, and a hint naming the slash", async () => {
    const withoutSlash = s.issuer.issuer.replace(/\/$/, "");
    const d = await deployment({ AUTH0_ISSUER: withoutSlash });
    try {
      const { result: r, lines } = await loggedDuring("token_exchange", () => call(d.url, bearer(mint({ sub: "auth0|known" }))));
      assert.equal(r.status, 401);
      assert.equal(lines[0]!.outcome, "ERR_JWT_ISSUER_INVALID");
      assert.equal(lines[0]!.expected, withoutSlash);
      assert.equal(lines[0]!.received, s.issuer.issuer);
      assert.match(lines[0]!.hint as string, /differ only by the trailing slash.*AUTH0_ISSUER/);
    } finally {
      await d.close();
    }
  });

  test("an audience that differs only by a trailing slash gets the same kind of hint, naming AUTH0_AUDIENCE", async () => {
    const { lines } = await loggedDuring("token_exchange", () => call(s.url, bearer(mint({ sub: "auth0|known", aud: `${s.issuer.audience}/` }))));
    assert.equal(lines[0]!.outcome, "ERR_JWT_AUDIENCE_INVALID");
    assert.equal(lines[0]!.received, `${s.issuer.audience}/`);
    assert.match(lines[0]!.hint as string, /trailing slash.*AUTH0_AUDIENCE/);
  });
});

describe("3. a wrong FAUNA_ENDPOINT or FAUNA_SECRET", () => {
  test("nothing listening: 503 for the client; the log names the host and ECONNREFUSED", async () => {
    const port = await closedPort();
    const d = await deployment({ FAUNA_ENDPOINT: `http://127.0.0.1:${port}` });
    try {
      const { result: r, lines } = await loggedDuring("token_exchange", () => call(d.url, bearer(mint({ sub: "auth0|known" }))));
      assert.equal(r.status, 503);
      assert.equal(r.body.error, "temporarily_unavailable");
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.outcome, "ERR_DATABASE_UNAVAILABLE");
      assert.equal(lines[0]!.fauna_host, `127.0.0.1:${port}`);
      assert.equal(lines[0]!.fauna_cause, "ECONNREFUSED");
    } finally {
      await d.close();
    }
  });

  test("a host name that does not resolve: the log says so (ENOTFOUND), not just 'unavailable'", async () => {
    // .invalid never resolves (RFC 6761); without a reachable DNS server the resolver says EAI_AGAIN.
    const d = await deployment({ FAUNA_ENDPOINT: "http://fauna.mistyped.invalid:8443" });
    try {
      const { result: r, lines } = await loggedDuring("token_exchange", () => call(d.url, bearer(mint({ sub: "auth0|known" }))));
      assert.equal(r.status, 503);
      assert.equal(lines[0]!.fauna_host, "fauna.mistyped.invalid:8443");
      assert.match(lines[0]!.fauna_cause as string, /^(ENOTFOUND|EAI_AGAIN)$/);
    } finally {
      await d.close();
    }
  });

  test("https:// for a FaunaDB that speaks plain HTTP: the log names the TLS failure", async (t) => {
    if (!s.target.endpoint.startsWith("http:")) return t.skip("the target FaunaDB speaks TLS already");
    const https = s.target.endpoint.replace(/^http:/, "https:");
    const d = await deployment({ FAUNA_ENDPOINT: https });
    try {
      const { result: r, lines } = await loggedDuring("token_exchange", () => call(d.url, bearer(mint({ sub: "auth0|known" }))));
      assert.equal(r.status, 503);
      assert.equal(lines[0]!.fauna_host, new URL(https).host);
      // OpenSSL's code for a TLS hello answered in plain HTTP.
      assert.match(lines[0]!.fauna_cause as string, /SSL|TLS|EPROTO/);
    } finally {
      await d.close();
    }
  });

  test("FaunaDB answering 503: the log carries the status and FaunaDB's code", async (t) => {
    const emu = s.target.emulator;
    if (!emu) return t.skip("needs the emulator's injected faults");
    emu.faults.failQueries({ status: 503, count: 2 });
    try {
      const { result: r, lines } = await loggedDuring("token_exchange", () => call(s.url, bearer(mint({ sub: "auth0|known" }))));
      assert.equal(r.status, 503);
      assert.equal(lines[0]!.fauna_host, new URL(s.target.endpoint).host);
      assert.equal(lines[0]!.fauna_cause, "http_503:unavailable");
    } finally {
      emu.faults.clear();
    }
  });

  test("a secret FaunaDB refuses (401) is the deployment's fault: 500 server_error, and a log line naming FAUNA_SECRET", async () => {
    const wrong = "fnAEwrongwrongwrongwrongwrongwrong";
    logs.forbid(wrong);
    const d = await deployment({ FAUNA_SECRET: wrong });
    try {
      const { result: r, lines } = await loggedDuring("token_exchange", () => call(d.url, bearer(mint({ sub: "auth0|known" }))));
      assert.equal(r.status, 500);
      assert.deepEqual(r.body, { error: "server_error", error_description: "The token service failed; try again later." });
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.outcome, "ERR_FAUNA_SECRET_REFUSED");
      assert.equal(lines[0]!.level, "error");
      assert.match((lines[0]!.problems as string[]).join(), /refused FAUNA_SECRET \(401\): it is not a valid key for that database/);
    } finally {
      await d.close();
    }
  });
});

describe("4. the JWKS cannot be fetched", () => {
  test("nothing listening at the JWKS URL: 503, and the real cause (ECONNREFUSED), never fetch_failed", async () => {
    const port = await closedPort();
    const d = await deployment({ AUTH0_JWKS_URI: `http://127.0.0.1:${port}/.well-known/jwks.json` });
    try {
      const fetchFailedBefore = logs.events("jwks_fetch_failed").length;
      const { result: r, lines } = await loggedDuring("token_exchange", () => call(d.url, bearer(mint({ sub: "auth0|known" }))));
      assert.equal(r.status, 503);
      assert.equal(r.body.error, "temporarily_unavailable");
      assert.deepEqual(lines[0]!.idp, { code: "ECONNREFUSED" });
      const fetchFailed = logs.events("jwks_fetch_failed").slice(fetchFailedBefore);
      assert.equal(fetchFailed.length, 1);
      assert.equal(fetchFailed[0]!.jwks_host, `127.0.0.1:${port}`);
      assert.equal(fetchFailed[0]!.code, "ECONNREFUSED");
    } finally {
      await d.close();
    }
  });
});

describe("5. JSON sent without its Content-Type (curl -d's default is a form)", () => {
  test("a form body that looks like JSON says that JSON needs Content-Type: application/json", async () => {
    const jwt = mint({ sub: "auth0|known" });
    // Exactly what `curl -d '{"token": "…"}' URL` sends.
    const r = await call(s.url, { headers: { "content-type": "application/x-www-form-urlencoded" }, body: JSON.stringify({ token: jwt }) });
    assert.equal(r.status, 400);
    assert.equal(r.body.error, "invalid_request");
    assert.match(r.body.error_description as string, /A JSON body needs "Content-Type: application\/json"/);
  });

  test("a form without grant_type says the same, after what an RFC 8693 form needs", async () => {
    const r = await call(s.url, form({ token: mint({ sub: "auth0|known" }) }));
    assert.equal(r.status, 400);
    assert.match(r.body.error_description as string, /^grant_type is missing: an RFC 8693 form needs grant_type=urn:ietf:params:oauth:grant-type:token-exchange\. A JSON body needs "Content-Type: application\/json"/);
  });
});

describe("6. an unknown user while CREATE_MISSING_USERS is off", () => {
  test("the answer stays 403 access_denied; the log says which index was searched and that users are not created", async () => {
    const { result: r, lines } = await loggedDuring("token_exchange", () => call(s.url, bearer(mint({ sub: "auth0|stranger" }))));
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, { error: "access_denied", error_description: "No user is registered for this token's subject." });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.outcome, "ERR_UNKNOWN_USER");
    assert.equal(lines[0]!.users_index, "users_by_auth0_id");
    assert.equal(lines[0]!.create_missing_users, false);
    assert.match(lines[0]!.hint as string, /CREATE_MISSING_USERS is off/);
  });
});

describe("7. a request from an origin not in ALLOWED_ORIGINS", () => {
  test("is served without a grant and logged once per origin per cold start, up to a bound", async () => {
    const d = await deployment({ ALLOWED_ORIGINS: "https://app.example.com" });
    try {
      const preflight = (origin: string) =>
        fetch(d.url, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } }).then(async (res) => {
          await res.arrayBuffer();
          return res;
        });
      const { result: refused, lines } = await loggedDuring("cors_origin_refused", async () => {
        const first = await preflight("https://staging.example.com");
        await preflight("https://staging.example.com");
        await call(d.url, { headers: { origin: "https://staging.example.com", authorization: `Bearer ${mint({ sub: "auth0|known" })}` } });
        return first;
      });
      assert.equal(refused.headers.get("access-control-allow-origin"), null);
      assert.equal(refused.headers.get("vary"), "Origin");
      assert.equal(lines.length, 1, "one line for three requests from the same origin");
      assert.equal(lines[0]!.origin, "https://staging.example.com");
      assert.deepEqual(lines[0]!.allowed_origins, ["https://app.example.com"]);
      assert.match(lines[0]!.hint as string, /ALLOWED_ORIGINS/);

      // The allowed origin is granted and not logged; a flood of made-up origins stays bounded.
      const granted = await loggedDuring("cors_origin_refused", () => preflight("https://app.example.com"));
      assert.equal(granted.result.headers.get("access-control-allow-origin"), "https://app.example.com");
      assert.equal(granted.lines.length, 0);
      const flood = await loggedDuring("cors_origin_refused", async () => {
        for (let i = 0; i < MAX_LOGGED_REFUSED_ORIGINS + 20; i++) await preflight(`https://flood-${i}.example.com`);
      });
      assert.equal(flood.lines.length, MAX_LOGGED_REFUSED_ORIGINS - 1);
    } finally {
      await d.close();
    }
  });
});

describe("8. FAUNA_USERS_INDEX naming an index that does not exist", () => {
  test("500 for the client; the log names the index, the variable, and that only deploy-schema --with-users creates it", async () => {
    const d = await deployment({ FAUNA_USERS_INDEX: "nope" });
    try {
      const { result: r, lines } = await loggedDuring("token_exchange", () => call(d.url, bearer(mint({ sub: "auth0|known" }))));
      assert.equal(r.status, 500);
      assert.equal(r.body.error, "server_error");
      assert.equal(lines[0]!.outcome, "ERR_MISCONFIGURED");
      const problems = (lines[0]!.problems as string[]).join();
      assert.match(problems, /index 'nope' \(FAUNA_USERS_INDEX\) does not exist/);
      assert.match(problems, /fix FAUNA_USERS_INDEX, or create it \(npm run deploy-schema -- --with-users creates it/);
    } finally {
      await d.close();
    }
  });
});
