/**
 * The cleanup and revocation on secrets issued by the real exchange over HTTP (not by
 * the fixtures' FQL), so a drift between what the exchange writes and what the cleanup
 * reads fails here.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";
import { deleteExpiredTokens } from "../lib/core/cleanup.ts";
import { revokeToken } from "../lib/core/revoke.ts";
import { readLedgerState, ledgerProblems, secretWorks } from "./cleanup-fixtures.ts";

const q = faunadb.query;
const MIN = 60_000;

describe("cleanup and revocation of secrets issued by the exchange", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: ["auth0|e2e-a", "auth0|e2e-b"] });
  });
  after(async () => {
    await s.close();
  });

  test("expired secrets are cleaned, live ones revoked by token and by DELETE /api/token", async (t) => {
    const emu = s.target.emulator;
    if (!emu) return t.skip("needs the emulator's clock");
    const server = s.target.client(s.target.serverSecret);
    const nowS = Math.floor(Date.now() / 1000);
    const issue = async (sub: string, lifetimeS: number): Promise<string> => {
      const res = await call(s.url, bearer(s.issuer.mint({ sub, exp: nowS + lifetimeS })));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.secret as string;
    };
    // The secret's expiry follows the JWT's exp: 5 minutes for these, 50 for the others.
    const short = [await issue("auth0|e2e-a", 300), await issue("auth0|e2e-a", 300), await issue("auth0|e2e-b", 300)];
    const longA = [await issue("auth0|e2e-a", 3000), await issue("auth0|e2e-a", 3000)];
    const longB = await issue("auth0|e2e-b", 3000);

    emu.clock.advance(10 * MIN);
    const summary = await deleteExpiredTokens(server, { log: () => undefined });
    assert.equal(summary.stoppedBy, "done");
    assert.equal(summary.ledgerEntriesDeleted, 3);
    // The exchange gives each token ttl = expires_at: FaunaDB already hides them.
    assert.equal(summary.tokensAlreadyGone, 3);
    assert.equal(summary.tokensDeleted, 0);
    for (const secret of short) assert.equal(await secretWorks(s.target.endpoint, secret), false);
    for (const secret of [...longA, longB]) assert.equal(await secretWorks(s.target.endpoint, secret), true);
    let state = await readLedgerState(server);
    assert.equal(state.entries.length, 3);
    assert.deepEqual(ledgerProblems(state), []);

    // Revoke one of A's secrets by its token (as `npm run revoke -- --token` does).
    const tokenOfLongA0 = (await s.target.client(longA[0]!).query(q.CurrentToken())) as faunadb.values.Ref;
    assert.deepEqual(await revokeToken(server, tokenOfLongA0.id), { revoked: 1, ledgerEntriesDeleted: 1 });
    assert.equal(await secretWorks(s.target.endpoint, longA[0]!), false);
    assert.equal(await secretWorks(s.target.endpoint, longA[1]!), true);

    // "Sign out everywhere" with A's own JWT.
    const res = await call(s.url, { method: "DELETE", ...bearer(s.issuer.mint({ sub: "auth0|e2e-a" })) });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { revoked: 1, complete: true });
    assert.equal(await secretWorks(s.target.endpoint, longA[1]!), false);
    assert.equal(await secretWorks(s.target.endpoint, longB), true);
    state = await readLedgerState(server);
    assert.equal(state.entries.length, 1);
    assert.deepEqual(ledgerProblems(state), []);
  });

  test("a token whose ttl someone extended is deleted once its ledger entry (its JWT) has expired: no secret outlives its JWT", async (t) => {
    const emu = s.target.emulator;
    if (!emu) return t.skip("needs the emulator's clock");
    const server = s.target.client(s.target.serverSecret);
    const now = await server.query<number>(q.ToMillis(q.Now()));
    const res = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|e2e-b", exp: Math.floor(now / 1000) + 300 })));
    const secret = res.body.secret as string;
    const token = await s.target.client(secret).query<faunadb.values.Ref>(q.CurrentToken());
    await server.query(q.Update(token, { ttl: q.TimeAdd(q.Now(), 1, "day") }));
    emu.clock.advance(10 * MIN);
    assert.equal(await secretWorks(s.target.endpoint, secret), true, "the extended ttl holds until the cleanup runs");
    const summary = await deleteExpiredTokens(server, { log: () => undefined });
    assert.deepEqual([summary.ledgerEntriesDeleted, summary.tokensDeleted], [1, 1]);
    assert.equal(await secretWorks(s.target.endpoint, secret), false);
  });
});
