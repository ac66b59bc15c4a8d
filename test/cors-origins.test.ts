/**
 * Who may read the answers of /api/token and of the dev issuer's /mint, over real HTTP,
 * with ALLOWED_ORIGINS narrowed to one origin: that origin and the request's own are
 * granted, by the same rules and with the same headers at both; a request from its own
 * origin (the URL it was sent to: by `Host`, or by `X-Forwarded-Host` behind a proxy) is
 * never logged as a refused origin; any other origin gets no grant and one
 * `cors_origin_refused` line, which says when it was /mint.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";

const ALLOWED = "https://app.example.com";
const logs = captureLogs();

let s: Stack;
/** The token endpoint's own origin, `http://127.0.0.1:PORT`. */
let own: string;
let issuer: DevIssuer;
let mintUrl: string;
before(async () => {
  s = await startStack({ users: ["auth0|known"], env: { ALLOWED_ORIGINS: ALLOWED } });
  own = new URL(s.url).origin;
  issuer = await startDevIssuer({ mintEndpoint: true });
  // As npm start wires it: ALLOWED_ORIGINS, and the site's page (the token endpoint's origin).
  issuer.allowMintOrigins([...s.config.allowedOrigins, own]);
  mintUrl = `${issuer.issuer}mint`;
  logs.forbid(s.target.serverSecret, s.target.adminSecret);
});
after(closeThenCheck(logs, async () => {
  await issuer?.close();
  await s?.close();
}));

interface Raw {
  status: number;
  /** The CORS headers of the answer, and Vary. */
  cors: Record<string, string>;
  body: string;
}

