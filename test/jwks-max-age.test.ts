/**
 * Key withdrawal with Auth0's rotation (issue 17): the JWKS lists the current and the next
 * key, tokens move to the next one, which is already cached, and the old one is withdrawn.
 * Whichever kid the traffic uses, the withdrawn key must be refused within the max age of
 * leaving the JWKS, without any request waiting on the refresh that finds it gone, and
 * even when that refresh was frozen with its serverless instance. And a JWKS fetch runs on
 * its own timeout: a request with a moment left cannot make it fail for everyone.
 *
 * A real JWKS over HTTP (the dev issuer) and real signatures; the key cache runs on a
 * clock of the test's own, so that minutes pass when a test says so.
 */
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startDevIssuer, type DevIssuer, type DevKey } from "../lib/dev/issuer.ts";
import { createJwtVerifier, type JwtVerifierOptions } from "../lib/core/identity/jwt.ts";
import { IdentityProviderUnavailable, JwksNoMatchingKey } from "../lib/core/errors/index.ts";
import { Deadline } from "../lib/core/deadline.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { startStack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";

const S = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for `done`, 2 s at most: a test whose condition never comes must fail, not hang. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (const end = Date.now() + 2000; !done(); await sleep(5)) if (Date.now() > end) assert.fail(`never happened: ${what}`);
}
const logs = captureLogs();

let idp: DevIssuer;
let clock = Date.now();
before(async () => {
  idp = await startDevIssuer();
});
after(closeThenCheck(logs, () => idp?.close()));
// A test that fails half-way must not leave the next one a slow or failing JWKS.
afterEach(() => {
  idp.setJwksDelay(0);
  idp.setUnavailable(false);
});

function verifierOn(opts: JwtVerifierOptions = {}) {
  return createJwtVerifier(
    { issuer: idp.issuer, jwksUri: idp.jwksUri, audiences: [idp.audience], algorithms: ["RS256"] },
    { now: () => clock, ...opts },
  );
}

/** Auth0's rotation up to the revocation: the next key published beside the current one, tokens signed with it. */
function rotateToPublishedNextKey(): { old: DevKey; next: DevKey } {
  const old = idp.currentKey;
  const next = idp.rotate();
  return { old, next };
}

const rejectsWith = (cls: new (...a: never[]) => Error, code?: string) => (e: unknown) => {
  assert.ok(e instanceof cls, String(e));
  if (code !== undefined) assert.deepEqual((e as IdentityProviderUnavailable).cause, { code });
  return true;
};

