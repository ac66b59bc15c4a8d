/**
 * The exchange: a verified JWT becomes a Fauna user secret that expires no later
 * than the JWT, recorded in the ledger — all in ONE Fauna query (query.ts), so a failure
 * anywhere writes nothing and a warm exchange costs exactly one round trip. And its
 * reverse for the same caller: every secret of a `sub` revoked ("sign out everywhere").
 */
import type faunadb from "faunadb";
import type { Config } from "../config/load.ts";
import { DatabaseUnavailable, JwtExpired } from "../errors/index.ts";
import { FAUNA_ERROR, faunaFailure, mapFaunaError } from "../fauna/failures.ts";
import { createFaunaClient, queryBefore } from "../fauna/client.ts";
import { log } from "../log.ts";
import { requestBudgets } from "../budgets.ts";
import { Deadline } from "../deadline.ts";
import { checkIssuedAt, type JwtVerifier, type JwtVerifierOptions, type VerifiedJwt } from "../identity/jwt.ts";
import { createIdentityVerifier, type IdentifiedJwt, type IdentityVerifier, type IssuedIdentity } from "../identity/issuers.ts";
import { revokeUserTokens, type RevokeResult, type RevokeUserTokens } from "../revoke.ts";
import { computeExpiry, secondsUntil } from "./expiry.ts";
import { ledgerMeta, MAX_METADATA_BYTES, toLedgerMeta } from "./meta.ts";
import { exchangeQuery } from "./query.ts";
import { MAX_TOKEN_CLAIMS_BYTES, tokenClaims } from "./token-claims.ts";

export { computeExpiry, secondsUntil, MIN_SECRET_LIFETIME_MS, type ExpiryInput } from "./expiry.ts";
export { exchangeQuery, type ExchangeQueryInput } from "./query.ts";
export { ledgerMeta, MAX_METADATA_BYTES, pickClaims, toLedgerMeta } from "./meta.ts";
export { MAX_TOKEN_CLAIMS_BYTES, tokenClaims } from "./token-claims.ts";

/**
 * How long an exchange may take in all (the JWKS fetch a cold key needs, and every query)
 * when the caller gives no deadline: budgets.ts's, from the platforms' limits (8 s).
 */
export const EXCHANGE_BUDGET_MS = requestBudgets().exchangeMs;

/** A retry is sent only if at least this much of the budget is left. */
const MIN_RETRY_MS = 250;
/** No query is sent with less than this left of the budget. */
const MIN_QUERY_MS = 100;

export interface ExchangeOptions {
  /** Custom ledger `meta` (importing code only; the HTTP function never passes client data here). */
  metadata?: Record<string, unknown>;
  /**
   * Names of verified JWT claims to copy into `meta` (the HTTP function's LEDGER_CLAIMS).
   * Claims that would take `meta` over MAX_METADATA_BYTES are left out, with a warning
   * naming them; only `metadata` can make an exchange fail with InvalidMetadata.
   */
  recordClaims?: readonly string[];
  /**
   * When the exchange must be over: no JWKS fetch or query outlives it, and a query still
   * running then is abandoned (503). Default: EXCHANGE_BUDGET_MS from the call.
   */
  deadline?: Deadline;
  /** The same as `deadline`, as an instant (ms since the epoch). */
  deadlineAt?: number;
}

/**
 * A deadline given either way, or the default budget from now. Deadlines are timers, so
 * they read the real clock even when `now` is injected (it only moves the expiry arithmetic).
 */
function deadlineOf(o: { deadline?: Deadline; deadlineAt?: number }): Deadline {
  return o.deadline ?? (o.deadlineAt !== undefined ? Deadline.at(o.deadlineAt) : Deadline.after(EXCHANGE_BUDGET_MS));
}

export interface ExchangeResult {
  secret: string;
  expiresAt: Date;
  /** Whole seconds from issue to expiry. */
  expiresIn: number;
  /** The verified `sub` the secret was issued for. */
  sub: string;
  /** The verified `iss` (one of the configured issuers). */
  issuer: string;
  /** The user's soonest-expiring live secrets revoked to stay within MAX_LIVE_SECRETS_PER_USER. */
  evicted: number;
}

export interface TokenExchange {
  readonly config: Config;
  readonly client: faunadb.Client;
  /**
   * Verify only, against the issuer the token names; a JWKS fetch it needs ends by the
   * deadline (without one: no deadline but the fetch's own cap). `userKey` is the user it names.
   */
  verify(jwt: string, opts?: { deadline?: Deadline; deadlineAt?: number }): Promise<IdentifiedJwt>;
  /** Verify, then issue. Rejects with a `TokenExchangeError`. */
  exchange(jwt: string, opts?: ExchangeOptions): Promise<ExchangeResult>;
  /** Issue for an already verified token (without `issuer`/`userKey`: the first issuer's, keyed by `sub`). */
  issue(verified: VerifiedJwt & Partial<IssuedIdentity>, opts?: ExchangeOptions): Promise<ExchangeResult>;
  /**
   * Revoke every secret issued to the user `sub` names, a user key as `verify` gives it
   * (`userKey`: the bare `sub` for the first issuer) ("sign out everywhere"), starting no batch that
   * would end after `deadline` (one started before may run budgets.ts's revoke slack past
   * it). Rejects with a `TokenExchangeError`; `workRemaining` when the time ran out first.
   */
  signOut(
    sub: string,
    opts: { deadline: Deadline; revoke?: RevokeUserTokens; issuedAt?: number },
  ): Promise<RevokeResult & { workRemaining?: boolean; userCreated?: boolean }>;
}

