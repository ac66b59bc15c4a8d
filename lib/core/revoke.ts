/**
 * Revocation: end secrets before their expiry. A deleted token is rejected with 401 on
 * its next use (on a cluster, once its credential cache lets go of it: up to about 60 s),
 * so deleting the token is the revocation; its ledger entry goes in the same transaction
 * so the ledger never lists a secret that no longer exists, nor loses track of one that
 * still does.
 *
 * Everything goes through the ledger's by-user index, in bounded batches with the same
 * guarded, count-in-FQL page delete as the cleanup (lib/core/ledger/fql.ts), so a
 * revocation racing the cleanup or another revocation cannot fail either of them.
 *
 * Sign out everywhere (`revokeUserTokens`) cannot be outrun by the same JWT: its first
 * batch records the sign-out (lib/core/ledger/sign-outs.ts) in the same transaction, and
 * from then on every exchange refuses a JWT issued at or before it. An exchange that
 * committed before that transaction is revoked by a pass over the user's entries that
 * starts after it committed; the entries of sign-ins that saw the sign-out (new JWTs) are
 * spared, so revocation completes while the user keeps signing in.
 *
 * A user with no user document yet, when exchanges create missing users: the first batch
 * creates it and records the sign-out in the same transaction, so a first sign-in racing
 * the sign-out either committed before it (and is revoked) or sees it (and is refused). The
 * users index is unique: of the two transactions creating the user, one fails as a whole
 * (or is retried by a cluster) and is sent again, and then finds the other's user.
 */
import faunadb from "faunadb";
import { DEFAULT_USERS_COLLECTION, DEFAULT_USERS_INDEX } from "./ledger/layout.ts";
import { MAX_PAGE_SIZE, PAGE_SIZE_CAP_REASON } from "./ledger/limits.ts";
import { asPageDeleteCounts, createUserFql, deleteTokenEntriesFql, deleteUserPageFql, tokenLiveFql, userBySubFql } from "./ledger/fql.ts";
import { latestSignOutFql, recordSignOutFql, sparedBySignOutFql } from "./ledger/sign-outs.ts";
import { DatabaseError, IndexNotActive, InvalidArgument, InvalidTokenIdError, NotATokenSecretError } from "./errors/index.ts";
import { TimeBox } from "./time-box.ts";
import { queryBefore } from "./fauna/client.ts";
import { DEFAULT_QUERY_TIMEOUT_MS, requestBudgets } from "./budgets.ts";
import { Deadline } from "./deadline.ts";
import { FAUNA_ERROR, faunaFailure, inactiveIndex } from "./fauna/failures.ts";

const q = faunadb.query;

export interface RevokeResult {
  /** Tokens deleted (their secrets now get 401). */
  revoked: number;
  /** Ledger entries deleted, including those of tokens that had already expired. */
  ledgerEntriesDeleted: number;
}

export interface RevokeUserResult extends RevokeResult {
  /** False when no user had this `sub` in the users index (nothing could be revoked). */
  userFound: boolean;
  /**
   * True when there was no user and this call created it (`createMissingUsers`), to record
   * the sign-out: no JWT issued at or before it is exchanged, even for a first sign-in.
   * `userFound` and `userCreated` both false: no user, none created, no sign-out recorded.
   */
  userCreated: boolean;
  /**
   * True when the time budget ran out before the revocation was complete (a pass over the
   * user's entries that began after the sign-out was recorded found nothing more to
   * revoke): the secrets counted are revoked, others may still work, and calling again
   * continues (recording a new sign-out).
   */
  workRemaining: boolean;
}

