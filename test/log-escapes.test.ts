/**
 * No log line shows an invisible or direction-changing character (the review of main, 5):
 * unverified text (an unlisted issuer's `iss`, claims, headers) reaches log lines, and a bidi
 * override, a zero-width space or a line separator in it reorders, hides or breaks what an
 * operator reads. The logger writes every such character (controls JSON leaves raw, format
 * characters, line and paragraph separators) as a `\uXXXX` escape: the parsed value is the
 * same, the raw line plain. Here through real HTTP with two issuers; on its own in
 * test/log.test.ts.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";

/** Any character the logger must write as an escape (test/log.test.ts holds the logger to it on its own). */
const RAW = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

describe("through real HTTP: an unlisted issuer's iss in the log line", () => {
  const logs = captureLogs();
  let s: Stack;
  let second: DevIssuer;
  before(async () => {
    second = await startDevIssuer();
    s = await startStack({
      users: ["auth0|known"],
      env: { OIDC_ISSUERS: JSON.stringify([{ issuer: second.issuer, audience: second.audience, jwks_uri: second.jwksUri }]) },
    });
  });
  after(closeThenCheck(logs, async () => Promise.all([s?.close(), second?.close()])));

  test("401 ERR_JWT_ISSUER_INVALID, its log line's unverified `received` escaped and intact", async () => {
    const iss = `https://evil.example/\u202etxt.exe\u200b\u2028"level":"error"`;
    const key = s.issuer.currentKey;
    const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const input = `${part({ alg: "RS256", kid: key.kid })}.${part({ iss, sub: "auth0|known", aud: s.issuer.audience, exp: Math.floor(Date.now() / 1000) + 600 })}`;
    const jwt = `${input}.${sign("sha256", Buffer.from(input), key.privateKey).toString("base64url")}`;
    logs.forbid(jwt);
    const res = await call(s.url, bearer(jwt));
    assert.equal(res.status, 401);
    const raw = logs.text().split("\n").filter((l) => l.includes('"event":"token_exchange"')).at(-1)!;
    assert.ok(!RAW.test(raw), JSON.stringify(raw));
    const line = JSON.parse(raw) as Record<string, unknown>;
    assert.deepEqual([line.level, line.outcome, line.received, line.unverified], ["info", "ERR_JWT_ISSUER_INVALID", iss, true]);
  });
});
