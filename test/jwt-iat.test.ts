/**
 * `iat` is checked (the review of main, 4): a JWT that claims to be issued in the future
 * would never be "issued at or before" a sign-out, so it was immune to sign out everywhere;
 * one whose `iat` is not a time (beyond what a date holds, negative, not a number) made the
 * exchange fail with a 500 and an error-level log line. Now both are 401 invalid_token,
 * ERR_JWT_IAT_INVALID, logged at info, nothing written. Real RSA signatures, real HTTP into
 * the handler, the real driver and the emulator.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call, jsonBody, rfc8693, type Reply } from "./support/http-client.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { working } from "./support/sign-out-race.ts";

const logs = captureLogs();
let s: Stack;
before(async () => {
  s = await startStack({ users: ["auth0|iat", "auth0|iat-ok"] });
});
after(closeThenCheck(logs, () => s?.close()));

const nowS = () => Math.floor(Date.now() / 1000);

/** A JWT signed with the issuer's key whose `iat` is exactly `iat` (jsonwebtoken signs numbers only). */
function withIat(iat: unknown, sub = "auth0|iat"): string {
  const key = s.issuer.currentKey;
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${part({ alg: "RS256", typ: "JWT", kid: key.kid })}.${part({ iss: s.issuer.issuer, sub, aud: s.issuer.audience, iat, exp: nowS() + 600 })}`;
  const jwt = `${input}.${sign("sha256", Buffer.from(input), key.privateKey).toString("base64url")}`;
  logs.forbid(jwt);
  return jwt;
}

function assertIatRefused(r: Reply, description: RegExp): void {
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.equal(r.body.error, "invalid_token");
  assert.match(r.body.error_description as string, description);
  assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);
}

describe("iat", () => {
  test("issued in the future (beyond the 5 s tolerance): 401 ERR_JWT_IAT_INVALID, for the exchange and for DELETE; nothing written", async () => {
    const before = await s.counts();
    const future = withIat(nowS() + 3600);
    assertIatRefused(await call(s.url, bearer(future)), /issued in the future/);
    assertIatRefused(await call(s.url, { method: "DELETE", ...bearer(future) }), /issued in the future/);
    assertIatRefused(await call(s.url, jsonBody({ token: future })), /issued in the future/);
    // An RFC 8693 form answers an invalid subject token 400 (§2.2.2), as for every JWT failure.
    const form = await call(s.url, rfc8693(future));
    assert.deepEqual([form.status, form.body.error], [400, "invalid_request"]);
    assert.deepEqual(await s.counts(), before);
    assert.equal(logs.events("token_exchange").at(-1)?.outcome, "ERR_JWT_IAT_INVALID");
  });

  test("not a time (1e13, 1e308, -1e13, a string, null): 401 ERR_JWT_IAT_INVALID, never a 500, and no error-level line", async () => {
    const cases: [unknown, RegExp][] = [
      [1e13, /issued in the future/],
      [1e308, /issued in the future/],
      [-1e13, /not a time/],
      [-1, /not a time/],
      ["2024-01-01", /not a time/],
      [null, /not a time/],
    ];
    for (const [iat, description] of cases) assertIatRefused(await call(s.url, bearer(withIat(iat))), description);
    const lines = logs.events("token_exchange").slice(-cases.length);
    assert.deepEqual(lines.map((l) => [l.level, l.outcome, l.status]), cases.map(() => ["info", "ERR_JWT_IAT_INVALID", 401]));
    assert.equal(logs.events("token_exchange").filter((l) => l.level === "error").length, 0);
  });

  test("ahead within the 5 s clock tolerance: exchanged; its own sign out everywhere, recorded no earlier than its iat, then refuses it", async () => {
    const ahead = withIat(nowS() + 3, "auth0|iat-ok");
    const r = await call(s.url, bearer(ahead));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    logs.forbid(r.body.secret as string);
    assert.equal((await call(s.url, { method: "DELETE", ...bearer(ahead) })).status, 200);
    assert.equal(await working(s, [r.body.secret as string]), 0);
    assert.equal((await call(s.url, bearer(ahead))).status, 401, "issued (by its iat) at or before the sign-out");
  });
});
