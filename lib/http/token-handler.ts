/**
 * The web-standard core of the endpoint, `(Request) => Promise<Response>`: what
 * the Netlify and Vercel functions and `npm start` all run. Parsing lives in http/parse.ts,
 * CORS in http/cors.ts, and the mapping of error codes to statuses in
 * http/respond.ts, the only place a status is decided.
 */
import type { Config } from "../core/config/load.ts";
import {
  DatabaseError,
  DatabaseUnavailable,
  IdentityProviderUnavailable,
  InternalError,
  isTokenExchangeError,
  JwksRefetchDeferred,
  JwtAudienceInvalid,
  JwtIssuerInvalid,
  MethodNotAllowed,
  Misconfigured,
  RequestAborted,
  UnknownUser,
  type TokenExchangeError,
} from "../core/errors/index.ts";
import { EXCHANGE_BUDGET_MS, type TokenExchange } from "../core/exchange/exchange.ts";
import { mapFaunaError } from "../core/fauna/failures.ts";
import { log, type LogFields } from "../core/log.ts";
import { revokeUserTokens, type RevokeResult, type RevokeUserOptions } from "../core/revoke.ts";
import { ALLOWED_METHODS, ISSUED_TOKEN_TYPE, parseTokenRequest } from "./parse.ts";
import { corsHeaders, preflightHeaders, refusedOriginLogger } from "./cors.ts";
import { errorResponse, errorShape, noContent, ok, type FetchHandler } from "./respond.ts";

export { errorShape } from "./respond.ts";
export { parseTokenRequest, MAX_BODY_BYTES, ALLOWED_METHODS, TOKEN_EXCHANGE_GRANT, SUBJECT_TOKEN_TYPES, ISSUED_TOKEN_TYPE } from "./parse.ts";

export type { FetchHandler } from "./respond.ts";

/**
 * What DELETE needs of lib/revoke.ts: revocation that stops starting batches once
 * `timeBudgetMs` is spent and says whether work remains.
 */
export type RevokeUserTokens = (
  client: TokenExchange["client"],
  sub: string,
  options: RevokeUserOptions & { timeBudgetMs?: number },
) => Promise<RevokeResult & { workRemaining?: boolean }>;

/**
 * DELETE's share of a synchronous Netlify function's 10 s, counted from the request's
 * arrival (JWT verification included). Revocation starts no batch it expects to end
 * after it; the rest is for one slow batch and the answer. What is left is reported
 * as `complete: false`, and calling again carries on.
 */
export const REVOKE_TIME_BUDGET_MS = 6000;

export interface HttpHandlerOptions {
  exchange: TokenExchange;
  /** Defaults to lib/revoke.ts; the seam exists for wiring, not for tests. */
  revoke?: RevokeUserTokens;
  /** How long an exchange may take from the request's arrival. Default EXCHANGE_BUDGET_MS. */
  exchangeBudgetMs?: number;
}

/** Anything that is not one of our typed errors is a bug of ours, never the database's. */
function asTyped(e: unknown): TokenExchangeError {
  return isTokenExchangeError(e) ? e : new InternalError();
}

/** Whether some expected value and some received one are equal but for a trailing slash. */
function differOnlyBySlash(expected: string | readonly string[], received: unknown): boolean {
  const bare = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string").map((x) => x.replace(/\/$/, ""));
  const got = new Set(bare(received));
  return bare(expected).some((e) => got.has(e));
}

/** What an operator needs to act on a failure; never a secret, a JWT or a driver message. */
function failureDetail(err: TokenExchangeError, config: Config): LogFields {
  const detail: LogFields = {};
  if (err instanceof Misconfigured) detail.problems = err.problems;
  if (err instanceof DatabaseError && err.faunaCode) detail.fauna_code = err.faunaCode;
  if (err instanceof DatabaseUnavailable) Object.assign(detail, { fauna_host: err.failure.host, fauna_cause: err.failure.cause });
  if (err instanceof IdentityProviderUnavailable && err.cause) detail.idp = err.cause;
  if ((err instanceof JwtAudienceInvalid || err instanceof JwtIssuerInvalid) && err.mismatch) {
    const { expected, received } = err.mismatch;
    Object.assign(detail, { expected, received });
    if (differOnlyBySlash(expected, received)) {
      detail.hint =
        err instanceof JwtIssuerInvalid
          ? "the issuers differ only by the trailing slash (Auth0's issuer ends with /): set AUTH0_ISSUER exactly as the token's iss"
          : "the audiences differ only by the trailing slash: set AUTH0_AUDIENCE exactly as the token's aud (your API's identifier)";
    }
  }
  if (err instanceof UnknownUser) {
    Object.assign(detail, { users_index: config.usersIndex, create_missing_users: config.createMissingUsers });
    detail.hint = "no user document has this sub in the users index; CREATE_MISSING_USERS is off, so none is created";
  }
  return detail;
}

