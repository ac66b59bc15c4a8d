/**
 * The one FQL query of an exchange, composed of the ledger's helpers
 * (lib/core/ledger/fql.ts): look the user up (or create it, or abort), revoke the oldest
 * live secrets over the bound, create the token with its ttl, write the ledger entry.
 */
import faunadb from "faunadb";
import { createUserFql, revokeOldestLiveFql, userBySubFql, writeEntryFql } from "../ledger/fql.ts";
import { tokenDataParams } from "../ledger/token-data.ts";
import { ABORT_REASONS } from "../fauna/failures.ts";

const q = faunadb.query;

export interface ExchangeQueryInput {
  /** The users index's term: the `sub`, or `<iss>#<sub>` for any issuer but the first (lib/core/identity/issuers.ts). */
  sub: string;
  expiresAt: Date;
  usersCollection: string;
  usersIndex: string;
  createMissingUsers: boolean;
  /** At most this many live secrets per user once this one is issued; 0 = no bound. */
  maxLiveSecrets: number;
  meta?: Record<string, unknown>;
  /** The verified `iss`, recorded in the ledger entry. */
  issuer?: string;
  /** Verified claims for the token's `data.claims` (TOKEN_CLAIMS), already size-bounded. */
  claims?: Record<string, unknown>;
}

/**
 * How many of a user's newest ledger entries are looked at to count live secrets. Token
 * ids grow with time, so live secrets are among the newest entries; the margin covers
 * newer secrets that expired first (a JWT close to its own expiry) and entries the
 * cleanup has not reached yet.
 */
export const LIVE_SECRETS_SCAN_MARGIN = 32;

/**
 * The one query. The user lookup reads only the unique index (no document); creating
 * a missing user happens in the same transaction, and the unique index makes the loser
 * of a race between two first exchanges fail as a whole. With a bound on live secrets,
 * the oldest ones over it are revoked (token and ledger entry) in the same transaction.
 */
export function exchangeQuery(i: ExchangeQueryInput): faunadb.Expr {
  const expiresAt = q.Time(i.expiresAt.toISOString());
  const missingUser = i.createMissingUsers
    ? createUserFql(i.usersCollection, i.sub)
    : q.Abort(ABORT_REASONS.unknownUser);
  return q.Let(
    {
      found: userBySubFql(i.usersIndex, i.sub),
      user: q.If(q.IsNull(q.Var("found")), missingUser, q.Var("found")),
      // The user's oldest live secrets over the bound, with the one being issued.
      evicted: i.maxLiveSecrets > 0 ? revokeOldestLiveFql(q.Var("user"), i.maxLiveSecrets, i.maxLiveSecrets + LIVE_SECRETS_SCAN_MARGIN) : 0,
      token: q.Create(q.Tokens(), { instance: q.Var("user"), ttl: expiresAt, ...tokenDataParams(i.claims) }),
      entry: writeEntryFql({
        token_ref: q.Select("ref", q.Var("token")),
        user_ref: q.Var("user"),
        expires_at: expiresAt,
        ...(i.issuer !== undefined ? { issuer: i.issuer } : {}),
        ...(i.meta ? { meta: i.meta } : {}),
      }),
    },
    { secret: q.Select("secret", q.Var("token")), evicted: q.Var("evicted") },
  );
}
