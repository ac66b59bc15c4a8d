/**
 * The browser client's secret source, run in Node against the served exchange
 * and the database: one exchange for many callers, renewal at the margin, the
 * endpoint's refusals as typed errors, Retry-After honoured, and both ways of
 * signing out checked by what FaunaDB then answers.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startStack, type Stack } from "./support/stack.ts";
import { harness, renew } from "./support/client-harness.ts";
import {
  AccessDenied,
  ExchangeError,
  SignInRequired,
  TemporarilyUnavailable,
  createSecretSource,
  failedStep,
  parseRetryAfter,
} from "../client/src/index.ts";

const q = faunadb.query;
const unauthorized = (e: Error) => e.name === "Unauthorized";

/** What FaunaDB says about a secret: the id of its token, or a refusal. */
function tokenOf(s: Stack, secret: string): Promise<string> {
  return s.target.client(secret).query<faunadb.values.Ref>(q.CurrentToken()).then((r) => r.id);
}

describe("getSecret", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: ["auth0|alice"] });
  });
  after(() => s.close());

  test("exchanges once for concurrent callers, then serves the cached secret", async () => {
    const h = harness(s);
    const ledgerBefore = (await s.counts()).ledger;
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => h.source.getSecret()));
    assert.equal(h.exchanges(), 1);
    assert.equal(new Set(all.map((x) => x.secret)).size, 1);
    assert.equal(all[0], await h.source.getSecret());
    assert.equal(h.exchanges(), 1);
    assert.equal((await s.counts()).ledger, ledgerBefore + 1);
    await tokenOf(s, all[0]!.secret);
    // Counted from before the request by the source's own clock: never later than the server's expiry.
    const lifetime = all[0]!.expiresAt.getTime() - h.now;
    assert.ok(lifetime <= 3600_000 && lifetime >= 3500_000, String(lifetime));
    assert.equal(lifetime % 1000, 0);
  });

  test("renews refreshMarginSeconds before expiry, not earlier; the due secret serves meanwhile", async () => {
    const h = harness(s, { refreshMarginSeconds: 120 });
    const first = await h.source.getSecret();
    h.now = first.expiresAt.getTime() - 120_001;
    assert.equal(await h.source.getSecret(), first);
    assert.equal(h.exchanges(), 1);
    const second = await renew(h, first, 120_000);
    assert.notEqual(second.secret, first.secret);
    assert.equal(h.exchanges(), 2);
    await tokenOf(s, second.secret);
  });

  test("a secret living less than twice the margin is renewed halfway", async () => {
    const h = harness(s, { jwtLifetime: 30 });
    const first = await h.source.getSecret();
    const life = first.expiresAt.getTime() - h.now;
    assert.ok(life > 20_000 && life <= 30_000, String(life));
    h.now += life / 2 - 1;
    assert.equal(await h.source.getSecret(), first);
    assert.equal(h.exchanges(), 1);
    assert.notEqual((await renew(h, first, life / 2)).secret, first.secret);
    assert.equal(h.exchanges(), 2);
  });

  test("invalidate(secret) forgets only that secret; invalidate() also drops an exchange in flight", async () => {
    const h = harness(s);
    const first = await h.source.getSecret();
    h.source.invalidate("fnEsome-other-secret");
    assert.equal(await h.source.getSecret(), first);
    h.source.invalidate(first.secret);
    const second = await h.source.getSecret();
    assert.notEqual(second.secret, first.secret);

    h.source.invalidate();
    const inFlight = h.source.getSecret();
    h.source.invalidate();
    const third = await inFlight;
    const fourth = await h.source.getSecret();
    assert.notEqual(fourth.secret, third.secret, "the secret of an exchange started before invalidate() is not cached");
    assert.equal(h.exchanges(), 4);
  });

  test("a failing getAccessToken rejects as it failed and leaves nothing behind", async () => {
    let fail = true;
    const thrown = Object.assign(new Error("Login required"), { error: "login_required" });
    const source = createSecretSource({
      tokenUrl: s.url,
      getAccessToken: () => {
        if (fail) throw thrown;
        return s.issuer.mint({ sub: "auth0|alice" });
      },
    });
    await assert.rejects(source.getSecret(), (e: unknown) => {
      // The very error, not a wrapper; the step it came from noted beside it.
      assert.equal(e, thrown);
      assert.equal(failedStep(e), "identity-provider");
      return true;
    });
    fail = false;
    await tokenOf(s, (await source.getSecret()).secret);
  });
});

