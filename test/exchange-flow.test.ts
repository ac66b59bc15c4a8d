/**
 * The product end to end: a locally issued Auth0-shaped JWT goes over real HTTP
 * into the handler, the returned secret is used with the real faunadb driver,
 * and the ledger says exactly what was issued. Everything this file prints is
 * captured and checked for secrets and JWTs at the end.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startStack, type Stack } from "./support/stack.ts";
import { emulatorOnly } from "fql4-emulator/testing";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call, jsonBody, rfc8693 } from "./support/http-client.ts";
import { LEDGER_COLLECTION } from "../lib/core/ledger/layout.ts";
import { createTokenExchange } from "../lib/core/exchange/exchange.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  // Not vacuous: the exchanges above did log, with their subjects.
  assert.match(logs.text(), /"event":"token_exchange","time":"[^"]+","outcome":"issued","status":200,"sub":"auth0\|alice"/);
  logs.assertClean();
});

interface LedgerDoc {
  ref: faunadb.values.Ref;
  data: {
    token_ref: faunadb.values.Ref;
    user_ref: faunadb.values.Ref;
    expires_at: faunadb.values.FaunaTime;
    issued_at: faunadb.values.FaunaTime;
    meta?: Record<string, unknown>;
  };
}

async function ledger(s: Stack): Promise<LedgerDoc[]> {
  const page = await s.admin.query<{ data: LedgerDoc[] }>(
    q.Map(q.Paginate(q.Documents(q.Collection(LEDGER_COLLECTION)), { size: 1000 }), q.Lambda("r", q.Get(q.Var("r")))),
  );
  return page.data;
}

function sameRef(a: faunadb.values.Ref, b: faunadb.values.Ref): boolean {
  return a.id === b.id && a.collection?.id === b.collection?.id;
}

function mint(s: Stack, opts: Parameters<Stack["issuer"]["mint"]>[0]): string {
  const jwt = s.issuer.mint(opts);
  logs.forbid(jwt);
  return jwt;
}

describe("the whole flow", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: ["auth0|alice", "auth0|bob", "auth0|carol", "auth0|dora"], env: { LEDGER_CLAIMS: "azp,scope" } });
    logs.forbid(s.target.serverSecret, s.target.adminSecret);
    // A role that lets a user read only their own document.
    await s.admin.query(
      q.CreateRole({
        name: "self",
        membership: [{ resource: q.Collection("users") }],
        privileges: [
          {
            resource: q.Collection("users"),
            actions: { read: q.Query(q.Lambda("ref", q.Equals(q.CurrentIdentity(), q.Var("ref")))) },
          },
        ],
      }),
    );
  });
  after(() => s.close());

  test("JWT → secret → Identity() and own data; other users' data refused; 401 after expiry", async (t) => {
    const jwt = mint(s, { sub: "auth0|alice", expiresIn: 600, claims: { azp: "spa-client", scope: "openid profile", email: "a@example.com" } });
    const res = await call(s.url, bearer(jwt));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    const secret = res.body.secret as string;
    logs.forbid(secret);
    assert.equal(typeof secret, "string");
    assert.deepEqual(Object.keys(res.body).sort(), ["expires_at", "expires_in", "secret"]);
    const expiresAt = new Date(res.body.expires_at as string);
    const jwtExp = JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()).exp as number;
    assert.ok(expiresAt.getTime() <= jwtExp * 1000, "the secret never outlives the JWT");
    assert.ok(Math.abs((res.body.expires_in as number) - 600) <= 2);

    const user = s.target.client(secret);
    const alice = await s.admin.query<faunadb.values.Ref>(q.Select(["data", 0], q.Paginate(q.Match(q.Index("users_by_auth0_id"), "auth0|alice"))));
    const bob = await s.admin.query<faunadb.values.Ref>(q.Select(["data", 0], q.Paginate(q.Match(q.Index("users_by_auth0_id"), "auth0|bob"))));
    assert.ok(sameRef(alice, await user.query<faunadb.values.Ref>(q.CurrentIdentity())));
    assert.equal(await user.query(q.Select(["data", "auth0_id"], q.Get(q.CurrentIdentity()))), "auth0|alice");
    await assert.rejects(user.query(q.Get(bob)), (e: Error) => e.name === "PermissionDenied");

    // The ledger: one entry, what was issued, the allow-listed claims, never the secret or the JWT.
    const entries = await ledger(s);
    assert.equal(entries.length, 1);
    const entry = entries[0]!;
    assert.ok(sameRef(entry.data.user_ref, alice));
    assert.equal(entry.data.expires_at.date.getTime(), expiresAt.getTime());
    assert.ok(Math.abs(entry.data.issued_at.date.getTime() - Date.now()) < 60_000);
    assert.deepEqual(entry.data.meta, { azp: "spa-client", scope: "openid profile" });
    const token = await s.admin.query<{ instance: faunadb.values.Ref; ttl: faunadb.values.FaunaTime }>(q.Get(entry.data.token_ref));
    assert.ok(sameRef(token.instance, alice));
    assert.equal(token.ttl.date.getTime(), expiresAt.getTime());
    const stored = JSON.stringify(entry);
    assert.ok(!stored.includes(secret) && !stored.includes(jwt.split(".")[2]!));

    const emulator = emulatorOnly(t, s.target, "clock");
    if (!emulator) return;
    emulator.clock.advance(expiresAt.getTime() - Date.now() + 1000);
    try {
      await assert.rejects(user.query(q.CurrentIdentity()), (e: Error & { requestResult?: { statusCode: number } }) => {
        assert.equal(e.requestResult?.statusCode, 401);
        return true;
      });
    } finally {
      emulator.clock.set(Date.now());
    }
  });

  test("one Fauna round trip per exchange with a warm key cache, reading no document below the live-secret bound", async (t) => {
    await call(s.url, bearer(mint(s, { sub: "auth0|carol" }))); // warms the JWKS cache, issues a first secret
    const emulator = emulatorOnly(t, s.target, "stats");
    if (!emulator) return;
    s.issuer.resetJwksFetches();
    emulator.stats.reset();
    const res = await call(s.url, bearer(mint(s, { sub: "auth0|carol" })));
    assert.equal(res.status, 200);
    logs.forbid(res.body.secret as string);
    const stats = emulator.stats.snapshot();
    t.diagnostic(`per exchange: ${JSON.stringify(stats)}`);
    assert.equal(stats.queries, 1);
    // The user, the sign-out barrier and the live secrets (MAX_LIVE_SECRETS_PER_USER) are
    // all read from indexes: no document (test/live-secret-bound.test.ts: 2 at the bound).
    assert.equal(stats.documentsRead, 0);
    assert.equal(stats.documentsWritten, 2);
    assert.equal(s.issuer.jwksFetches, 0);
  });

  test("JSON body and RFC 8693 form are accepted too", async () => {
    const viaJson = await call(s.url, jsonBody({ token: mint(s, { sub: "auth0|bob" }) }));
    assert.equal(viaJson.status, 200);
    logs.forbid(viaJson.body.secret as string);
    for (const type of ["jwt", "access_token", "id_token"]) {
      const viaForm = await call(s.url, rfc8693(mint(s, { sub: "auth0|bob" }), `urn:ietf:params:oauth:token-type:${type}`));
      assert.equal(viaForm.status, 200);
      assert.equal(viaForm.headers.get("cache-control"), "no-store");
      assert.deepEqual(Object.keys(viaForm.body).sort(), ["access_token", "expires_in", "issued_token_type", "token_type"]);
      assert.equal(viaForm.body.issued_token_type, "urn:ietf:params:oauth:token-type:access_token");
      assert.equal(viaForm.body.token_type, "Bearer");
      logs.forbid(viaForm.body.access_token as string);
      const id = await s.target.client(viaForm.body.access_token as string).query(q.HasCurrentIdentity());
      assert.equal(id, true);
    }
  });

  /** Sends the request and returns the one ledger entry it added. */
  async function newEntryOf(init: RequestInit): Promise<LedgerDoc> {
    const before = new Set((await ledger(s)).map((e) => e.ref.id));
    const res = await call(s.url, init);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    logs.forbid(res.body.secret as string);
    const added = (await ledger(s)).filter((e) => !before.has(e.ref.id));
    assert.equal(added.length, 1);
    return added[0]!;
  }

  test("no meta when no allow-listed claim is present", async () => {
    const entry = await newEntryOf(bearer(mint(s, { sub: "auth0|bob", claims: { email: "b@example.com" } })));
    assert.ok(!("meta" in entry.data), JSON.stringify(entry.data.meta));
  });

  test("an allow-listed claim too large for meta is left out with a warning naming it; the JWT is still exchanged", async () => {
    const huge = `openid ${"x".repeat(5000)}`;
    const entry = await newEntryOf(bearer(mint(s, { sub: "auth0|bob", claims: { azp: "spa-client", scope: huge } })));
    assert.deepEqual(entry.data.meta, { azp: "spa-client" });
    const warning = logs.text().split("\n").find((l) => l.includes('"event":"ledger_claims_dropped"'));
    assert.ok(warning, "a warning");
    assert.match(warning, /"level":"warn".*"claims":\["scope"\]/);
    assert.ok(!warning.includes("xxxxxxxx"), "never the claim's value");
    // Two that each fit but not together: the first (in LEDGER_CLAIMS order) is kept.
    const both = await newEntryOf(bearer(mint(s, { sub: "auth0|bob", claims: { azp: "a".repeat(3000), scope: "s".repeat(3000) } })));
    assert.deepEqual(Object.keys(both.data.meta ?? {}), ["azp"]);
  });

  test("DELETE /api/token revokes every secret of the caller", async () => {
    const a = await call(s.url, bearer(mint(s, { sub: "auth0|dora" })));
    const b = await call(s.url, bearer(mint(s, { sub: "auth0|dora" })));
    logs.forbid(a.body.secret as string, b.body.secret as string);
    const bobs = await call(s.url, bearer(mint(s, { sub: "auth0|bob" })));
    logs.forbid(bobs.body.secret as string);
    const res = await call(s.url, { method: "DELETE", ...bearer(mint(s, { sub: "auth0|dora" })) });
    assert.equal(res.status, 200);
    assert.ok((res.body.revoked as number) >= 2);
    for (const secret of [a.body.secret, b.body.secret] as string[]) {
      await assert.rejects(s.target.client(secret).query(q.CurrentIdentity()), (e: Error) => e.name === "Unauthorized");
    }
    assert.equal(await s.target.client(bobs.body.secret as string).query(q.HasCurrentIdentity()), true);
    assert.equal(res.body.complete, true);
    const again = await call(s.url, { method: "DELETE", ...bearer(mint(s, { sub: "auth0|dora" })) });
    assert.deepEqual(again.body, { revoked: 0, complete: true });
    const bad = await call(s.url, { method: "DELETE", ...bearer(mint(s, { sub: "auth0|dora", aud: "nope" })) });
    assert.equal(bad.status, 401);
  });

  test("the importing API stores custom metadata", async () => {
    const ex = createTokenExchange(s.config, { client: s.target.client(s.target.serverSecret) });
    const result = await ex.exchange(mint(s, { sub: "auth0|alice" }), { metadata: { device: "cli", n: 1 } });
    logs.forbid(result.secret);
    const entries = await ledger(s);
    assert.ok(entries.some((e) => JSON.stringify(e.data.meta) === JSON.stringify({ device: "cli", n: 1 })));
    const before = await s.counts();
    await assert.rejects(ex.exchange(mint(s, { sub: "auth0|alice" }), { metadata: { big: "x".repeat(5000) } }), { code: "ERR_INVALID_METADATA" });
    const notAnObject = "abc" as unknown as Record<string, unknown>;
    await assert.rejects(ex.exchange(mint(s, { sub: "auth0|alice" }), { metadata: notAnObject }), { code: "ERR_INVALID_METADATA" });
    assert.deepEqual(await s.counts(), before);
  });
});

