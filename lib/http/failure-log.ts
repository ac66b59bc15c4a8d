/**
 * The one log line of a failed request: what an operator needs to act on it (the code,
 * the status, the variable or host to fix, what was expected and received), never a
 * secret, a JWT or a driver message.
 */
import type { Config } from "../core/config/load.ts";
import {
  DatabaseError,
  DatabaseUnavailable,
  IdentityProviderUnavailable,
  IndexNotActive,
  InternalError,
  JwksRefetchDeferred,
  JwtAudienceInvalid,
  JwtIssuerInvalid,
  Misconfigured,
  RequestAborted,
  UnknownUser,
  type TokenExchangeError,
} from "../core/errors/index.ts";
import { log, type LogFields } from "../core/log.ts";

/** Whether some expected value and some received one are equal but for a trailing slash. */
function differOnlyBySlash(expected: string | readonly string[], received: unknown): boolean {
  const bare = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string").map((x) => x.replace(/\/$/, ""));
  const got = new Set(bare(received));
  return bare(expected).some((e) => got.has(e));
}

/**
 * What an operator needs to act on a failure; never a secret, a JWT or a driver message.
 * The endpoint logs it; `npm run exchange` says it in its error (scripts/exchange.ts).
 */
export function failureDetail(err: TokenExchangeError, config: Config): LogFields {
  const detail: LogFields = {};
  if (err instanceof Misconfigured) detail.problems = err.problems;
  if (err instanceof DatabaseError && err.faunaCode) detail.fauna_code = err.faunaCode;
  if (err instanceof DatabaseUnavailable) Object.assign(detail, { fauna_host: err.failure.host, fauna_cause: err.failure.cause });
  if (err instanceof IdentityProviderUnavailable && err.cause) detail.idp = err.cause;
  if (err instanceof IndexNotActive) {
    detail.index = err.index;
    detail.hint = "FaunaDB is still building this index (deploy-schema waits for it: npm run deploy-schema); answered 503 with Retry-After until it is active";
  }
  if ((err instanceof JwtAudienceInvalid || err instanceof JwtIssuerInvalid) && err.mismatch) {
    const { expected, received, unverified } = err.mismatch;
    Object.assign(detail, { expected, received, ...(unverified ? { unverified } : {}) });
    if (differOnlyBySlash(expected, received)) {
      detail.hint =
        err instanceof JwtIssuerInvalid
          ? "the issuers differ only by the trailing slash (Auth0's issuer ends with /): set AUTH0_ISSUER (or the issuer in OIDC_ISSUERS) exactly as the token's iss"
          : "the audiences differ only by the trailing slash: set AUTH0_AUDIENCE exactly as the token's aud (your API's identifier)";
    }
  }
  if (err instanceof UnknownUser) {
    Object.assign(detail, { users_index: config.usersIndex, create_missing_users: config.createMissingUsers });
    detail.hint = `no user document has this sub in the users index ${config.usersIndex}; CREATE_MISSING_USERS is off, so none is created: create the user's document, or set CREATE_MISSING_USERS=true`;
  }
  return detail;
}

/**
 * Load, not an outage: FaunaDB's 409 after its own retries and ours (transactions on the
 * same data, one user's concurrent sign-ins, kept colliding) and its 429 (an ops rate limit
 * the operator turned on was reached). Anyone holding one valid JWT can cause either by
 * firing it in parallel, so neither may raise error alerts.
 */
function underLoad(err: TokenExchangeError): boolean {
  const cause = err instanceof DatabaseUnavailable ? (err.failure.cause ?? "") : "";
  return cause.startsWith("http_409") || cause.startsWith("http_429");
}

/** Logs a failed request as `event`; `cause` is what was thrown, logged only for a bug (ERR_INTERNAL). */
export function logFailure(event: string, err: TokenExchangeError, status: number, started: number, config: Config, cause?: unknown): void {
  const detail: LogFields = { outcome: err.code, status, duration_ms: Date.now() - started, ...failureDetail(err, config) };
  if (err instanceof InternalError && cause !== undefined) detail.cause = cause;
  // Nobody can raise error alerts without credentials or with one valid JWT: a client that
  // went away is not a server failure; a made-up kid once the refetch budget is spent (503)
  // and contention or throttling (503) are warnings. Errors are kept for outages, misconfiguration and bugs.
  const level =
    err instanceof RequestAborted ? "info" : err instanceof JwksRefetchDeferred || underLoad(err) ? "warn" : status >= 500 ? "error" : "info";
  log(level, event, detail);
}
