/**
 * Revocation by token and by sub, against the real driver and the emulator's cluster
 * profile: revoked secrets get 401 once FaunaDB's credential cache lets go of them (they
 * still work inside its window, which each test passes rather than assumes away),
 * everything else keeps working, and the ledger stays consistent.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, emulatorOnly, type FaunaTarget } from "fql4-emulator/testing";
import { revokeToken, revokeUserTokens, revokeSecret } from "../lib/core/revoke.ts";
import { InvalidArgument, InvalidTokenIdError, NotATokenSecretError } from "../lib/core/errors/index.ts";
import { DEFAULT_USERS_INDEX } from "../lib/core/ledger/layout.ts";
import { createLedgerSchema, createUsers, issueTokens, readLedgerState, ledgerProblems, secretWorks, type Issued } from "./cleanup-fixtures.ts";
import { credentialWindowMs, passCredentialWindow } from "./support/credential-window.ts";

const q = faunadb.query;
const MIN = 60_000;

let target: FaunaTarget;
let client: faunadb.Client;
let alice: faunadb.values.Ref;
let bob: faunadb.values.Ref;
let aliceTokens: Issued[];
let bobTokens: Issued[];

async function works(i: Issued): Promise<boolean> {
  return secretWorks(target.endpoint, i.secret);
}

/** The credential cache's window on this suite's cluster profile (by the emulator's clock). */
const WINDOW_MS = 10_000;

/**
 * Revoked: inside the credential window they still work (the window is there), and once
 * it has passed FaunaDB refuses every one of them.
 */
async function assertRevoked(list: Issued[]): Promise<void> {
  if (credentialWindowMs(target) > 0 && target.emulator) for (const i of list) assert.equal(await works(i), true, "inside the window");
  await passCredentialWindow(target);
  for (const i of list) assert.equal(await works(i), false);
}

