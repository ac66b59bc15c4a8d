/**
 * The one FQL query of an exchange, composed of the ledger's helpers (lib/core/ledger/):
 * look the user up (or create it, or abort), refuse a JWT issued at or before the user's
 * latest sign-out, revoke the soonest-expiring live secrets over the bound, create the
 * token with its ttl, write the ledger entry.
 */
import faunadb from "faunadb";
import { createUserFql, userBySubFql, writeEntryFql } from "../ledger/fql.ts";
import { latestSignOutFql } from "../ledger/sign-outs.ts";
import { revokeOverBoundFql } from "../ledger/bound.ts";
import { tokenDataParams } from "../ledger/token-data.ts";
import { ABORT_REASONS } from "../fauna/failures.ts";

const q = faunadb.query;

export interface ExchangeQueryInput {
  /** The users index's term: the `sub`, or `<iss>#<sub>` for any issuer but the first (lib/core/identity/issuers.ts). */
  sub: string;
  expiresAt: Date;
  /**
   * The JWT's `iat`, seconds since the epoch; undefined when it has none (then any
   * recorded sign-out refuses it: nothing says it was issued after).
   */
  issuedAt?: number;
  usersCollection: string;
  usersIndex: string;
  createMissingUsers: boolean;
  /** At most this many live secrets per user once this one is issued; 0 = no bound. */
  maxLiveSecrets: number;
  meta?: Record<string, unknown>;
  /** The verified `iss`, recorded in the ledger entry, and on the token next to its claims. */
  issuer?: string;
  /** Verified claims for the token's `data.claims` (TOKEN_CLAIMS), already size-bounded. */
  claims?: Record<string, unknown>;
}

/**
 * FQL: whether a JWT issued at `issuedAt` is refused by the sign-out `signedOut` (a Time or
 * null). `iat` has whole seconds, so a JWT issued in the very second of a sign-out counts as
 * issued at or before it: refused, and signing in again a second later is accepted.
 */
function signedOutFql(signedOut: faunadb.Expr, issuedAt: number | undefined): faunadb.Expr {
  if (issuedAt === undefined) return q.Not(q.IsNull(signedOut));
  const iat = q.Time(new Date(Math.floor(issuedAt * 1000)).toISOString());
  return q.If(q.IsNull(signedOut), false, q.LTE(iat, signedOut));
}

/**
 * The one query. The user lookup and the sign-out check read only indexes (no document);
 * creating a missing user happens in the same transaction, and the unique index makes the
 * loser of a race between two first exchanges fail as a whole. With a bound on live
 * secrets, the soonest-expiring ones over it are revoked (token and ledger entry) in the
 * same transaction: two documents read per revoked secret, none otherwise.
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
      signedOut: latestSignOutFql(q.Var("user")),
      refused: q.If(signedOutFql(q.Var("signedOut"), i.issuedAt), q.Abort(ABORT_REASONS.signedOut), false),
      evicted: i.maxLiveSecrets > 0 ? revokeOverBoundFql(q.Var("user"), i.maxLiveSecrets) : 0,
      token: q.Create(q.Tokens(), { instance: q.Var("user"), ttl: expiresAt, ...tokenDataParams(i.claims, i.issuer) }),
      entry: writeEntryFql({
        token_ref: q.Select("ref", q.Var("token")),
        user_ref: q.Var("user"),
        expires_at: expiresAt,
        after_sign_out: q.Var("signedOut"),
        ...(i.issuer !== undefined ? { issuer: i.issuer } : {}),
        ...(i.meta ? { meta: i.meta } : {}),
      }),
    },
    { secret: q.Select("secret", q.Var("token")), evicted: q.Var("evicted") },
  );
}