/** A request with exactly these headers, `Host` included (fetch would set its own). */
function raw(url: string, method: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        const cors: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (k.startsWith("access-control-") || k === "vary") cors[k] = String(v);
        resolve({ status: res.statusCode ?? 0, cors, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const exchange = (origin: string | undefined, more: Record<string, string> = {}) =>
  raw(s.url, "POST", { authorization: `Bearer ${mint()}`, ...(origin ? { origin } : {}), ...more });
const preflight = (url: string, origin: string, method: string, more: Record<string, string> = {}) =>
  raw(url, "OPTIONS", { origin, "access-control-request-method": method, ...more });
const mintFrom = (origin: string | undefined, query = "sub=auth0%7Cknown") => raw(`${mintUrl}?${query}`, "GET", origin ? { origin } : {});

function mint(): string {
  const jwt = s.issuer.mint({ sub: "auth0|known" });
  logs.forbid(jwt);
  return jwt;
}

/** The cors_origin_refused lines written while `fn` ran. */
async function refusedDuring<T>(fn: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const before = logs.events("cors_origin_refused").length;
  const result = await fn();
  return { result, lines: logs.events("cors_origin_refused").slice(before) };
}

const GRANT = (origin: string) => ({
  "access-control-allow-origin": origin,
  "access-control-expose-headers": "WWW-Authenticate, Retry-After",
  vary: "Origin",
});

describe("the token endpoint: a request from its own origin", () => {
  test("is answered as a same-origin request needs, and never logged as refused", async () => {
    const { result, lines } = await refusedDuring(async () => {
      const r = await exchange(own);
      const pre = await preflight(s.url, own, "POST");
      return { r, pre };
    });
    assert.equal(result.r.status, 200, result.r.body);
    assert.deepEqual(result.r.cors, GRANT(own));
    assert.equal(result.pre.status, 204);
    assert.equal(result.pre.cors["access-control-allow-origin"], own);
    assert.equal(result.pre.cors["access-control-allow-methods"], "POST, DELETE");
    assert.deepEqual(lines, []);
  });

  test("by the name the browser used: a page at http://localhost:PORT is at home there", async () => {
    const port = new URL(s.url).port;
    const { result, lines } = await refusedDuring(() => exchange(`http://localhost:${port}`, { host: `localhost:${port}` }));
    assert.equal(result.status, 200, result.body);
    assert.deepEqual(result.cors, GRANT(`http://localhost:${port}`));
    assert.deepEqual(lines, []);
  });

  test("behind a proxy: the public host in X-Forwarded-Host (and X-Forwarded-Proto) is its own origin", async () => {
    const proxied = { "x-forwarded-host": "shop.example.org", "x-forwarded-proto": "https" };
    const { result, lines } = await refusedDuring(() => exchange("https://shop.example.org", proxied));
    assert.equal(result.status, 200, result.body);
    assert.deepEqual(result.cors, GRANT("https://shop.example.org"));
    assert.deepEqual(lines, []);
    // Without X-Forwarded-Proto the scheme is the URL's: http here.
    const plain = await refusedDuring(() => exchange("http://shop.example.org", { "x-forwarded-host": "shop.example.org, proxy.internal" }));
    assert.deepEqual(plain.result.cors, GRANT("http://shop.example.org"));
    assert.deepEqual(plain.lines, []);
  });

  test("an origin that is neither its own nor allowed gets no grant and is logged, once", async () => {
    const { result, lines } = await refusedDuring(async () => {
      const first = await exchange("https://staging.example.com");
      await exchange("https://staging.example.com");
      // Not a host: no origin of the request, whatever it claims.
      await exchange("https://evil.example", { "x-forwarded-host": "evil.example/path" });
      // The same host under another scheme is another origin.
      await exchange(own.replace("http:", "https:"));
      return first;
    });
    assert.equal(result.status, 200);
    assert.deepEqual(result.cors, { vary: "Origin" });
    assert.deepEqual(
      lines.map((l) => l.origin),
      ["https://staging.example.com", "https://evil.example", own.replace("http:", "https:")],
    );
    assert.deepEqual(lines[0]!.allowed_origins, [ALLOWED]);
    assert.equal(lines[0]!.endpoint, undefined);
  });
});

describe("/mint follows ALLOWED_ORIGINS as the token endpoint does", () => {
  test("the same grant, or none, for the same origins", async () => {
    for (const origin of [ALLOWED, own, "https://staging.example.com", undefined]) {
      const [m, t] = await Promise.all([mintFrom(origin), exchange(origin)]);
      assert.equal(m.status, 200, m.body);
      assert.deepEqual(m.cors, t.cors, `Origin: ${origin}`);
      assert.deepEqual(m.cors, origin && origin !== "https://staging.example.com" ? GRANT(origin) : { vary: "Origin" }, `Origin: ${origin}`);
    }
    // Its own origin too (the issuer's), as the token endpoint's own is granted there.
    assert.deepEqual((await mintFrom(new URL(mintUrl).origin)).cors, GRANT(new URL(mintUrl).origin));
  });

  test("the same preflight, for GET", async () => {
    const m = await preflight(mintUrl, ALLOWED, "GET", { "access-control-request-headers": "authorization" });
    const t = await preflight(s.url, ALLOWED, "POST", { "access-control-request-headers": "authorization" });
    assert.equal(m.status, 204);
    assert.deepEqual(m.cors, { ...t.cors, "access-control-allow-methods": "GET" });
    assert.equal(t.cors["access-control-allow-methods"], "POST, DELETE");
    const refused = await preflight(mintUrl, "https://staging.example.com", "GET");
    assert.equal(refused.status, 204);
    assert.deepEqual(refused.cors, { vary: "Origin" });
  });

  test("a refused origin is logged once, saying it was /mint", async () => {
    const { lines } = await refusedDuring(async () => {
      await mintFrom("https://other.example.net");
      await mintFrom("https://other.example.net");
      await mintFrom(ALLOWED);
      await mintFrom(own);
    });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.origin, "https://other.example.net");
    assert.equal(lines[0]!.endpoint, "GET /mint");
    assert.deepEqual(lines[0]!.allowed_origins, [ALLOWED, own]);
    assert.match(lines[0]!.hint as string, /ALLOWED_ORIGINS/);
  });

  test("with ALLOWED_ORIGINS=*, every origin gets *, at both", async () => {
    const wide = await startStack({ users: ["auth0|known"], env: { ALLOWED_ORIGINS: "*" } });
    const wideIssuer = await startDevIssuer({ mintEndpoint: true });
    try {
      wideIssuer.allowMintOrigins(wide.config.allowedOrigins);
      const jwt = wide.issuer.mint({ sub: "auth0|known" });
      logs.forbid(jwt);
      const origin = "https://any.example";
      const t = await raw(wide.url, "POST", { origin, authorization: `Bearer ${jwt}` });
      const m = await raw(`${wideIssuer.issuer}mint`, "GET", { origin });
      assert.deepEqual(t.cors, GRANT("*"));
      assert.deepEqual(m.cors, GRANT("*"));
    } finally {
      await wideIssuer.close();
      await wide.close();
    }
  });

  test("what is wrong with its parameters, in a 400 an allowed page can read", async () => {
    const empty = await mintFrom(ALLOWED, "sub=%20");
    assert.equal(empty.status, 400);
    assert.equal(empty.body, "sub is empty: give the user's id, e.g. sub=auth0|dev-user");
    assert.deepEqual(empty.cors, GRANT(ALLOWED));
    const lifetime = await mintFrom(ALLOWED, "sub=auth0%7Cknown&expires_in=1.5");
    assert.equal(lifetime.status, 400);
    assert.equal(lifetime.body, "expires_in must be a whole number of seconds");
  });
});
