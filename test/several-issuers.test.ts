/**
 * Two local issuers at once (AUTH0_* and OIDC_ISSUERS), each with real keys and a real JWKS
 * over HTTP, through real HTTP into the handler: one `sub` from each is two users; a token
 * is verified only by the issuer its `iss` names (an unlisted one is 401 before any key is
 * fetched); the ledger records the issuer; sign-out everywhere stays within one issuer's
 * user; one issuer's outage is not the other's.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";
import { captureLogs } from "./support/log-capture.ts";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";
import { LEDGER_COLLECTION } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

let s: Stack;
/** The second issuer (OIDC_ISSUERS); `s.issuer` is the first (AUTH0_*). */
let second: DevIssuer;
/** Trusted by nobody. */
let stranger: DevIssuer;

before(async () => {
  second = await startDevIssuer({ audience: "second-api" });
  stranger = await startDevIssuer();
  s = await startStack({
    env: {
      CREATE_MISSING_USERS: "true",
      OIDC_ISSUERS: JSON.stringify([{ issuer: second.issuer, audience: second.audience, jwks_uri: second.jwksUri }]),
    },
  });
  logs.forbid(s.target.serverSecret, s.target.adminSecret);
});
after(async () => {
  await s.close();
  await second.close();
  await stranger.close();
});

async function exchange(issuer: DevIssuer, sub: string): Promise<{ status: number; body: Record<string, unknown>; secret?: string }> {
  const jwt = issuer.mint({ sub });
  logs.forbid(jwt);
  const res = await call(s.url, bearer(jwt));
  const secret = res.body.secret as string | undefined;
  if (secret) logs.forbid(secret);
  return { ...res, ...(secret ? { secret } : {}) };
}

/** The `auth0_id` of the user a secret acts as. */
const userKeyOf = (secret: string) => s.target.client(secret).query<string>(q.Select(["data", "auth0_id"], q.Get(q.CurrentIdentity())));

async function ledgerIssuers(): Promise<string[]> {
  const page = await s.admin.query<{ data: string[] }>(
    q.Map(q.Paginate(q.Documents(q.Collection(LEDGER_COLLECTION)), { size: 1000 }), q.Lambda("r", q.Select(["data", "issuer"], q.Get(q.Var("r"))))),
  );
  return page.data;
}

