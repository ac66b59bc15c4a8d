/**
 * What an adversarial review found (issue 12), one test per finding, each through real
 * HTTP into the handler: no request is left unanswered when the database connection is
 * dropped, a key removed from the JWKS dies at once, `crit` is refused, a flood of unknown
 * kids turns a real rotation into 503s (never sign-outs), a client that hangs up is not a
 * server failure, two Authorization headers are refused, and the expiry cap holds end to
 * end.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, connect, type Server, type Socket } from "node:net";
import faunadb from "faunadb";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call } from "./support/http-client.ts";
import { createHttpHandler } from "../lib/http/token-handler.ts";
import { createTokenExchange } from "../lib/core/exchange/exchange.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { serveHandler } from "../lib/adapters/node.ts";
import { LEDGER_COLLECTION } from "../lib/core/ledger/layout.ts";
import { startFaultProxy } from "./support/fault-proxy.ts";
import { exchangeEnv } from "./support/env.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

/** Log lines (parsed) of one event, from what the file has logged so far. */
function logLines(event: string): Record<string, unknown>[] {
  return logs
    .text()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes(`"event":"${event}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Sends raw bytes over HTTP/1.1 and returns what came back (or "" if the server closed). */
function rawHttp(port: number, request: string, opts: { hangUpAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => (data += d.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(data));
    socket.write(request);
    if (opts.hangUpAfterMs !== undefined) setTimeout(() => socket.destroy(), opts.hangUpAfterMs);
    else socket.end();
  });
}

describe("a database connection that is dropped mid-query", () => {
  // Reads the request, then destroys the socket: the faunadb driver's HTTP/2 path then
  // never settles the query on its own, and never fires its own timeout either.
  let dropper: Server;
  let endpoint: string;
  let s: Stack;
  before(async () => {
    dropper = createServer((socket) => socket.once("data", () => setTimeout(() => socket.destroy(), 20)));
    await new Promise<void>((r) => dropper.listen(0, "127.0.0.1", () => r()));
    endpoint = `http://127.0.0.1:${(dropper.address() as { port: number }).port}`;
    s = await startStack({ users: ["auth0|dropped"] });
    logs.forbid(s.target.serverSecret);
  });
  after(async () => {
    await s.close();
    dropper.close();
  });

  test("POST answers 503 with Retry-After within the budget (+1 s) and logs one line naming the host and the cause", async () => {
    const budgetMs = 1500;
    const config = loadConfig({
      FAUNA_ENDPOINT: endpoint,
      FAUNA_SECRET: "fnDroppedConnectionSecret0000",
      AUTH0_ISSUER: s.issuer.issuer,
      AUTH0_JWKS_URI: s.issuer.jwksUri,
      AUTH0_AUDIENCE: s.issuer.audience,
    });
    const exchange = createTokenExchange(config);
    const server = await serveHandler(createHttpHandler({ exchange, exchangeBudgetMs: budgetMs }), { route: "/api/token" });
    try {
      const jwt = s.issuer.mint({ sub: "auth0|dropped" });
      logs.forbid(jwt);
      const before = logLines("token_exchange").length;
      const started = Date.now();
      const r = await call(`${server.url}/api/token`, bearer(jwt));
      const took = Date.now() - started;
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error, "temporarily_unavailable");
      assert.ok(Number(r.headers.get("retry-after")) >= 1);
      assert.ok(took < budgetMs + 1000, `answered after ${took} ms`);
      const lines = logLines("token_exchange").slice(before);
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.outcome, "ERR_DATABASE_UNAVAILABLE");
      assert.equal(lines[0]!.fauna_host, new URL(endpoint).host);
      assert.equal(typeof lines[0]!.fauna_cause, "string");
    } finally {
      await server.close();
      await exchange.client.close({ force: true });
    }
  });
});