export interface RevokeUserOptions {
  /** Index from `sub` to the user document (terms `[data.auth0_id]`). */
  usersIndex: string;
  /**
   * Whether exchanges create missing users (CREATE_MISSING_USERS): then a `sub` with no
   * user document gets one, in `usersCollection`, holding the sign-out, since a later
   * exchange could otherwise create the user and issue for a JWT this sign-out covers.
   */
  createMissingUsers?: boolean;
  /** Where a missing user is created (FAUNA_USERS_COLLECTION). Default DEFAULT_USERS_COLLECTION. */
  usersCollection?: string;
  /**
   * The `iat` (seconds) of the JWT that asked to sign out (DELETE /api/token): the sign-out is
   * recorded no earlier, so that JWT is refused afterwards even with an `iat` a little ahead
   * of FaunaDB's clock (within the verification's tolerance). Default: `Now()` alone.
   */
  signedOutNotBefore?: number;
  /** Ledger entries per query. Default 250. */
  batchSize?: number;
  /**
   * Stop starting batches once a batch as slow as the slowest so far would end after this
   * many ms (the first batch always runs), and abandon any query at this + `slackMs`
   * (a `FaunaTimeoutError`, which `mapFaunaError` reports as the database being
   * unavailable). Unset: no time budget; every batch until done, each query abandoned
   * after DEFAULT_QUERY_TIMEOUT_MS.
   */
  timeBudgetMs?: number;
  /** With `timeBudgetMs`: how long past it a query may still run. Default DEFAULT_REVOKE_SLACK_MS. */
  slackMs?: number;
  /** Millisecond clock for the budget; defaults to `Date.now`. */
  now?: () => number;
}

/**
 * What the token endpoint's DELETE needs of revocation: `revokeUserTokens`, or whatever
 * is wired in its place. Stops starting batches once `timeBudgetMs` is spent and says
 * whether work remains.
 */
export type RevokeUserTokens = (
  client: faunadb.Client,
  sub: string,
  options: RevokeUserOptions,
) => Promise<RevokeResult & { workRemaining?: boolean; userCreated?: boolean }>;

/** With a time budget: how long past it a batch started inside it may still run (budgets.ts). */
export const DEFAULT_REVOKE_SLACK_MS = requestBudgets().revokeSlackMs;

export const DEFAULT_REVOKE_BATCH_SIZE = 250;

function tokenRefOf(token: faunadb.values.Ref | string): faunadb.ExprArg {
  if (typeof token !== "string") return token;
  if (!/^\d{1,20}$/.test(token)) throw new InvalidTokenIdError();
  return q.Ref(q.Tokens(), token);
}

/**
 * FQL: revoke the token `token` evaluates to, with its ledger entry, and evaluate to the
 * raw counts (`asRevokeResult`). Its ledger entry is found through the token's
 * `instance`, by a Range on the by-user index that reads only the entries of this token.
 * Anything that is not a live token revokes nothing.
 */
function revokeTokenFql(token: faunadb.ExprArg): faunadb.Expr {
  return q.Let(
    { token },
    q.If(
      tokenLiveFql(q.Var("token")),
      q.Let(
        {
          user: q.Select("instance", q.Get(q.Var("token"))),
          counts: deleteTokenEntriesFql(q.Var("user"), q.Var("token")),
          // The token may have no ledger entry at all (issued some other way): delete it anyway.
          orphan: q.If(q.Exists(q.Var("token")), q.Do(q.Delete(q.Var("token")), 1), 0),
        },
        {
          tokensDeleted: q.Select("tokensDeleted", q.Var("counts")),
          orphan: q.Var("orphan"),
          ledgerEntriesDeleted: q.Select("ledgerEntriesDeleted", q.Var("counts")),
        },
      ),
      { tokensDeleted: 0, orphan: 0, ledgerEntriesDeleted: 0 },
    ),
  );
}

/**
 * Revokes one secret, given its token ref or the token document's id, with its ledger
 * entry, in one query. A token that does not exist, or whose ttl has already passed,
 * revokes nothing: `{revoked: 0, ledgerEntriesDeleted: 0}` (an expired token's ledger
 * entry is the cleanup's to delete).
 */