describe("the endpoint's refusals", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: ["auth0|alice"] });
  });
  after(() => s.close());

  test("401: SignInRequired with the OAuth error and status; nothing is cached", async () => {
    const h = harness(s, { jwtLifetime: -60 });
    await assert.rejects(h.source.getSecret(), (e: unknown) => {
      assert.ok(e instanceof SignInRequired && e instanceof ExchangeError);
      assert.equal(failedStep(e), "token-endpoint");
      assert.equal(e.code, "ERR_SIGN_IN_REQUIRED");
      assert.equal(e.status, 401);
      assert.equal(e.error, "invalid_token");
      assert.match(e.message, /expired/);
      return true;
    });
    await assert.rejects(h.source.getSecret(), SignInRequired);
    assert.equal(h.exchanges(), 2);
  });

  test("403: AccessDenied for a user the database does not know", async () => {
    const h = harness(s, { sub: "auth0|stranger" });
    await assert.rejects(h.source.getSecret(), (e: unknown) => {
      assert.ok(e instanceof AccessDenied);
      assert.deepEqual([e.code, e.status, e.error], ["ERR_ACCESS_DENIED", 403, "access_denied"]);
      return true;
    });
  });

  test("503: TemporarilyUnavailable with Retry-After, and no request before it has passed", async () => {
    // A fresh stack: its JWKS has never been fetched, so an identity-provider outage is a 503.
    const fresh = await startStack({ users: ["auth0|alice"] });
    try {
      const h = harness(fresh);
      fresh.issuer.setUnavailable(true);
      await assert.rejects(h.source.getSecret(), (e: unknown) => {
        assert.ok(e instanceof TemporarilyUnavailable);
        assert.deepEqual([e.code, e.status, e.error, e.retryAfter], ["ERR_TEMPORARILY_UNAVAILABLE", 503, "temporarily_unavailable", 2]);
        return true;
      });
      assert.equal(h.exchanges(), 1);
      h.now += 1500;
      await assert.rejects(h.source.getSecret(), (e: unknown) => e instanceof TemporarilyUnavailable && e.retryAfter === 1);
      assert.equal(h.exchanges(), 1, "asked again before Retry-After");
      fresh.issuer.setUnavailable(false);
      h.now += 500;
      // The endpoint itself waits 1 s after a failed JWKS fetch; that is its business, not ours.
      let secret: string | undefined;
      for (let i = 0; i < 50 && !secret; i++) {
        secret = await h.source.getSecret().then(
          (x) => x.secret,
          async () => {
            h.now += 2000;
            await new Promise((r) => setTimeout(r, 100));
            return undefined;
          },
        );
      }
      assert.ok(secret);
      await tokenOf(fresh, secret);
    } finally {
      await fresh.close();
    }
  });

  test("parseRetryAfter: seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    assert.equal(parseRetryAfter("7", now), 7);
    assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", now), 5);
    assert.equal(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now), 0);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter(null, now), undefined);
  });
});

describe("signOut", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: ["auth0|alice", "auth0|bob"] });
  });
  after(() => s.close());

  test("signOut() logs this secret out at FaunaDB and forgets it; the user's other secrets live on", async () => {
    const phone = harness(s);
    const laptop = harness(s);
    const a = await phone.source.getSecret();
    const b = await laptop.source.getSecret();
    assert.deepEqual(await phone.source.signOut(), { revoked: 1, complete: true });
    assert.ok(phone.requests.includes(`POST ${s.target.endpoint}`));
    await assert.rejects(tokenOf(s, a.secret), unauthorized);
    await tokenOf(s, b.secret);
    // Forgotten: the next getSecret exchanges anew, and a signOut with no secret ends nothing.
    const again = await phone.source.getSecret();
    assert.notEqual(again.secret, a.secret);
    assert.deepEqual(await phone.source.signOut(), { revoked: 1, complete: true });
    assert.deepEqual(await phone.source.signOut(), { revoked: 0, complete: true });
  });

  test("signOut({ everywhere: true }) ends every secret of the user, and only theirs", async () => {
    const phone = harness(s);
    const laptop = harness(s);
    const bob = harness(s, { sub: "auth0|bob" });
    const a = await phone.source.getSecret();
    const b = await laptop.source.getSecret();
    const c = await bob.source.getSecret();
    const result = await phone.source.signOut({ everywhere: true });
    assert.equal(result.complete, true);
    assert.ok(result.revoked >= 2, String(result.revoked));
    assert.deepEqual(phone.requests.slice(-1), [`DELETE ${s.url}`]);
    await assert.rejects(tokenOf(s, a.secret), unauthorized);
    await assert.rejects(tokenOf(s, b.secret), unauthorized);
    await tokenOf(s, c.secret);
    // The laptop still holds its refused secret until FaunaDB says no (see faunaQuery).
    assert.equal((await laptop.source.getSecret()).secret, b.secret);
  });

  test("signOut() without faunaEndpoint is a usage error", async () => {
    const source = createSecretSource({ getAccessToken: () => "x" });
    await assert.rejects(source.signOut(), TypeError);
  });
});