export interface TokenExchangeDeps {
  client?: faunadb.Client;
  /** Default: every configured issuer's (lib/core/identity/issuers.ts); a plain `JwtVerifier` stands for the first issuer. */
  verifier?: JwtVerifier | IdentityVerifier;
  jwtOptions?: JwtVerifierOptions;
  /** Milliseconds since the epoch; injectable so expiry arithmetic can be tested. */
  now?: () => number;
}

/**
 * A failure after which the query certainly did not commit and may simply be sent again:
 * the loser of two first exchanges for one new user (the unique index refused it; the
 * retry finds the winner's user), or contention (409).
 */
function failedBeforeCommit(e: unknown): boolean {
  const f = faunaFailure(e);
  return f !== null && (f.code === FAUNA_ERROR.instanceNotUnique || f.status === 409);
}

interface QueryResult {
  secret: string;
  evicted: number;
}

export function createTokenExchange(config: Config, deps: TokenExchangeDeps = {}): TokenExchange {
  const client = deps.client ?? createFaunaClient(config.fauna);
  const verifier = deps.verifier ?? createIdentityVerifier(config.issuers ?? [config.jwt], deps.jwtOptions);
  // A token verified elsewhere, or by a single-issuer verifier: the first issuer's user.
  const identified = (v: VerifiedJwt & Partial<IssuedIdentity>): IdentifiedJwt => ({ ...v, issuer: v.issuer ?? config.jwt.issuer, userKey: v.userKey ?? v.sub });
  const now = deps.now ?? Date.now;
  const errorContext = { endpoint: config.fauna.endpoint, usersIndex: config.usersIndex, usersCollection: config.usersCollection };
  const errorHost = (() => {
    try {
      return { host: new URL(config.fauna.endpoint).host };
    } catch {
      return {};
    }
  })();
  async function issue(verified: VerifiedJwt, opts: ExchangeOptions = {}): Promise<ExchangeResult> {
    const deadline = deadlineOf(opts);
    const custom = toLedgerMeta(opts.metadata);
    const { meta, dropped } = ledgerMeta(custom, verified.claims, opts.recordClaims ?? []);
    // Names only: a claim's value is the identity provider's data about the user.
    if (dropped.length > 0) log("warn", "ledger_claims_dropped", { claims: dropped, reason: `meta over ${MAX_METADATA_BYTES} bytes`, sub: verified.sub });
    const onToken = tokenClaims(verified.claims, config.tokenClaims ?? []);
    if (onToken.dropped.length > 0) {
      log("warn", "token_claims_dropped", { claims: onToken.dropped, reason: `data.claims over ${MAX_TOKEN_CLAIMS_BYTES} bytes`, sub: verified.sub });
    }
    const { issuer, userKey } = identified(verified);
    const nowMs = now();
    const expiresAt = computeExpiry({ jwtExpSeconds: verified.exp, maxTtlSeconds: config.tokenMaxTtlSeconds, nowMs });
    if (!expiresAt) throw new JwtExpired();
    // Verified already when it came through `verify`; a token verified elsewhere is held to the same.
    const iat = verified.claims.iat;
    checkIssuedAt(iat, Math.floor(nowMs / 1000));
    const query = exchangeQuery({
      sub: userKey,
      expiresAt,
      ...(typeof iat === "number" ? { issuedAt: iat } : {}),
      usersCollection: config.usersCollection,
      usersIndex: config.usersIndex,
      createMissingUsers: config.createMissingUsers,
      maxLiveSecrets: config.maxLiveSecretsPerUser,
      issuer,
      ...(meta ? { meta } : {}),
      ...(onToken.claims ? { claims: onToken.claims } : {}),
    });
    // A query sent with next to no time left could commit and still be reported as a
    // failure: a secret nobody receives. Better not to send it at all.
    const send = () => {
      if (deadline.remaining() < MIN_QUERY_MS) {
        return Promise.reject(new DatabaseUnavailable({ ...errorHost, cause: "budget_spent_before_query" }));
      }
      return queryBefore<QueryResult>(client, query, deadline);
    };
    let result: QueryResult;
    try {
      result = await send();
    } catch (e) {
      if (!failedBeforeCommit(e) || deadline.remaining() < MIN_RETRY_MS) throw mapFaunaError(e, errorContext);
      try {
        result = await send();
      } catch (e2) {
        throw mapFaunaError(e2, errorContext);
      }
    }
    return { secret: result.secret, expiresAt, expiresIn: secondsUntil(expiresAt, nowMs), sub: verified.sub, issuer, evicted: result.evicted };
  }

  const verify = async (jwt: string, o: { deadline?: Deadline; deadlineAt?: number } = {}) =>
    identified(await verifier.verify(jwt, o.deadline !== undefined || o.deadlineAt !== undefined ? { deadline: deadlineOf(o) } : {}));

  return {
    config,
    client,
    verify,
    issue,
    async exchange(jwt, opts = {}) {
      const deadline = deadlineOf(opts);
      return issue(await verify(jwt, { deadline }), { ...opts, deadline });
    },
    async signOut(sub, { deadline, revoke = revokeUserTokens, issuedAt }) {
      try {
        // An exchange that may create the user may create it after this sign-out: then so does the sign-out.
        const creating = config.createMissingUsers ? { createMissingUsers: true, usersCollection: config.usersCollection } : {};
        const notBefore = issuedAt !== undefined ? { signedOutNotBefore: issuedAt } : {};
        return await revoke(client, sub, { usersIndex: config.usersIndex, ...creating, ...notBefore, timeBudgetMs: deadline.remaining() });
      } catch (e) {
        throw mapFaunaError(e, errorContext);
      }
    },
  };
}
