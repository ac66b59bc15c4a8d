/**
 * The exchange: a verified JWT becomes a Fauna user secret that expires no later
 * than the JWT, recorded in the ledger — all in ONE Fauna query, so a failure
 * anywhere writes nothing and a warm exchange costs exactly one round trip.
 */
import faunadb from "faunadb";
import { createUserFql, revokeOldestLiveFql, userBySubFql, writeEntryFql } from "../ledger/fql.ts";
import type { Config } from "../config/load.ts";
import { DatabaseUnavailable, InvalidMetadata, JwtExpired } from "../errors/index.ts";
import { ABORT_REASONS, FAUNA_ERROR, faunaFailure, mapFaunaError } from "../fauna/failures.ts";
import { createFaunaClient, queryWithDeadline } from "../fauna/client.ts";
import { log } from "../log.ts";
import { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions, type VerifiedJwt } from "../identity/jwt.ts";

const q = faunadb.query;

// ---------------------------------------------------------------- expiry
// When an issued secret stops working: min(JWT exp, now + cap). Pure, so the
// property "never outlives the JWT" can be tested over many inputs.

/** Below this a secret is useless to the caller; such a JWT is treated as expired. */
export const MIN_SECRET_LIFETIME_MS = 1000;

export interface ExpiryInput {
  /** JWT `exp`, seconds since the epoch (may be fractional). */
  jwtExpSeconds: number;
  maxTtlSeconds: number;
  nowMs: number;
}

/**
 * The expiry instant in whole milliseconds, or `null` when less than
 * MIN_SECRET_LIFETIME_MS would remain (the clock tolerance can let a JWT that
 * has just expired through verification; it must not yield a secret).
 */
export function computeExpiry({ jwtExpSeconds, maxTtlSeconds, nowMs }: ExpiryInput): Date | null {
  // Rounded down so the millisecond value sent to Fauna can never exceed the JWT's exp.
  const jwtExpMs = Math.floor(jwtExpSeconds * 1000);
  const capMs = Math.floor(nowMs) + Math.floor(maxTtlSeconds * 1000);
  const expiresMs = Math.min(jwtExpMs, capMs);
  if (!Number.isFinite(expiresMs) || expiresMs - nowMs < MIN_SECRET_LIFETIME_MS) return null;
  return new Date(expiresMs);
}

/** Seconds left, rounded down, as OAuth's `expires_in` wants it. */
export function secondsUntil(expiresAt: Date, nowMs: number): number {
  return Math.max(0, Math.floor((expiresAt.getTime() - nowMs) / 1000));
}

// ---------------------------------------------------------------- the query

/** Ledger `meta` size bound: it is copied into every ledger document. */
export const MAX_METADATA_BYTES = 4096;

export interface ExchangeQueryInput {
  sub: string;
  expiresAt: Date;
  usersCollection: string;
  usersIndex: string;
  createMissingUsers: boolean;
  /** At most this many live secrets per user once this one is issued; 0 = no bound. */
  maxLiveSecrets: number;
  meta?: Record<string, unknown>;
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
      token: q.Create(q.Tokens(), { instance: q.Var("user"), ttl: expiresAt }),
      entry: writeEntryFql({ token_ref: q.Select("ref", q.Var("token")), user_ref: q.Var("user"), expires_at: expiresAt, ...(i.meta ? { meta: i.meta } : {}) }),
    },
    { secret: q.Select("secret", q.Var("token")), evicted: q.Var("evicted") },
  );
}

/**
 * Metadata from importing code, made safe to store: a plain JSON object (so the
 * driver sends it as data, never as FQL), bounded in size. Empty → no `meta`.
 */
export function toLedgerMeta(metadata: unknown): Record<string, unknown> | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== "object" || Array.isArray(metadata)) throw new InvalidMetadata("metadata must be a plain object.");
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch {
    throw new InvalidMetadata("metadata must be JSON-serializable.");
  }
  if (Buffer.byteLength(json) > MAX_METADATA_BYTES) {
    throw new InvalidMetadata(`metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON.`);
  }
  const copy = JSON.parse(json) as Record<string, unknown>;
  return Object.keys(copy).length > 0 ? copy : undefined;
}

/** The allow-listed claims present in a verified token (for the HTTP function's ledger `meta`). */
export function pickClaims(claims: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (Object.hasOwn(claims, n) && claims[n] !== undefined) out[n] = claims[n];
  return out;
}

const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/**
 * The ledger `meta` of an exchange: the metadata importing code passed (already
 * validated, and it wins a name clash), plus the allow-listed claims, in LEDGER_CLAIMS
 * order, as long as the whole stays within MAX_METADATA_BYTES. A claim that would not
 * fit is left out rather than refusing a valid JWT (the token is the identity
 * provider's, not the caller's to trim); `dropped` names those claims.
 */