describe("revocation", () => {
  beforeEach(async () => {
    target = await startTarget({ profile: "cluster", authCacheMs: WINDOW_MS });
    client = target.client(target.serverSecret);
    await createLedgerSchema(target.client());
    [alice, bob] = (await createUsers(client, ["auth0|alice", "auth0|bob"])) as [faunadb.values.Ref, faunadb.values.Ref];
    const now = (await client.query(q.ToMillis(q.Now()))) as number;
    aliceTokens = await issueTokens(client, Array.from({ length: 5 }, () => ({ user: alice, expiresAt: now + 60 * MIN })));
    bobTokens = await issueTokens(client, Array.from({ length: 3 }, () => ({ user: bob, expiresAt: now + 60 * MIN })));
  });
  afterEach(async () => {
    await target.close();
  });

  test("revokeToken ends one secret, by ref or by id, and nothing else", async () => {
    const [a0, a1, ...aRest] = aliceTokens as [Issued, Issued, ...Issued[]];
    assert.deepEqual(await revokeToken(client, a0.token), { revoked: 1, ledgerEntriesDeleted: 1 });
    assert.deepEqual(await revokeToken(client, a1.token.id), { revoked: 1, ledgerEntriesDeleted: 1 });
    await assertRevoked([a0, a1]);
    for (const i of [...aRest, ...bobTokens]) assert.equal(await works(i), true);

    // Revoking again, or a token that never existed, revokes nothing.
    assert.deepEqual(await revokeToken(client, a0.token.id), { revoked: 0, ledgerEntriesDeleted: 0 });
    assert.deepEqual(await revokeToken(client, "123456789012345678"), { revoked: 0, ledgerEntriesDeleted: 0 });
    // A ref that is not a token is never deleted.
    assert.deepEqual(await revokeToken(client, a0.entry), { revoked: 0, ledgerEntriesDeleted: 0 });
    await assert.rejects(revokeToken(client, "12; Delete(x)"), InvalidTokenIdError);

    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.equal(state.entries.length, 6);
    assert.ok(!state.entries.some((e) => e.token === a0.token.id || e.token === a1.token.id));
  });

  test("revokeToken also ends a token that has no ledger entry", async () => {
    const extra = (await client.query(q.Create(q.Tokens(), { instance: alice }))) as { ref: faunadb.values.Ref; secret: string };
    assert.equal(await secretWorks(target.endpoint, extra.secret), true);
    assert.deepEqual(await revokeToken(client, extra.ref), { revoked: 1, ledgerEntriesDeleted: 0 });
    await passCredentialWindow(target);
    assert.equal(await secretWorks(target.endpoint, extra.secret), false);
    for (const i of [...aliceTokens, ...bobTokens]) assert.equal(await works(i), true);
  });

  test("revokeSecret ends exactly the token a secret belongs to, with its ledger entry", async () => {
    const [a0, ...aRest] = aliceTokens as [Issued, ...Issued[]];
    assert.deepEqual(await revokeSecret(client, a0.secret), { revoked: 1, ledgerEntriesDeleted: 1 });
    await assertRevoked([a0]);
    for (const i of [...aRest, ...bobTokens]) assert.equal(await works(i), true);
    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.ok(!state.entries.some((e) => e.token === a0.token.id));
    assert.equal(state.entries.length, 7);

    // The same secret again, or one FaunaDB never issued: nothing to revoke, and no error
    // that could carry the secret (FaunaDB's own quotes it).
    assert.deepEqual(await revokeSecret(client, a0.secret), { revoked: 0, ledgerEntriesDeleted: 0 });
    assert.deepEqual(await revokeSecret(client, "fnEnotasecretanyoneissued000000"), { revoked: 0, ledgerEntriesDeleted: 0 });
    // One class per failure, with its code (it was a RangeError before lib's errors had one base).
    await assert.rejects(revokeSecret(client, "two words"), (e: unknown) => e instanceof InvalidArgument && e.code === "ERR_INVALID_ARGUMENT");

    // A key's secret is not revoked as if it were a token (an admin key can see keys).
    const key = (await target.client().query(q.CreateKey({ role: "server" }))) as { ref: faunadb.values.Ref; secret: string };
    await assert.rejects(revokeSecret(target.client(), key.secret), NotATokenSecretError);
    assert.equal(await target.client().query(q.Exists(key.ref)), true);
  });

  test("revokeUserTokens ends every secret of one user, in bounded batches", async (t) => {
    const emu = emulatorOnly(t, target, "clock and stats");
    if (!emu) return;
    // One more of alice's tokens, already expired: its ledger entry goes too.
    emu.clock.freeze();
    const now = (await client.query(q.ToMillis(q.Now()))) as number;
    await issueTokens(client, [{ user: alice, expiresAt: now + 1 * MIN }]);
    emu.clock.advance(2 * MIN);

    emu.stats.reset();
    const r = await revokeUserTokens(client, "auth0|alice", { usersIndex: DEFAULT_USERS_INDEX, batchSize: 2 });
    assert.deepEqual(r, { revoked: 5, ledgerEntriesDeleted: 6, userFound: true, userCreated: false, workRemaining: false });
    // 6 entries in batches of 2: three queries (the first also records the sign-out), the
    // last one learning nothing follows; then the pass from the start that completes it.
    assert.equal(emu.stats.snapshot().queries, 4);
    await assertRevoked(aliceTokens);
    for (const i of bobTokens) assert.equal(await works(i), true);

    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.deepEqual(new Set(state.entries.map((e) => e.token)), new Set(bobTokens.map((i) => i.token.id)));

    // Nothing left to revoke; an unknown sub revokes nothing, and says it found no user.
    assert.deepEqual(await revokeUserTokens(client, "auth0|alice", { usersIndex: DEFAULT_USERS_INDEX }), { revoked: 0, ledgerEntriesDeleted: 0, userFound: true, userCreated: false, workRemaining: false });
    assert.deepEqual(await revokeUserTokens(client, "auth0|nobody", { usersIndex: DEFAULT_USERS_INDEX }), { revoked: 0, ledgerEntriesDeleted: 0, userFound: false, userCreated: false, workRemaining: false });
    for (const i of bobTokens) assert.equal(await works(i), true);
  });

  test("revokeUserTokens with a time budget stops between batches, says so, and a second call completes", async (t) => {
    const emu = emulatorOnly(t, target, "stats");
    if (!emu) return;
    const now = (await client.query(q.ToMillis(q.Now()))) as number;
    const more = await issueTokens(client, Array.from({ length: 45 }, () => ({ user: alice, expiresAt: now + 60 * MIN })));
    const all = [...aliceTokens, ...more];

    // A clock that moves 100 ms each time it is read: the call starts at 100, batch k (from 0)
    // starts at 200(k+1) and "takes" 100 ms, so it may start while 200(k+1) - 100 + 100 <= 600:
    // a 600 ms budget allows exactly 3 batches.
    let fake = 0;
    emu.stats.reset();
    const first = await revokeUserTokens(client, "auth0|alice", { usersIndex: DEFAULT_USERS_INDEX, batchSize: 5, timeBudgetMs: 600, now: () => (fake += 100) });
    assert.deepEqual(first, { revoked: 15, ledgerEntriesDeleted: 15, userFound: true, userCreated: false, workRemaining: true });
    assert.equal(emu.stats.snapshot().queries, 3);

    // A zero budget (the real clock) still makes progress: the first batch always runs.
    const tiny = await revokeUserTokens(client, "auth0|alice", { usersIndex: DEFAULT_USERS_INDEX, batchSize: 5, timeBudgetMs: 0 });
    assert.equal(tiny.ledgerEntriesDeleted >= 5, true);
    assert.equal(tiny.workRemaining, true);

    const second = await revokeUserTokens(client, "auth0|alice", { usersIndex: DEFAULT_USERS_INDEX, batchSize: 5, timeBudgetMs: 60_000 });
    assert.deepEqual(second, { revoked: 50 - 15 - tiny.revoked, ledgerEntriesDeleted: 50 - 15 - tiny.ledgerEntriesDeleted, userFound: true, userCreated: false, workRemaining: false });
    await assertRevoked(all);
    for (const i of bobTokens) assert.equal(await works(i), true);
    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.equal(state.entries.length, bobTokens.length);
  });

  test("revokeUserTokens under contention: a 409 batch is sent once more; still contended after the sign-out, complete: false", async (t) => {
    const emu = emulatorOnly(t, target, "fault injection");
    if (!emu) return;
    const opts = { usersIndex: DEFAULT_USERS_INDEX, batchSize: 2, timeBudgetMs: 5000 };
    // The first batch contended once: sent again, and the run completes.
    emu.faults.failQueries({ count: 1, status: 409 });
    assert.deepEqual(await revokeUserTokens(client, "auth0|bob", opts), { revoked: 3, ledgerEntriesDeleted: 3, userFound: true, userCreated: false, workRemaining: false });
    // Contended twice before anything committed: the failure itself (no sign-out was recorded).
    emu.faults.failQueries({ count: 2, status: 409 });
    await assert.rejects(revokeUserTokens(client, "auth0|alice", opts), (e: Error) => e.name === "UnknownError" || e.message === "contended transaction");
    // The first batch committed (sign-out recorded, 2 revoked), then the next one contended twice: not complete, said so.
    emu.faults.failQueries({ skip: 1, count: 2, status: 409 });
    const partly = await revokeUserTokens(client, "auth0|alice", opts);
    assert.deepEqual(partly, { revoked: 2, ledgerEntriesDeleted: 2, userFound: true, userCreated: false, workRemaining: true });
    // Calling again carries on.
    assert.deepEqual(await revokeUserTokens(client, "auth0|alice", opts), { revoked: 3, ledgerEntriesDeleted: 3, userFound: true, userCreated: false, workRemaining: false });
  });

  test("revokeUserTokens finds the user through the users index alone", async (t) => {
    const emu = emulatorOnly(t, target, "stats");
    if (!emu) return;
    // Bob has 3 entries; one batch reads (as the cleanup does) each token and ledger
    // document to guard and delete it, and nothing else: not the user document; the pass
    // that completes it finds nothing, and reads nothing.
    emu.stats.reset();
    assert.deepEqual(await revokeUserTokens(client, "auth0|bob", { usersIndex: DEFAULT_USERS_INDEX }), { revoked: 3, ledgerEntriesDeleted: 3, userFound: true, userCreated: false, workRemaining: false });
    const stats = emu.stats.snapshot();
    assert.equal(stats.queries, 2);
    assert.equal(stats.documentsRead, 3 * 4);
  });

  test("a sub whose text looks like FQL is only ever a term", async () => {
    assert.deepEqual(await revokeUserTokens(client, '{"delete":{"collection":"users"}}', { usersIndex: DEFAULT_USERS_INDEX }), {
      revoked: 0,
      ledgerEntriesDeleted: 0,
      userFound: false,
      userCreated: false,
      workRemaining: false,
    });
    for (const i of [...aliceTokens, ...bobTokens]) assert.equal(await works(i), true);
  });

  test("revocation racing the cleanup: both succeed, nothing inconsistent", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    const { deleteExpiredTokens } = await import("../lib/core/cleanup.ts");
    emu.clock.freeze();
    const now = (await client.query(q.ToMillis(q.Now()))) as number;
    await issueTokens(client, Array.from({ length: 40 }, () => ({ user: alice, expiresAt: now + 1 * MIN, tokenTtl: "none" as const })));
    emu.clock.advance(2 * MIN);
    const [cleanup, revoked] = await Promise.all([
      deleteExpiredTokens(target.client(target.serverSecret), { pageSize: 5, retries: 0, log: () => undefined }),
      revokeUserTokens(client, "auth0|alice", { usersIndex: DEFAULT_USERS_INDEX, batchSize: 5 }),
    ]);
    assert.equal(cleanup.stoppedBy, "done", JSON.stringify(cleanup));
    // Every one of the 45 alice entries was deleted by exactly one of the two.
    assert.equal(cleanup.ledgerEntriesDeleted + revoked.ledgerEntriesDeleted, 45);
    assert.equal(cleanup.tokensDeleted + revoked.revoked, 45);
    await assertRevoked(aliceTokens);
    for (const i of bobTokens) assert.equal(await works(i), true);
    const state = await readLedgerState(client);
    assert.deepEqual(ledgerProblems(state), []);
    assert.equal(state.entries.length, 3);
  });
});