describe("after a dropped connection", () => {
  // The driver keeps an HTTP/2 session whose connection was dropped, and its next query
  // on it fails before anything is sent; that query is sent again on a fresh session.
  test("the next request on the same warm instance is answered 200, not 503", async () => {
    const s = await startStack({ users: ["auth0|after-drop"] });
    const proxy = await startFaultProxy(s.target.endpoint, () => 0);
    const config = loadConfig({ ...exchangeEnv({ endpoint: proxy.url, serverSecret: s.target.serverSecret }, s.issuer) });
    const exchange = createTokenExchange(config);
    const server = await serveHandler(createHttpHandler({ exchange, exchangeBudgetMs: 1500 }), { route: "/api/token" });
    try {
      logs.forbid(s.target.serverSecret);
      const mint = () => {
        const jwt = s.issuer.mint({ sub: "auth0|after-drop" });
        logs.forbid(jwt);
        return jwt;
      };
      const warm = await call(`${server.url}/api/token`, bearer(mint()));
      assert.equal(warm.status, 200);
      logs.forbid(warm.body.secret as string);
      proxy.setDropRate(1);
      const dropped = await call(`${server.url}/api/token`, bearer(mint()));
      assert.equal(dropped.status, 503);
      proxy.setDropRate(0);
      const next = await call(`${server.url}/api/token`, bearer(mint()));
      assert.equal(next.status, 200, JSON.stringify(next.body));
      logs.forbid(next.body.secret as string);
      assert.ok(proxy.dropped >= 1);
    } finally {
      await server.close();
      await proxy.close();
      await exchange.client.close({ force: true });
      await s.close();
    }
  });
});

