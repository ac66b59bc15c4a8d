/**
 * Sign out everywhere holds (issue 17.2): DELETE /api/token records the sign-out with its
 * first batch, and the exchange refuses every JWT issued at or before it (401,
 * ERR_JWT_SIGNED_OUT), so neither a race nor the same JWT afterwards brings a secret back;
 * a new sign-in is spared while the revocation runs. Over real HTTP, the real driver and
 * the emulator (its default profile; test/cluster-*.test.ts for the cluster's).
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import jwt from "jsonwebtoken";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call, type Reply } from "./support/http-client.ts";
import { delivered, race, working } from "./support/sign-out-race.ts";
import { revokeUserTokens } from "../lib/core/revoke.ts";
import { LEDGER_BY_USER_INDEX, SIGN_OUTS_BY_USER_INDEX } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;

const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Until the clock is in the next whole second: a JWT minted then has an `iat` after anything before. */
const nextSecond = () => wait(1000 - (Date.now() % 1000) + 5);

/** The secrets of the 200 answers that FaunaDB still accepts. */
async function stillWorking(s: Stack, replies: Reply[]): Promise<number> {
  const secrets = delivered(replies);
  logs.forbid(...secrets);
  return working(s, secrets);
}

function assertSignedOut(r: Reply): void {
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.equal(r.body.error, "invalid_token");
  assert.match(r.body.error_description as string, /signed out; sign in again/);
  assert.match(r.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token", error_description=".*signed out; sign in again/);
}

describe("sign out everywhere cannot be outrun", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: ["auth0|racer-0", "auth0|racer-1", "auth0|racer-2", "auth0|again", "auth0|busy", "auth0|no-iat"] });
  });
  after(() => s.close());

  test("50 exchanges over 20 ms with a DELETE 8 ms in: once it has answered, no delivered secret works (3 trials)", async () => {
    for (let trial = 0; trial < 3; trial++) {
      const jwt = s.issuer.mint({ sub: `auth0|racer-${trial}` });
      logs.forbid(jwt);
      const { posts, del } = await race(s, jwt);
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.equal(del.body.complete, true);
      for (const r of posts) if (r.status !== 200) assertSignedOut(r);
      const delivered = posts.filter((r) => r.status === 200).length;
      assert.equal(await stillWorking(s, posts), 0, `trial ${trial}: ${delivered} delivered, revoked ${String(del.body.revoked)}`);
    }
  });

  test("after a completed DELETE the same JWT is refused (401 ERR_JWT_SIGNED_OUT); a new sign-in is not", async () => {
    const jwt = s.issuer.mint({ sub: "auth0|again" });
    logs.forbid(jwt);
    const first = await call(s.url, bearer(jwt));
    assert.equal(first.status, 200);
    const del = await call(s.url, { method: "DELETE", ...bearer(jwt) });
    assert.deepEqual(del.body, { revoked: 1, complete: true });
    assertSignedOut(await call(s.url, bearer(jwt)));
    assert.match(logs.text(), /"event":"token_exchange".*"outcome":"ERR_JWT_SIGNED_OUT","status":401/);
    // DELETE with it again still works (repeat until complete), and revokes nothing more.
    assert.deepEqual((await call(s.url, { method: "DELETE", ...bearer(jwt) })).body, { revoked: 0, complete: true });
    // A JWT issued after the sign-out: the user signed in again.
    await nextSecond();
    const again = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|again" })));
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(await stillWorking(s, [first, again]), 1);
  });

  test("a JWT without iat: exchanged while the user never signed out, refused once they have", async () => {
    const now = Math.floor(Date.now() / 1000);
    const key = s.issuer.currentKey;
    const noIat = jwt.sign({ iss: s.issuer.issuer, sub: "auth0|no-iat", aud: s.issuer.audience, exp: now + 600 }, key.privateKey, {
      algorithm: "RS256",
      noTimestamp: true,
      keyid: key.kid,
    });
    logs.forbid(noIat);
    assert.equal(JSON.parse(Buffer.from(noIat.split(".")[1]!, "base64url").toString()).iat, undefined);
    const before = await call(s.url, bearer(noIat));
    assert.equal(before.status, 200, JSON.stringify(before.body));
    const del = await call(s.url, { method: "DELETE", ...bearer(noIat) });
    assert.equal(del.status, 200);
    assertSignedOut(await call(s.url, bearer(noIat)));
    assert.equal(await stillWorking(s, [before]), 0);
  });

  test("revocation completes while the same user keeps signing in; the new sign-ins are spared", async () => {
    const old = s.issuer.mint({ sub: "auth0|busy" });
    logs.forbid(old);
    const oldSecrets: Reply[] = [];
    for (let i = 0; i < 30; i++) oldSecrets.push(await call(s.url, bearer(old)));
    // The same user on another device, signing in again and again with a JWT issued after
    // the sign-out below (those that commit before it is recorded are revoked with the rest).
    const fresh = s.issuer.mint({ sub: "auth0|busy", iat: Math.floor(Date.now() / 1000) + 5 });
    logs.forbid(fresh);
    const freshSecrets: Reply[] = [];
    let stop = false;
    const signingIn = (async () => {
      while (!stop) freshSecrets.push(await call(s.url, bearer(fresh)));
    })();
    await wait(20);
    // Batches of 4: the revocation pages on while new entries keep arriving.
    const result = await revokeUserTokens(s.exchange.client, "auth0|busy", { usersIndex: s.config.usersIndex, batchSize: 4, timeBudgetMs: 5000 });
    const ended = await s.admin.query<number>(q.ToMillis(q.Now()));
    stop = true;
    await signingIn;
    assert.equal(result.workRemaining, false, JSON.stringify(result));
    assert.ok(freshSecrets.every((r) => r.status === 200), JSON.stringify(freshSecrets.find((r) => r.status !== 200)?.body));
    assert.equal(await stillWorking(s, oldSecrets), 0);

    // What is left of the user's ledger: only sign-ins that saw this sign-out, their tokens
    // alive, some of them issued while the revocation ran.
    const user = await s.admin.query(q.Select(["data", 0], q.Paginate(q.Match(q.Index(s.config.usersIndex), "auth0|busy"))));
    const left = await s.admin.query<{ signedOut: number; entries: { issued: number; seen: number | null; live: boolean }[] }>({
      signedOut: q.ToMillis(q.Select(["data", 0, 0], q.Paginate(q.Match(q.Index(SIGN_OUTS_BY_USER_INDEX), user)))),
      entries: q.Select(
        "data",
        q.Map(
          q.Paginate(q.Match(q.Index(LEDGER_BY_USER_INDEX), user), { size: 1000 }),
          q.Lambda(
            ["token", "entry"],
            q.Let(
              { d: q.Get(q.Var("entry")) },
              {
                issued: q.ToMillis(q.Select(["data", "issued_at"], q.Var("d"))),
                seen: q.If(q.ContainsPath(["data", "after_sign_out"], q.Var("d")), q.ToMillis(q.Select(["data", "after_sign_out"], q.Var("d"))), null),
                live: q.Exists(q.Var("token")),
              },
            ),
          ),
        ),
      ),
    });
    assert.ok(left.entries.length > 0);
    for (const e of left.entries) assert.deepEqual([e.seen, e.live], [left.signedOut, true]);
    assert.ok(left.entries.some((e) => e.issued < ended), "a sign-in issued during the revocation was spared");
  });
});