describe("a withdrawn key dies within the max age (default 60 s)", () => {
  test("though the traffic only uses the next key, already cached: refreshed ahead, nobody waiting", async () => {
    clock = Date.now();
    const v = verifierOn();
    const old = idp.currentKey;
    const next = idp.createKey();
    idp.publish(next); // Auth0 publishes the next key ahead of the rotation
    await v.verify(idp.mint({ sub: "u", key: old })); // the set: old and next
    idp.resetJwksFetches();
    // The rotation: tokens are signed with the next key, which the set already holds...
    for (let t = 0; t < 29; t += 7) {
      clock += 7 * S;
      await v.verify(idp.mint({ sub: "u", key: next }));
    }
    assert.equal(idp.jwksFetches, 0, "a fresh set holding the kid is not refetched");
    // ...and then the old key is withdrawn (Auth0's "revoke").
    idp.unpublish(old.kid);
    const withdrawnAt = clock;
    // Past half the max age, the answer comes from the set at once, and a refresh starts
    // behind it. The JWKS answers slowly: the request must not wait for it.
    idp.setJwksDelay(1500);
    clock += 2 * S;
    const started = Date.now();
    await v.verify(idp.mint({ sub: "u", key: next }));
    assert.ok(Date.now() - started < 1500, "answered before the refresh could have come back");
    await sleep(1700);
    idp.setJwksDelay(0);
    assert.equal(idp.jwksFetches, 1, "one refresh, ahead of the expiry");
    // The refresh no longer lists the old key: refused from now on, well within the max age.
    assert.ok(clock - withdrawnAt < 60 * S);
    await assert.rejects(v.verify(idp.mint({ sub: "attacker", key: old })), rejectsWith(JwksNoMatchingKey));
    assert.equal((await v.verify(idp.mint({ sub: "u", key: next }))).sub, "u");
  });

  test("past the max age nothing is answered from the old set, even when the refresh ahead was frozen with its instance", async () => {
    clock = Date.now();
    const v = verifierOn({ jwksTimeoutMs: 400 });
    const { old, next } = rotateToPublishedNextKey();
    await v.verify(idp.mint({ sub: "u", key: next })); // the set: old and next
    // The refresh ahead is sent, and the instance is frozen before the answer comes (a
    // JWKS that never answers stands for it): the request is answered from the set.
    idp.setJwksDelay(Infinity);
    idp.resetJwksFetches();
    clock += 31 * S;
    await v.verify(idp.mint({ sub: "u", key: next }));
    await until(() => idp.jwksFetches === 1, "the refresh ahead reached the provider");
    idp.unpublish(old.kid);
    idp.setJwksDelay(0);
    // Thawed a minute later: the set is 91 s old, the refresh in flight is long overdue.
    clock += 60 * S;
    idp.resetJwksFetches();
    await assert.rejects(v.verify(idp.mint({ sub: "attacker", key: old })), rejectsWith(JwksNoMatchingKey));
    assert.equal(idp.jwksFetches, 1, "the lookup fetched afresh rather than wait on the frozen fetch");
    assert.equal((await v.verify(idp.mint({ sub: "u", key: next }))).sub, "u");
    // The frozen fetch ends on its own timeout later: it is nobody's failure, and puts
    // nobody into backoff.
    await sleep(600);
    assert.deepEqual(logs.events("jwks_fetch_failed"), []);
    const newer = idp.rotate();
    assert.equal((await v.verify(idp.mint({ sub: "u", key: newer }))).sub, "u");
  });

  test("during an outage the set serves until its max age, then 503: a withdrawn key is never trusted longer", async () => {
    clock = Date.now();
    const v = verifierOn({ jwksFailureBackoffMs: 10 });
    const { old } = rotateToPublishedNextKey();
    await v.verify(idp.mint({ sub: "u", key: old }));
    idp.setUnavailable(true);
    const failedBefore = logs.events("jwks_fetch_failed").length;
    try {
      clock += 40 * S;
      // The refresh ahead fails behind the answer: logged as the provider's, not this request's.
      assert.equal((await v.verify(idp.mint({ sub: "u", key: old }))).sub, "u");
      await sleep(100);
      const failed = logs.events("jwks_fetch_failed").slice(failedBefore);
      assert.equal(failed.length, 1);
      assert.equal(failed[0]!.background, true);
      assert.equal(failed[0]!.status, 503);
      clock += 19 * S;
      assert.equal((await v.verify(idp.mint({ sub: "u", key: old }))).sub, "u", "59 s: still within the max age");
      clock += 2 * S;
      await assert.rejects(v.verify(idp.mint({ sub: "u", key: old })), rejectsWith(IdentityProviderUnavailable));
    } finally {
      idp.setUnavailable(false);
    }
    clock += 1 * S;
    assert.equal((await v.verify(idp.mint({ sub: "u", key: old }))).sub, "u", "the provider is back: a fetch, then the key");
  });

  test("the cost: under steady traffic, two fetches a minute at the default max age", async () => {
    clock = Date.now();
    // A long fetch timeout: real milliseconds pass between the test's seconds.
    const v = verifierOn({ jwksTimeoutMs: 120 * S });
    await v.verify(idp.mint({ sub: "u" }));
    idp.resetJwksFetches();
    // A request a second for five minutes.
    for (let i = 0; i < 300; i++) {
      clock += S;
      await v.verify(idp.mint({ sub: "u" }));
      await sleep(2);
    }
    await sleep(50);
    assert.ok(idp.jwksFetches >= 9 && idp.jwksFetches <= 10, `${idp.jwksFetches} fetches in 5 minutes`);
  });

  test("JWKS_MAX_AGE_SECONDS sets it, through the environment and the HTTP function", async () => {
    clock = Date.now();
    const s = await startStack({ users: ["auth0|known"], env: { JWKS_MAX_AGE_SECONDS: "10" }, jwtOptions: { now: () => clock } });
    try {
      const old = s.issuer.currentKey;
      const next = s.issuer.createKey();
      s.issuer.publish(next);
      const first = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|known", key: old })));
      assert.equal(first.status, 200, JSON.stringify(first.body));
      logs.forbid(first.body.secret as string);
      s.issuer.unpublish(old.kid);
      clock += 11 * S;
      const refused = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|known", key: old })));
      if (typeof refused.body.secret === "string") logs.forbid(refused.body.secret);
      assert.equal(refused.status, 401, `the withdrawn key was accepted: ${refused.status}`);
      assert.equal(refused.body.error, "invalid_token");
      const ok = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|known", key: next })));
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      logs.forbid(ok.body.secret as string);
    } finally {
      await s.close();
    }
  });
});

describe("a JWKS fetch has its own timeout, never a caller's leftover", () => {
  test("a request with 1 ms left starts the shared fetch, gives up alone, and puts nobody into backoff", async () => {
    clock = Date.now();
    const v = verifierOn();
    idp.setJwksDelay(300);
    idp.resetJwksFetches();
    const failedBefore = logs.events("jwks_fetch_failed").length;
    try {
      await assert.rejects(
        v.verify(idp.mint({ sub: "late" }), { deadline: Deadline.after(1) }),
        rejectsWith(IdentityProviderUnavailable, "request_deadline"),
      );
      // Another request, right behind it: the fetch is still running, on its own timeout.
      assert.equal((await v.verify(idp.mint({ sub: "on-time" }), { deadline: Deadline.after(5 * S) })).sub, "on-time");
    } finally {
      idp.setJwksDelay(0);
    }
    assert.equal(idp.jwksFetches, 1, "one fetch, shared");
    assert.equal(logs.events("jwks_fetch_failed").length, failedBefore, "the identity provider did not fail");
  });
});