describe("exchangeJwtForSecret (configured from process.env)", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ users: ["auth0|env-user"] });
  });
  after(() => s.close());

  test("issues a secret and records metadata", async () => {
    Object.assign(process.env, {
      FAUNA_ENDPOINT: s.target.endpoint,
      FAUNA_SECRET: s.target.serverSecret,
      AUTH0_ISSUER: s.issuer.issuer,
      AUTH0_JWKS_URI: s.issuer.jwksUri,
      AUTH0_AUDIENCE: s.issuer.audience,
    });
    const { exchangeJwtForSecret } = await import("../lib/index.ts");
    const r = await exchangeJwtForSecret(mint(s, { sub: "auth0|env-user" }), { metadata: { app: "script" } });
    logs.forbid(r.secret);
    assert.ok(r.expiresIn > 3500 && r.expiresIn <= 3600);
    const entries = await ledger(s);
    assert.deepEqual(entries.map((e) => e.data.meta), [{ app: "script" }]);
    await (await import("../lib/adapters/node.ts")).resetDefaultExchange();
  });
});

describe("first exchanges of a new user", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ env: { CREATE_MISSING_USERS: "true" } });
  });
  after(() => s.close());

  test("50 concurrent first exchanges for one new sub: one user, 50 secrets issued, at most MAX_LIVE_SECRETS_PER_USER (20) alive", async (t) => {
    const jwts = Array.from({ length: 50 }, () => mint(s, { sub: "auth0|newcomer" }));
    const queriesBefore = s.target.emulator?.stats.snapshot().queries ?? 0;
    const replies = await Promise.all(jwts.map((jwt) => call(s.url, bearer(jwt))));
    for (const r of replies) {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      logs.forbid(r.body.secret as string);
    }
    assert.equal(new Set(replies.map((r) => r.body.secret)).size, 50);
    // Each exchange revoked the oldest live secrets over the bound, token and ledger entry
    // together: 20 of each are left, and exactly 20 of the 50 secrets still work.
    assert.equal(s.config.maxLiveSecretsPerUser, 20);
    assert.deepEqual(await s.counts(), { tokens: 20, ledger: 20, users: 1 });
    const working = await Promise.all(
      replies.map((r) => s.target.client(r.body.secret as string).query(q.HasCurrentIdentity()).then(() => true, () => false)),
    );
    assert.equal(working.filter(Boolean).length, 20);
    const user = await s.admin.query(q.Select(["data", "auth0_id"], q.Get(q.Match(q.Index("users_by_auth0_id"), "auth0|newcomer"))));
    assert.equal(user, "auth0|newcomer");
    if (s.target.emulator) {
      t.diagnostic(`queries for 50 exchanges (retries included): ${s.target.emulator.stats.snapshot().queries - queriesBefore}`);
    }
  });

  // The emulator runs queries one at a time, so the race above never makes a loser
  // there; these make the loser's failure (FaunaDB reports a lost race as contention
  // or as the unique index refusing the second user) happen on purpose.
  test("a first exchange that loses a race is retried once and succeeds", async (t) => {
    const emulator = emulatorOnly(t, s.target, "fault injection");
    if (!emulator) return;
    const before = await s.counts();
    emulator.faults.failQueries({ count: 1, status: 409 });
    const r = await call(s.url, bearer(mint(s, { sub: "auth0|racer" })));
    assert.equal(r.status, 200);
    logs.forbid(r.body.secret as string);
    assert.deepEqual(await s.counts(), { tokens: before.tokens + 1, ledger: before.ledger + 1, users: before.users + 1 });
  });

  test("a first exchange that loses the unique-index race: one user document, exactly one retry", async (t) => {
    const emulator = emulatorOnly(t, s.target, "fault injection and stats");
    if (!emulator) return;
    const sub = "auth0|race-loser";
    const jwt = mint(s, { sub });
    const winner = s.target.client(s.target.serverSecret);
    const before = await s.counts();
    let winnerQueries = 0;
    // FaunaDB's answer to the loser: while its query ran, a concurrent one created the
    // user; its own Create then broke the unique index, and nothing of it was committed.
    emulator.faults.failQueries({
      count: 1,
      status: 400,
      code: "instance not unique",
      beforeRefusing: async () => {
        winnerQueries++;
        await winner.query(q.Create(q.Collection("users"), { data: { auth0_id: sub } }));
      },
    });
    const queriesBefore = emulator.stats.snapshot().queries;
    const r = await call(s.url, bearer(jwt));
    emulator.faults.clear();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    logs.forbid(r.body.secret as string);
    assert.equal(emulator.stats.snapshot().queries - queriesBefore - winnerQueries, 2, "the lost query and one retry");
    assert.deepEqual(await s.counts(), { tokens: before.tokens + 1, ledger: before.ledger + 1, users: before.users + 1 });
    const users = await s.admin.query<{ data: faunadb.values.Ref[] }>(q.Paginate(q.Match(q.Index("users_by_auth0_id"), sub)));
    assert.equal(users.data.length, 1);
    // The secret acts as the winner's user document.
    const identity = await s.target.client(r.body.secret as string).query<faunadb.values.Ref>(q.CurrentIdentity());
    assert.ok(sameRef(identity, users.data[0]!));
  });

  test("it is retried only once", async (t) => {
    const emulator = emulatorOnly(t, s.target, "fault injection");
    if (!emulator) return;
    const before = await s.counts();
    emulator.faults.failQueries({ count: 2, status: 409 });
    const r = await call(s.url, bearer(mint(s, { sub: "auth0|unlucky" })));
    emulator.faults.clear();
    assert.equal(r.status, 503);
    assert.equal(r.body.error, "temporarily_unavailable");
    assert.deepEqual(await s.counts(), before);
  });
});