export async function revokeToken(client: faunadb.Client, token: faunadb.values.Ref | string): Promise<RevokeResult> {
  const result = await queryBefore(client, revokeTokenFql(tokenRefOf(token)), Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
  return asRevokeResult(result);
}

/**
 * Revokes exactly the token a secret belongs to (FaunaDB's `KeyFromSecret`, which needs
 * a server or admin key), with its ledger entry, in one query. A secret FaunaDB does
 * not know (mistyped, already revoked, or its ttl passed) revokes nothing; a key's
 * secret is refused with `NotATokenSecretError` and nothing is deleted.
 *
 * The secret goes to FaunaDB inside the query and nowhere else: FaunaDB's error for an
 * unknown secret quotes it, so that error is recognised here and never passed on.
 */
export async function revokeSecret(client: faunadb.Client, secret: string): Promise<RevokeResult> {
  if (secret === "" || /\s/.test(secret)) throw new InvalidArgument("a secret is one word, without whitespace");
  let result: unknown;
  try {
    result = await queryBefore(
      client,
      q.Let(
        { found: q.Select("ref", q.KeyFromSecret(secret)) },
        q.If(q.IsToken(q.Var("found")), revokeTokenFql(q.Var("found")), { notAToken: true }),
      ),
      Deadline.after(DEFAULT_QUERY_TIMEOUT_MS),
    );
  } catch (e) {
    // FaunaDB answers an unknown secret with 400 "instance not found" (and the secret in
    // the description): nothing to revoke. The same code with "Index 'X' is not active."
    // is an index still building: "not yet", never "nothing". Any other failure goes up.
    const building = inactiveIndex(e);
    if (building !== null) throw new IndexNotActive(building);
    const f = faunaFailure(e);
    if (f && f.code === FAUNA_ERROR.instanceNotFound) return { revoked: 0, ledgerEntriesDeleted: 0 };
    throw e;
  }
  if ((result as { notAToken?: unknown } | null)?.notAToken === true) throw new NotATokenSecretError();
  return asRevokeResult(result);
}

/**
 * Revokes every secret the exchange issued to the user whose `sub` this is ("sign out
 * everywhere"), and records the sign-out, so that no JWT issued at or before it is
 * exchanged again. Batch by batch, each one query that looks the user up (through the
 * users index only, as the exchange does) and deletes up to `batchSize` tokens with their
 * ledger entries:
 * 1. the first batch records the sign-out and deletes the first page of the user's entries;
 * 2. the next ones page on (a cursor, so entries spared are not read again), sparing the
 *    entries of sign-ins that saw this sign-out (new JWTs);
 * 3. then one more pass from the start: every batch of it began after the sign-out was
 *    committed, so it sees every exchange that committed before (on a cluster one may have
 *    committed after the first batch's snapshot); when it reaches the end, it is complete.
 * With `timeBudgetMs` it stops starting batches once the budget is spent: then
 * `workRemaining` is true and a second call carries on. An unknown `sub` revokes nothing,
 * and says so (`userFound: false`); with `createMissingUsers` the first batch creates the
 * user and records its sign-out (`userCreated: true`), as an exchange would have created it.
 */
export async function revokeUserTokens(client: faunadb.Client, sub: string, options: RevokeUserOptions): Promise<RevokeUserResult> {
  const batchSize = options.batchSize ?? DEFAULT_REVOKE_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgument(`batchSize must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  if (batchSize > MAX_PAGE_SIZE) throw new InvalidArgument(`batchSize must be at most ${MAX_PAGE_SIZE}: ${PAGE_SIZE_CAP_REASON}`);
  const budgeted = options.timeBudgetMs !== undefined;
  const timeBudgetMs = options.timeBudgetMs ?? Number.POSITIVE_INFINITY;
  const slackMs = options.slackMs ?? DEFAULT_REVOKE_SLACK_MS;
  if (!(timeBudgetMs >= 0)) throw new InvalidArgument("timeBudgetMs must be a non-negative number");
  if (!(slackMs > 0)) throw new InvalidArgument("slackMs must be a positive number");
  const now = options.now ?? Date.now;

  const user = q.Var("user");
  const found = userBySubFql(options.usersIndex || DEFAULT_USERS_INDEX, sub);
  const missing = { entries: 0, tokensDeleted: 0, ledgerEntriesDeleted: 0, tokensAlreadyGone: 0, more: false, after: null, userMissing: true };
  const firstBatch = q.Do(recordSignOutFql(user, options.signedOutNotBefore), deleteUserPageFql(user, batchSize, null));
  const batch = (first: boolean, after: unknown) =>
    first && options.createMissingUsers
      ? q.Let(
          { found, user: q.If(q.IsNull(q.Var("found")), createUserFql(options.usersCollection || DEFAULT_USERS_COLLECTION, sub), q.Var("found")) },
          q.Merge(firstBatch, { userCreated: q.IsNull(q.Var("found")) }),
        )
      : q.Let(
          { user: found },
          q.If(
            q.IsNull(user),
            missing,
            first
              ? firstBatch
              : q.Let({ signedOut: latestSignOutFql(user) }, deleteUserPageFql(user, batchSize, after, (doc) => sparedBySignOutFql(doc, q.Var("signedOut")))),
          ),
        );
  const total: RevokeUserResult = { revoked: 0, ledgerEntriesDeleted: 0, userFound: true, userCreated: false, workRemaining: false };
  // Without a budget no clock is read and no deadline is set: the client's timeout applies.
  const box = budgeted ? new TimeBox({ budgetMs: timeBudgetMs, slackMs, queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS }, now()) : undefined;
  let after: unknown = null;
  let finalPass = false;
  for (let batches = 0; ; batches++) {
    let batchStart = 0;
    if (box) {
      batchStart = now();
      if (batches > 0 && !box.fits(batchStart)) {
        total.workRemaining = true;
        return total;
      }
    }
    const expr = batch(batches === 0, after);
    const send = (at: number) => (box ? box.query(client, expr, at) : queryBefore(client, expr, Deadline.after(DEFAULT_QUERY_TIMEOUT_MS)));
    let raw: unknown;
    try {
      raw = await send(batchStart);
    } catch (e) {
      // Contention (409: FaunaDB retried it internally, the user's sign-ins kept winning), or
      // a first exchange created the user this batch was creating (the unique index refused
      // ours): nothing of the batch committed, and its deletes are guarded, so once more if it fits.
      if (!contended(e)) throw e;
      const at = box ? now() : 0;
      try {
        if (box && !box.fits(at)) throw e;
        raw = await send(at);
      } catch (again) {
        // Once the sign-out is recorded, "not complete, call again" is the honest answer.
        if (batches === 0 || !contended(again)) throw again;
        total.workRemaining = true;
        return total;
      }
    }
    const page = asPageDeleteCounts(raw);
    if ((raw as { userMissing?: unknown }).userMissing === true) {
      total.userFound = batches > 0;
      return total;
    }
    if ((raw as { userCreated?: unknown }).userCreated === true) {
      total.userFound = false;
      total.userCreated = true;
    }
    total.revoked += page.tokensDeleted;
    total.ledgerEntriesDeleted += page.ledgerEntriesDeleted;
    after = page.after ?? null;
    if (after === null) {
      if (finalPass) return total;
      finalPass = true;
    }
    if (box) box.pageDone(batchStart, now());
  }
}

/** A failure after which the batch certainly did not commit: contention, or the users index's uniqueness. */
function contended(e: unknown): boolean {
  const f = faunaFailure(e);
  return f !== null && (f.status === 409 || f.code === FAUNA_ERROR.instanceNotUnique);
}

function asRevokeResult(value: unknown): RevokeResult {
  const v = value as { tokensDeleted?: unknown; orphan?: unknown; ledgerEntriesDeleted?: unknown } | null;
  if (!v || typeof v.tokensDeleted !== "number" || typeof v.orphan !== "number" || typeof v.ledgerEntriesDeleted !== "number") {
    throw new DatabaseError("unexpected_result");
  }
  return { revoked: v.tokensDeleted + v.orphan, ledgerEntriesDeleted: v.ledgerEntriesDeleted };
}