describe("findings against the exchange", () => {
  let s: Stack;
  let clockMs = Date.now();
  before(async () => {
    s = await startStack({
      users: ["auth0|h1", "auth0|h2"],
      env: { TOKEN_MAX_TTL_SECONDS: "600" },
      jwtOptions: { jwksRequestsPerMinute: 2, now: () => clockMs },
    });
    logs.forbid(s.target.serverSecret, s.target.adminSecret);
  });
  after(() => s.close());

  const mint = (opts: Parameters<Stack["issuer"]["mint"]>[0]) => {
    const jwt = s.issuer.mint(opts);
    logs.forbid(jwt);
    return jwt;
  };
  const exchange = async (jwt: string) => {
    const r = await call(s.url, bearer(jwt));
    if (typeof r.body.secret === "string") logs.forbid(r.body.secret);
    return r;
  };

  test("a key removed from the JWKS is untrusted from the next successful fetch", async () => {
    const old = s.issuer.currentKey;
    assert.equal((await exchange(mint({ sub: "auth0|h1" }))).status, 200);
    // Emergency rotation: the old key is withdrawn; the next fetch (for the new kid) drops it.
    s.issuer.rotate({ retireOld: true });
    assert.equal((await exchange(mint({ sub: "auth0|h1" }))).status, 200);
    // The refetch budget is 2 a minute (the cold start's fetch spent none of it, the new
    // kid's one): the old kid is looked up once, and the fresh key set lacks it (401); then
    // the budget is spent (503) until it refills, and the answer is 401 again. Never 200.
    const refused = await exchange(mint({ sub: "auth0|h1", key: old }));
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    const deferred = await exchange(mint({ sub: "auth0|h1", key: old }));
    assert.equal(deferred.status, 503, JSON.stringify(deferred.body));
    clockMs += 30_000;
    const r = await exchange(mint({ sub: "auth0|h1", key: old }));
    assert.equal(r.status, 401, JSON.stringify(r.body));
    assert.equal(r.body.error, "invalid_token");
  });

  test("a token with a crit header, or b64, is refused with 401 (RFC 7515 §4.1.11)", async () => {
    for (const header of [{ crit: ["exp"], exp: 1 }, { crit: ["http://example.com/ext"] }, { b64: false, crit: ["b64"] }, { b64: true }]) {
      const r = await exchange(mint({ sub: "auth0|h1", header }));
      assert.equal(r.status, 401, JSON.stringify(header));
      assert.match(r.body.error_description as string, /extension this service does not implement/);
    }
    assert.ok(logLines("token_exchange").some((l) => l.outcome === "ERR_JWT_CRIT_UNSUPPORTED"));
  });

  test("during a flood of unknown kids, a freshly rotated kid gets 503 with Retry-After, then 200, never 401", async () => {
    // The flood spends the refetch budget (2 a minute) on made-up kids.
    const junk = s.issuer.createKey();
    for (let i = 0; i < 6; i++) await exchange(mint({ sub: "auth0|h2", key: junk, kid: `junk-${i}` }));
    s.issuer.rotate();
    const fetches = s.issuer.jwksFetches;
    const r = await exchange(mint({ sub: "auth0|h2" }));
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.error, "temporarily_unavailable");
    const retryAfter = Number(r.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 30, `Retry-After ${retryAfter}`);
    assert.equal(s.issuer.jwksFetches, fetches, "the flood stays bounded: no fetch beyond the budget");
    clockMs += retryAfter * 1000;
    assert.equal((await exchange(mint({ sub: "auth0|h2" }))).status, 200);
  });

  test("TOKEN_MAX_TTL_SECONDS caps a 24 h JWT end to end: answer, token ttl and ledger agree", async () => {
    const before = Date.now();
    const r = await exchange(mint({ sub: "auth0|h1", expiresIn: 24 * 3600 }));
    assert.equal(r.status, 200);
    const expiresAt = Date.parse(r.body.expires_at as string);
    assert.ok(Math.abs(expiresAt - (before + 600_000)) < 5000, `expires_at ${r.body.expires_at}`);
    assert.ok((r.body.expires_in as number) <= 600 && (r.body.expires_in as number) > 590);
    const entry = await s.admin.query<{ data: { token_ref: faunadb.values.Ref; expires_at: faunadb.values.FaunaTime } }>(
      q.Get(q.Select(0, q.Paginate(q.Reverse(q.Documents(q.Collection(LEDGER_COLLECTION))), { size: 1 }))),
    );
    assert.equal(entry.data.expires_at.date.getTime(), expiresAt);
    const token = await s.admin.query<{ ttl: faunadb.values.FaunaTime }>(q.Get(entry.data.token_ref));
    assert.equal(token.ttl.date.getTime(), expiresAt);
  });

  test("a client that hangs up mid-body is logged at info level as ERR_REQUEST_ABORTED, never as a 5xx", async () => {
    const port = Number(new URL(s.url).port);
    const before = logLines("token_exchange").length;
    await rawHttp(port, 'POST /api/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"token":"ab', { hangUpAfterMs: 50 });
    for (let i = 0; i < 100 && logLines("token_exchange").length === before; i++) await new Promise((r) => setTimeout(r, 20));
    const lines = logLines("token_exchange").slice(before);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.outcome, "ERR_REQUEST_ABORTED");
    assert.equal(lines[0]!.level, "info");
    assert.ok((lines[0]!.status as number) < 500);
  });

  test("two Authorization headers (or a header and a body token) are refused with 400", async () => {
    const port = Number(new URL(s.url).port);
    const a = mint({ sub: "auth0|h1" });
    const b = mint({ sub: "auth0|h2" });
    const reply = await rawHttp(port, `POST /api/token HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${a}\r\nAuthorization: Bearer ${b}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(reply, /Send one Authorization header/);
    const both = await call(s.url, { headers: { authorization: `Bearer ${a}`, "content-type": "application/json" }, body: JSON.stringify({ token: b }) });
    assert.equal(both.status, 400);
  });
});

describe("JWT checks that run before any key lookup", () => {
  test("a non-allowed alg with an unknown kid costs zero JWKS fetches", async () => {
    const s = await startStack({ users: ["auth0|a"] });
    try {
      s.issuer.resetJwksFetches();
      const jwt = s.issuer.mint({ sub: "auth0|a", algorithm: "RS384", kid: "never-published" });
      logs.forbid(jwt);
      const r = await call(s.url, bearer(jwt));
      assert.equal(r.status, 401);
      assert.equal(s.issuer.jwksFetches, 0);
    } finally {
      await s.close();
    }
  });
});