describe("several issuers", () => {
  before(async () => {
    // Secrets read their own user document here (as with deploy-schema --with-user-role).
    await s.admin.query(
      q.CreateRole({
        name: "self",
        membership: [{ resource: q.Collection("users") }],
        privileges: [{ resource: q.Collection("users"), actions: { read: q.Query(q.Lambda("ref", q.Equals(q.CurrentIdentity(), q.Var("ref")))) } }],
      }),
    );
  });

  test("the same sub from two issuers is two users: the first keeps sub, the other is keyed <iss>#<sub>; the ledger records each issuer", async () => {
    const a = await exchange(s.issuer, "user|42");
    const b = await exchange(second, "user|42");
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(b.status, 200, JSON.stringify(b.body));
    assert.equal(await userKeyOf(a.secret!), "user|42");
    assert.equal(await userKeyOf(b.secret!), `${second.issuer}#user|42`);
    const users = await s.admin.query<number>(q.Count(q.Documents(q.Collection("users"))));
    assert.equal(users, 2);
    assert.deepEqual((await ledgerIssuers()).sort(), [s.issuer.issuer, second.issuer].sort());
    // The log line names the issuer when a sub alone does not say who.
    const issued = logs.events("token_exchange").filter((e) => e.outcome === "issued").map((e) => e.iss);
    assert.deepEqual(issued.slice(-2), [s.issuer.issuer, second.issuer]);
  });

  test("an issuer nobody configured: 401 ERR_JWT_ISSUER_INVALID before any key is fetched, its unverified iss in the log only", async () => {
    s.issuer.resetJwksFetches();
    second.resetJwksFetches();
    const before = await s.counts();
    const res = await exchange(stranger, "user|42");
    assert.equal(res.status, 401);
    assert.equal(res.body.error, "invalid_token");
    assert.equal(res.body.error_description, "The token was issued by an untrusted issuer.");
    assert.ok(!JSON.stringify(res.body).includes(stranger.issuer), "the client is not told what was expected");
    assert.equal(stranger.jwksFetches + s.issuer.jwksFetches + second.jwksFetches, 0);
    assert.deepEqual(await s.counts(), before, "nothing written");
    const line = logs.events("token_exchange").at(-1)!;
    assert.equal(line.outcome, "ERR_JWT_ISSUER_INVALID");
    assert.deepEqual(line.expected, [s.issuer.issuer, second.issuer]);
    assert.equal(line.received, stranger.issuer);
    assert.equal(line.unverified, true);
  });

  test("a token is verified only by the issuer its iss names: one issuer's key cannot speak for the other", async () => {
    // Signed by the first issuer's key, claiming the second's iss (and audience).
    const forged = s.issuer.mint({ sub: "user|42", iss: second.issuer, aud: second.audience });
    logs.forbid(forged);
    const res = await call(s.url, bearer(forged));
    assert.equal(res.status, 401);
    assert.equal(logs.events("token_exchange").at(-1)!.outcome, "ERR_JWKS_NO_MATCHING_KEY");
    // The second issuer's audience is not the first's either.
    const crossed = second.mint({ sub: "user|42", aud: s.issuer.audience });
    logs.forbid(crossed);
    assert.equal((await call(s.url, bearer(crossed))).status, 401);
    assert.equal(logs.events("token_exchange").at(-1)!.outcome, "ERR_JWT_AUDIENCE_INVALID");
  });

  test("a first-issuer sub that starts with another issuer's <iss># is refused: it could pass for that issuer's user", async () => {
    const before = await s.counts();
    const res = await exchange(s.issuer, `${second.issuer}#user|42`);
    assert.equal(res.status, 401);
    assert.equal(logs.events("token_exchange").at(-1)!.outcome, "ERR_JWT_SUB_INVALID");
    assert.match(res.body.error_description as string, /has the form of another issuer's user key/);
    assert.deepEqual(await s.counts(), before);
  });

  test("DELETE signs out the user of the token's issuer only", async () => {
    const a = await exchange(s.issuer, "user|7");
    const b = await exchange(second, "user|7");
    const jwt = second.mint({ sub: "user|7" });
    logs.forbid(jwt);
    const res = await call(s.url, { method: "DELETE", ...bearer(jwt) });
    assert.equal(res.status, 200);
    assert.equal(res.body.revoked, 1);
    await assert.rejects(userKeyOf(b.secret!), (e: Error) => e.name === "Unauthorized");
    assert.equal(await userKeyOf(a.secret!), "user|7");
  });

  test("a second issuer's exchange is still one query, reading what the first's reads", async (t) => {
    const emulator = emulatorOnly(t, s.target, "stats");
    if (!emulator) return;
    await exchange(second, "user|reads"); // creates the user; a first secret
    emulator.stats.reset();
    assert.equal((await exchange(second, "user|reads")).status, 200);
    const stats = emulator.stats.snapshot();
    t.diagnostic(`per exchange, second issuer: ${JSON.stringify(stats)}`);
    assert.equal(stats.queries, 1);
    assert.equal(stats.documentsRead, 0, "indexes only, as for the first issuer (test/exchange-flow)");
    assert.equal(stats.documentsWritten, 2);
  });

  test("each issuer has its own key cache: the second's JWKS down is its users' 503, not the first's", async () => {
    second.setUnavailable(true);
    try {
      second.rotate(); // a kid not cached yet: its JWKS must be fetched
      assert.equal((await exchange(second, "user|9")).status, 503);
      s.issuer.resetJwksFetches();
      assert.equal((await exchange(s.issuer, "user|9")).status, 200);
      assert.equal(s.issuer.jwksFetches, 0, "the first issuer's keys were cached, and are its own");
    } finally {
      second.setUnavailable(false);
    }
  });
});
