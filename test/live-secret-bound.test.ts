/**
 * The live-secret bound is exact whatever the padding, at index cost (issue 17.4): it
 * counts the user's live tokens through the index over Tokens(), which FaunaDB keeps exact,
 * so secrets that expired or were logged out in between can neither hide live ones nor
 * count as live; and an exchange reads at most 2 documents (the evicted token and its
 * ledger entry) however many live secrets the user holds. The client's renewal freeing a
 * slot is test/client-renewal.test.ts's "renewals leave the live-secret bound to the
 * user's other devices".
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call } from "./support/http-client.ts";
import { issueTokens, secretWorks } from "./cleanup-fixtures.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

/** `n` exchanges of JWTs for `sub` that live `expiresIn` seconds, one after the other; their secrets. */
async function exchanges(s: Stack, sub: string, n: number, expiresIn = 3600): Promise<string[]> {
  const secrets: string[] = [];
  for (let i = 0; i < n; i++) {
    const jwt = s.issuer.mint({ sub, expiresIn });
    logs.forbid(jwt);
    const r = await call(s.url, bearer(jwt));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    logs.forbid(r.body.secret as string);
    secrets.push(r.body.secret as string);
  }
  return secrets;
}

async function working(s: Stack, secrets: string[]): Promise<boolean[]> {
  return Promise.all(secrets.map((secret) => secretWorks(s.target.endpoint, secret)));
}

describe("padding cannot take a user over MAX_LIVE_SECRETS_PER_USER (20)", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: ["auth0|pad-short", "auth0|pad-logout"] });
    assert.equal(s.config.maxLiveSecretsPerUser, 20);
  });
  after(() => s.close());

  test("with short-lived secrets in between: 20 working, the newest", async (t) => {
    const emu = emulatorOnly(t, s.target, "clock");
    if (!emu) return;
    // One below the bound, then 60 secrets that each die before the next exchange (the
    // review padded the scanned window so: nothing over the bound, so nothing evicted,
    // while the live ones slid out of sight), then as many live ones again.
    const first = await exchanges(s, "auth0|pad-short", 19);
    for (let i = 0; i < 60; i++) {
      await exchanges(s, "auth0|pad-short", 1, 3);
      emu.clock.advance(5_000);
    }
    const second = await exchanges(s, "auth0|pad-short", 19);
    const works = await working(s, [...first, ...second]);
    assert.equal(works.filter(Boolean).length, 20);
    assert.deepEqual(works.slice(19), Array(19).fill(true), "the newest are the ones alive");
  });

  test("with logged-out secrets in between (Logout from the secret itself): 20 working, the newest", async () => {
    const first = await exchanges(s, "auth0|pad-logout", 20);
    for (let i = 0; i < 60; i++) {
      const [secret] = await exchanges(s, "auth0|pad-logout", 1);
      assert.equal(await s.target.client(secret!).query(q.Logout(false)), true);
    }
    const second = await exchanges(s, "auth0|pad-logout", 20);
    const works = await working(s, [...first, ...second]);
    assert.equal(works.filter(Boolean).length, 20);
    assert.deepEqual(works.slice(20), Array(20).fill(true));
  });
});

describe("documents read by one exchange, whatever the user's live secrets", () => {
  for (const [live, bound, read] of [
    [0, 20, 0],
    [1, 20, 0],
    [19, 20, 0],
    [20, 20, 2],
    [100, 200, 0],
    [100, 100, 2],
  ] as const) {
    test(`${live} live secrets, bound ${bound}: ${read} documents read, 2 written`, async (t) => {
      const s = await startStack({ users: ["auth0|reader"], env: { MAX_LIVE_SECRETS_PER_USER: String(bound) } });
      try {
        const emu = emulatorOnly(t, s.target, "stats");
        if (!emu) return;
        const user = await s.admin.query<faunadb.values.Ref>(q.Select(["data", 0], q.Paginate(q.Match(q.Index(s.config.usersIndex), "auth0|reader"))));
        const now = await s.admin.query<number>(q.ToMillis(q.Now()));
        await issueTokens(s.admin, Array.from({ length: live }, (_, i) => ({ user, expiresAt: now + 3_600_000 + i })));
        const jwt = s.issuer.mint({ sub: "auth0|reader" });
        logs.forbid(jwt);
        await s.exchange.verify(jwt); // the JWKS fetched and cached before counting
        emu.stats.reset();
        const r = await call(s.url, bearer(jwt));
        assert.equal(r.status, 200);
        logs.forbid(r.body.secret as string);
        const stats = emu.stats.snapshot();
        t.diagnostic(`per exchange at ${live} live: ${JSON.stringify(stats)}`);
        // Written: the token and its entry, and, at the bound, the evicted token and entry deleted.
        assert.deepEqual([stats.queries, stats.documentsRead, stats.documentsWritten], [1, read, 2 + read]);
        assert.equal(await s.admin.query(q.Count(q.Match(q.Index("auth0_token_exchanges_live_tokens_by_user"), user))), Math.min(live + 1, bound));
      } finally {
        await s.close();
      }
    });
  }
});