export function ledgerMeta(
  custom: Record<string, unknown> | undefined,
  claims: Record<string, unknown>,
  names: readonly string[],
): { meta: Record<string, unknown> | undefined; dropped: string[] } {
  const meta: Record<string, unknown> = {};
  const dropped: string[] = [];
  const picked = pickClaims(claims, names);
  for (const [name, value] of Object.entries(picked)) {
    if (custom && Object.hasOwn(custom, name)) continue;
    const candidate = { ...meta, [name]: value, ...custom };
    if (jsonBytes(candidate) > MAX_METADATA_BYTES) dropped.push(name);
    else meta[name] = value;
  }
  const all = { ...meta, ...custom };
  return { meta: Object.keys(all).length > 0 ? all : undefined, dropped };
}

/**
 * How long an exchange may take in all (the JWKS fetch a cold key needs, and every query):
 * a synchronous Netlify or Vercel function has 10 s, and an answer must leave before that.
 */
export const EXCHANGE_BUDGET_MS = 8_000;

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
   * When the exchange must be over (ms since the epoch): no JWKS fetch or query outlives
   * it, and a query still running then is abandoned (503). Default: EXCHANGE_BUDGET_MS from
   * the call.
   */
  deadlineAt?: number;
}

export interface ExchangeResult {
  secret: string;
  expiresAt: Date;
  /** Whole seconds from issue to expiry. */
  expiresIn: number;
  /** The verified `sub` the secret was issued for. */
  sub: string;
  /** The user's oldest live secrets revoked to stay within MAX_LIVE_SECRETS_PER_USER. */
  evicted: number;
}

export interface TokenExchange {
  readonly config: Config;
  readonly client: faunadb.Client;
  verify(jwt: string, opts?: { deadlineAt?: number }): Promise<VerifiedJwt>;
  /** Verify, then issue. Rejects with a `TokenExchangeError`. */
  exchange(jwt: string, opts?: ExchangeOptions): Promise<ExchangeResult>;
  /** Issue for an already verified token. */
  issue(verified: VerifiedJwt, opts?: ExchangeOptions): Promise<ExchangeResult>;
}

export interface TokenExchangeDeps {
  client?: faunadb.Client;
  verifier?: JwtVerifier;
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
  const verifier = deps.verifier ?? createJwtVerifier(config.jwt, deps.jwtOptions);
  const now = deps.now ?? Date.now;
  const errorContext = { endpoint: config.fauna.endpoint, usersIndex: config.usersIndex, usersCollection: config.usersCollection };
  const errorHost = (() => {
    try {
      return { host: new URL(config.fauna.endpoint).host };
    } catch {
      return {};
    }
  })();
  // Deadlines are timers, so they read the real clock even when `now` is injected (it
  // only moves the expiry arithmetic).
  const remaining = (deadlineAt: number) => deadlineAt - Date.now();

  async function issue(verified: VerifiedJwt, opts: ExchangeOptions = {}): Promise<ExchangeResult> {
    const deadlineAt = opts.deadlineAt ?? Date.now() + EXCHANGE_BUDGET_MS;
    const custom = toLedgerMeta(opts.metadata);
    const { meta, dropped } = ledgerMeta(custom, verified.claims, opts.recordClaims ?? []);
    if (dropped.length > 0) {
      // Names only: a claim's value is the identity provider's data about the user.
      log("warn", "ledger_claims_dropped", { claims: dropped, reason: `meta over ${MAX_METADATA_BYTES} bytes`, sub: verified.sub });
    }
    const nowMs = now();
    const expiresAt = computeExpiry({ jwtExpSeconds: verified.exp, maxTtlSeconds: config.tokenMaxTtlSeconds, nowMs });
    if (!expiresAt) throw new JwtExpired();
    const query = exchangeQuery({
      sub: verified.sub,
      expiresAt,
      usersCollection: config.usersCollection,
      usersIndex: config.usersIndex,
      createMissingUsers: config.createMissingUsers,
      maxLiveSecrets: config.maxLiveSecretsPerUser,
      ...(meta ? { meta } : {}),
    });
    // A query sent with next to no time left could commit and still be reported as a
    // failure: a secret nobody receives. Better not to send it at all.
    const send = () => {
      if (remaining(deadlineAt) < MIN_QUERY_MS) {
        return Promise.reject(new DatabaseUnavailable({ ...errorHost, cause: "budget_spent_before_query" }));
      }
      return queryWithDeadline<QueryResult>(client, query, { timeoutMs: remaining(deadlineAt) });
    };
    let result: QueryResult;
    try {
      result = await send();
    } catch (e) {
      if (!failedBeforeCommit(e) || remaining(deadlineAt) < MIN_RETRY_MS) throw mapFaunaError(e, errorContext);
      try {
        result = await send();
      } catch (e2) {
        throw mapFaunaError(e2, errorContext);
      }
    }
    return { secret: result.secret, expiresAt, expiresIn: secondsUntil(expiresAt, nowMs), sub: verified.sub, evicted: result.evicted };
  }

  const verify = (jwt: string, o: { deadlineAt?: number } = {}) =>
    verifier.verify(jwt, o.deadlineAt !== undefined ? { timeoutMs: remaining(o.deadlineAt) } : {});

  return {
    config,
    client,
    verify,
    issue,
    async exchange(jwt, opts = {}) {
      const deadlineAt = opts.deadlineAt ?? Date.now() + EXCHANGE_BUDGET_MS;
      return issue(await verify(jwt, { deadlineAt }), { ...opts, deadlineAt });
    },
  };
}
