/**
 * Sign out everywhere on the emulator's cluster profile (issues 17.2, 18.1, 18.4):
 * transactions overlap and are validated at commit, and a deleted token keeps
 * authenticating for the credential cache's window (`authCacheMs`, by the emulator's clock).
 * The review's race: once the DELETE has answered and the window has passed, no delivered
 * secret works (inside the window, revoked ones still do: the window is there, and it is
 * passed, not assumed away); the same JWT is refused at once (the sign-out is no cached
 * credential). Revocation completes while the same user keeps signing in, or says it did not.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call, type Reply } from "./support/http-client.ts";
import { delivered, race, working } from "./support/sign-out-race.ts";
import { credentialWindowMs, passCredentialWindow } from "./support/credential-window.ts";
import { revokeUserTokens } from "../lib/core/revoke.ts";

const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

const WINDOW_MS = 5_000;

describe("sign out everywhere on a cluster", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({
      users: ["auth0|racer-0", "auth0|racer-1", "auth0|racer-2", "auth0|busy"],
      target: { profile: "cluster", authCacheMs: WINDOW_MS },
    });
  });
  after(() => s.close());

  test("revocation while the same user keeps signing in: complete, or complete: false said honestly; the old secrets end, the new ones are spared", async (t) => {
    if (!emulatorOnly(t, s.target, "the cluster profile")) return;
    const old = s.issuer.mint({ sub: "auth0|busy" });
    logs.forbid(old);
    const oldReplies: Reply[] = [];
    for (let i = 0; i < 15; i++) oldReplies.push(await call(s.url, bearer(old)));
    // Issued after the sign-out below: 5 s ahead, the most the verification tolerates. This
    // test runs first, while the database's clock is still this machine's (the race below moves
    // it ahead to pass the credential window).
    const fresh = s.issuer.mint({ sub: "auth0|busy", iat: Math.floor(Date.now() / 1000) + 5 });
    logs.forbid(fresh);
    const freshReplies: Reply[] = [];
    let stop = false;
    // Four devices signing in again and again, concurrently with the revocation.
    const devices = Array.from({ length: 4 }, async () => {
      while (!stop) freshReplies.push(await call(s.url, bearer(fresh)));
    });
    await new Promise((r) => setTimeout(r, 50));
    let result = await revokeUserTokens(s.exchange.client, "auth0|busy", { usersIndex: s.config.usersIndex, batchSize: 4, timeBudgetMs: 6000 });
    let calls = 1;
    // complete: false is an answer, not a failure: the caller repeats (the client does).
    while (result.workRemaining && calls < 5) {
      result = await revokeUserTokens(s.exchange.client, "auth0|busy", { usersIndex: s.config.usersIndex, batchSize: 4, timeBudgetMs: 6000 });
      calls++;
    }
    stop = true;
    await Promise.all(devices);
    t.diagnostic(`revocation calls: ${calls}; sign-ins meanwhile: ${freshReplies.length} (${freshReplies.filter((r) => r.status !== 200).length} not 200)`);
    assert.equal(result.workRemaining, false, JSON.stringify(result));
    for (const r of freshReplies) assert.ok(r.status === 200 || r.status === 503, `${r.status} ${JSON.stringify(r.body)}`);
    const oldSecrets = delivered(oldReplies);
    const freshSecrets = delivered(freshReplies);
    logs.forbid(...oldSecrets, ...freshSecrets);
    await passCredentialWindow(s.target);
    assert.equal(await working(s, oldSecrets), 0);
    assert.ok(freshSecrets.length > 0);
    // The newest sign-ins after the revocation are alive (the bound keeps at most 20).
    const newest = await call(s.url, bearer(fresh));
    assert.equal(newest.status, 200);
    logs.forbid(newest.body.secret as string);
    assert.equal(await working(s, [newest.body.secret as string]), 1);
  });

  test("50 exchanges over 20 ms, a DELETE 8 ms in: after it and the credential window, no delivered secret works; the JWT is refused at once", async (t) => {
    if (!emulatorOnly(t, s.target, "the cluster profile")) return;
    assert.equal(credentialWindowMs(s.target), WINDOW_MS);
    let insideWindow = 0;
    for (let trial = 0; trial < 3; trial++) {
      const jwt = s.issuer.mint({ sub: `auth0|racer-${trial}` });
      logs.forbid(jwt);
      const { posts, del } = await race(s, jwt);
      const secrets = delivered(posts);
      logs.forbid(...secrets);
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.equal(del.body.complete, true);
      // Each exchange either was delivered, refused as signed out, or lost to contention (503).
      for (const r of posts) {
        if (r.status === 401) assert.match(r.body.error_description as string, /signed out; sign in again/);
        else assert.ok(r.status === 200 || r.status === 503, `${r.status} ${JSON.stringify(r.body)}`);
      }
      // The same JWT, now: refused at once, whatever the credential cache holds.
      const after = await call(s.url, bearer(jwt));
      assert.equal(after.status, 401, JSON.stringify(after.body));
      insideWindow += await working(s, secrets);
      await passCredentialWindow(s.target);
      assert.equal(await working(s, secrets), 0, `trial ${trial}: ${secrets.length} delivered, ${String(del.body.revoked)} revoked`);
      t.diagnostic(`trial ${trial}: ${secrets.length} delivered, ${posts.filter((r) => r.status === 401).length} refused as signed out, ${posts.filter((r) => r.status === 503).length} × 503`);
    }
    assert.ok(insideWindow > 0, "inside the window revoked secrets still worked: the window is real, and the test passes it");
  });
});