function logFailure(event: string, err: TokenExchangeError, status: number, started: number, config: Config, cause?: unknown): void {
  const detail: LogFields = { outcome: err.code, status, duration_ms: Date.now() - started, ...failureDetail(err, config) };
  if (err instanceof InternalError && cause !== undefined) detail.cause = cause;
  // Nobody can raise error alerts without credentials: a client that went away is not a
  // server failure, and a made-up kid once the refetch budget is spent (503) is a warning.
  const level =
    err instanceof RequestAborted ? "info" : err instanceof JwksRefetchDeferred ? "warn" : status >= 500 ? "error" : "info";
  log(level, event, detail);
}

export function createHttpHandler(opts: HttpHandlerOptions): FetchHandler {
  const { exchange } = opts;
  const config: Config = exchange.config;
  const revoke = opts.revoke ?? revokeUserTokens;
  const exchangeBudgetMs = opts.exchangeBudgetMs ?? EXCHANGE_BUDGET_MS;
  const logRefusedOrigin = refusedOriginLogger();

  async function post(req: Request, cors: Record<string, string>, started: number): Promise<Response> {
    let form = false;
    try {
      const parsed = await parseTokenRequest(req, { allowForm: true });
      form = parsed.form;
      const result = await exchange.exchange(parsed.jwt, { recordClaims: config.ledgerClaims, deadlineAt: started + exchangeBudgetMs });
      log("info", "token_exchange", {
        outcome: "issued",
        status: 200,
        sub: result.sub,
        ...(result.evicted > 0 ? { evicted: result.evicted } : {}),
        duration_ms: Date.now() - started,
      });
      const body = form
        ? { access_token: result.secret, issued_token_type: ISSUED_TOKEN_TYPE, token_type: "Bearer", expires_in: result.expiresIn }
        : { secret: result.secret, expires_at: result.expiresAt.toISOString(), expires_in: result.expiresIn };
      return ok(body, cors);
    } catch (e) {
      const err = asTyped(e);
      logFailure("token_exchange", err, errorShape(err, form).status, started, config, e);
      return errorResponse(err, form, cors);
    }
  }

  async function del(req: Request, cors: Record<string, string>, started: number): Promise<Response> {
    try {
      const { jwt } = await parseTokenRequest(req, { allowForm: false });
      const verified = await exchange.verify(jwt, { deadlineAt: started + REVOKE_TIME_BUDGET_MS });
      let result: RevokeResult & { workRemaining?: boolean };
      try {
        result = await revoke(exchange.client, verified.sub, {
          usersIndex: config.usersIndex,
          timeBudgetMs: Math.max(0, REVOKE_TIME_BUDGET_MS - (Date.now() - started)),
        });
      } catch (e) {
        throw mapFaunaError(e, { endpoint: config.fauna.endpoint, usersIndex: config.usersIndex, usersCollection: config.usersCollection });
      }
      const complete = result.workRemaining !== true;
      log("info", "token_revoke", {
        outcome: complete ? "revoked" : "revoked_partly",
        status: 200,
        sub: verified.sub,
        revoked: result.revoked,
        complete,
        duration_ms: Date.now() - started,
      });
      return ok({ revoked: result.revoked, complete }, cors);
    } catch (e) {
      const err = asTyped(e);
      logFailure("token_revoke", err, errorShape(err, false).status, started, config, e);
      return errorResponse(err, false, cors);
    }
  }

  return async (req) => {
    const started = Date.now();
    const cors = corsHeaders(req, config.allowedOrigins);
    logRefusedOrigin(req, config.allowedOrigins);
    switch (req.method) {
      case "OPTIONS":
        return noContent(preflightHeaders(req, config.allowedOrigins));
      case "POST":
        return post(req, cors, started);
      case "DELETE":
        return del(req, cors, started);
      default:
        return errorResponse(new MethodNotAllowed(ALLOWED_METHODS), false, cors);
    }
  };
}

/** What a deployment with broken configuration answers: 500, details in the log only. */
export function misconfiguredHandler(err: Misconfigured): FetchHandler {
  return async () => errorResponse(err, false, {});
}
