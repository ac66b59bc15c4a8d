/**
 * Sign out everywhere for a user who has no user document yet (the review of main, 1):
 * with CREATE_MISSING_USERS=true an exchange may still create the user, so DELETE creates it
 * (the unique users index serializes that against a concurrent first exchange) and records
 * the sign-out in the same transaction; it never answers `complete: true` without one. With
 * CREATE_MISSING_USERS off no exchange can issue for an unknown `sub`: nothing is recorded,
 * and the answer is today's. Over real HTTP, the real driver, on both of the emulator's
 * profiles; the review's race (50 first exchanges over 20 ms, a DELETE 2 ms in) on the
 * cluster profile, where transactions overlap and are validated at commit.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly, type TargetProfile } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { closeThenCheck, captureLogs } from "./support/log-capture.ts";
import { bearer, call } from "./support/http-client.ts";
import { delivered, race, working } from "./support/sign-out-race.ts";
import { passCredentialWindow } from "./support/credential-window.ts";
import { revokeUserTokens } from "../lib/core/revoke.ts";
import { SIGN_OUTS_BY_USER_INDEX } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;
const logs = captureLogs();
const stacks: Stack[] = [];
after(closeThenCheck(logs, () => Promise.all(stacks.map((s) => s.close()))));

const CREATING = { CREATE_MISSING_USERS: "true" };
const PROFILES: [string, TargetProfile | undefined][] = [
  ["the default profile", undefined],
  ["the cluster profile", { profile: "cluster", authCacheMs: 5_000 }],
];

/** The user's ref and the number of sign-outs recorded for it (null: no user document). */
async function recorded(s: Stack, sub: string): Promise<number | null> {
  return s.admin.query<number | null>(
    q.Let(
      { user: q.Select(["data", 0], q.Paginate(q.Match(q.Index(s.config.usersIndex), sub)), null) },
      q.If(q.IsNull(q.Var("user")), null, q.Count(q.Match(q.Index(SIGN_OUTS_BY_USER_INDEX), q.Var("user")))),
    ),
  );
}

for (const [name, target] of PROFILES) {
  describe(`sign out everywhere before the first sign-in, on ${name}`, () => {
    let s: Stack;
    let strict: Stack;
    before(async () => {
      s = await startStack({ env: CREATING, ...(target ? { target } : {}) });
      strict = await startStack(target ? { target } : {});
      stacks.push(s, strict);
    });

    test("CREATE_MISSING_USERS=true: DELETE for a sub that never exchanged creates the user and records the sign-out; the same JWT is then refused", async () => {
      const jwt = s.issuer.mint({ sub: "auth0|first-delete" });
      logs.forbid(jwt);
      const del = await call(s.url, { method: "DELETE", ...bearer(jwt) });
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.deepEqual(del.body, { revoked: 0, complete: true });
      assert.equal(await recorded(s, "auth0|first-delete"), 1, "a user document with one sign-out");
      assert.equal(logs.events("token_revoke").at(-1)?.user_created, true);
      const after = await call(s.url, bearer(jwt));
      assert.equal(after.status, 401, JSON.stringify(after.body));
      assert.match(after.body.error_description as string, /signed out; sign in again/);
    });

    test("CREATE_MISSING_USERS=true: revokeUserTokens records the sign-out too, and says it created the user", async () => {
      const o = { usersIndex: s.config.usersIndex, usersCollection: s.config.usersCollection, createMissingUsers: true };
      const r = await revokeUserTokens(s.exchange.client, "auth0|first-revoke", o);
      assert.deepEqual(r, { revoked: 0, ledgerEntriesDeleted: 0, userFound: false, userCreated: true, workRemaining: false });
      assert.equal(await recorded(s, "auth0|first-revoke"), 1);
      // Again: the user is found now, and the sign-out replaced (one record per user).
      assert.deepEqual(await revokeUserTokens(s.exchange.client, "auth0|first-revoke", o), { ...r, userFound: true, userCreated: false });
      assert.equal(await recorded(s, "auth0|first-revoke"), 1);
    });

    test("CREATE_MISSING_USERS=true: a DELETE that loses the unique-index race to a first exchange is sent again and signs out the winner's user", async (t) => {
      const emulator = emulatorOnly(t, s.target, "fault injection");
      if (!emulator) return;
      const sub = "auth0|delete-loses";
      const jwt = s.issuer.mint({ sub });
      logs.forbid(jwt);
      // FaunaDB's answer to the loser: while its query ran, a first exchange created the user.
      emulator.faults.failQueries({
        count: 1,
        status: 400,
        code: "instance not unique",
        beforeRefusing: () => s.admin.query(q.Create(q.Collection(s.config.usersCollection), { data: { auth0_id: sub } })),
      });
      const del = await call(s.url, { method: "DELETE", ...bearer(jwt) });
      emulator.faults.clear();
      assert.deepEqual([del.status, del.body], [200, { revoked: 0, complete: true }]);
      assert.equal(logs.events("token_revoke").at(-1)?.user_created, undefined, "the retry found the winner's user");
      assert.equal(await recorded(s, sub), 1);
      assert.equal((await call(s.url, bearer(jwt))).status, 401);
    });

    test("CREATE_MISSING_USERS off: an unknown sub has nothing to revoke, no exchange can issue for it, and nothing is written", async () => {
      const jwt = strict.issuer.mint({ sub: "auth0|never" });
      logs.forbid(jwt);
      const del = await call(strict.url, { method: "DELETE", ...bearer(jwt) });
      assert.deepEqual([del.status, del.body], [200, { revoked: 0, complete: true }]);
      assert.equal(await recorded(strict, "auth0|never"), null, "no user document created");
      assert.equal((await call(strict.url, bearer(jwt))).status, 403);
    });
  });
}

describe("the review's race on a first sign-in, on the cluster profile", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ env: CREATING, target: { profile: "cluster", authCacheMs: 5_000 } });
    stacks.push(s);
  });

  test("50 first exchanges over 20 ms, a DELETE 2 ms in (fresh sub, 5 trials): after it and the credential window no delivered secret works", async (t) => {
    if (!emulatorOnly(t, s.target, "the cluster profile")) return;
    for (let trial = 0; trial < 5; trial++) {
      const sub = `auth0|fresh-${trial}`;
      const jwt = s.issuer.mint({ sub });
      logs.forbid(jwt);
      const { posts, del } = await race(s, jwt, { n: 50, spreadMs: 20, deleteAtMs: 2 });
      const secrets = delivered(posts);
      logs.forbid(...secrets);
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.equal(del.body.complete, true);
      assert.equal(await recorded(s, sub), 1, "complete: true with a recorded sign-out");
      for (const r of posts) {
        if (r.status === 401) assert.match(r.body.error_description as string, /signed out; sign in again/);
        else assert.ok(r.status === 200 || r.status === 503, `${r.status} ${JSON.stringify(r.body)}`);
      }
      assert.equal((await call(s.url, bearer(jwt))).status, 401, "the same JWT, after the DELETE");
      await passCredentialWindow(s.target);
      assert.equal(await working(s, secrets), 0, `trial ${trial}: ${secrets.length} delivered, ${String(del.body.revoked)} revoked`);
      const created = logs.events("token_revoke").at(-1)?.user_created === true;
      t.diagnostic(`trial ${trial}: ${secrets.length} delivered, ${posts.filter((r) => r.status === 401).length} refused as signed out, user created by ${created ? "the DELETE" : "an exchange"}`);
    }
  });
});
