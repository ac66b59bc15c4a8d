/**
 * The web-standard core of the endpoint, `(Request) => Promise<Response>`: what
 * the Netlify function and `npm start` both run. Parsing lives in http/parse.ts,
 * CORS in http/cors.ts, and the mapping of error codes to statuses in
 * http/respond.ts, the only place a status is decided.
 */
import { loadConfig, type Config, type Env } from "./config.ts";
import {
  DatabaseError,
  IdentityProviderUnavailable,
  isTokenExchangeError,
  MethodNotAllowed,
  Misconfigured,
  type TokenExchangeError,
} from "./errors.ts";
import { createTokenExchange, type TokenExchange } from "./exchange.ts";
import { mapFaunaError } from "./fauna.ts";
import { log } from "./log.ts";
import { revokeUserTokens, type RevokeResult, type RevokeUserOptions } from "./revoke.ts";
import { ALLOWED_METHODS, ISSUED_TOKEN_TYPE, parseTokenRequest } from "./http/parse.ts";
import { corsHeaders, preflightHeaders } from "./http/cors.ts";
import { errorResponse, errorShape, noContent, ok } from "./http/respond.ts";

export { errorShape } from "./http/respond.ts";
export { parseTokenRequest, MAX_BODY_BYTES, ALLOWED_METHODS, TOKEN_EXCHANGE_GRANT, SUBJECT_TOKEN_TYPES, ISSUED_TOKEN_TYPE } from "./http/parse.ts";

export type FetchHandler = (req: Request) => Promise<Response>;

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
}

function asTyped(e: unknown): TokenExchangeError {
  if (isTokenExchangeError(e)) return e;
  return new DatabaseError("unexpected");
}

function logFailure(event: string, err: TokenExchangeError, status: number, started: number, cause?: unknown): void {
  const detail: Record<string, unknown> = { outcome: err.code, status, duration_ms: Date.now() - started };
  if (err instanceof Misconfigured) detail.problems = err.problems;
  if (err instanceof DatabaseError && err.faunaCode) detail.fauna_code = err.faunaCode;
  if (err instanceof IdentityProviderUnavailable && err.cause) detail.idp = err.cause;
  if (cause !== undefined && cause !== err) detail.cause = cause;
  log(status >= 500 ? "error" : "info", event, detail);
}

export function createHttpHandler(opts: HttpHandlerOptions): FetchHandler {
  const { exchange } = opts;
  const config: Config = exchange.config;
  const revoke = opts.revoke ?? revokeUserTokens;

  async function post(req: Request, cors: Record<string, string>, started: number): Promise<Response> {
    let form = false;
    try {
      const parsed = await parseTokenRequest(req, { allowForm: true });
      form = parsed.form;
      const result = await exchange.exchange(parsed.jwt, { recordClaims: config.ledgerClaims });
      log("info", "token_exchange", { outcome: "issued", status: 200, sub: result.sub, duration_ms: Date.now() - started });
      const body = form
        ? { access_token: result.secret, issued_token_type: ISSUED_TOKEN_TYPE, token_type: "Bearer", expires_in: result.expiresIn }
        : { secret: result.secret, expires_at: result.expiresAt.toISOString(), expires_in: result.expiresIn };
      return ok(body, cors);
    } catch (e) {
      const err = asTyped(e);
      logFailure("token_exchange", err, errorShape(err, form).status, started, e);
      return errorResponse(err, form, cors);
    }
  }

  async function del(req: Request, cors: Record<string, string>, started: number): Promise<Response> {
    try {
      const { jwt } = await parseTokenRequest(req, { allowForm: false });
      const verified = await exchange.verify(jwt);
      let result: RevokeResult & { workRemaining?: boolean };
      try {
        result = await revoke(exchange.client, verified.sub, {
          usersIndex: config.usersIndex,
          timeBudgetMs: Math.max(0, REVOKE_TIME_BUDGET_MS - (Date.now() - started)),
        });
      } catch (e) {
        throw mapFaunaError(e);
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
      logFailure("token_revoke", err, errorShape(err, false).status, started, e);
      return errorResponse(err, false, cors);
    }
  }

  return async (req) => {
    const started = Date.now();
    const cors = corsHeaders(req, config.allowedOrigins);
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

/**
 * Configuration from `env` and the clients, made once (per cold start). A bad
 * configuration is logged once, naming every problem, and every request then
 * gets a 500 instead of the function crashing with an opaque error.
 */
export function handlerFromEnv(env: Env): FetchHandler {
  try {
    return createHttpHandler({ exchange: createTokenExchange(loadConfig(env)) });
  } catch (e) {
    if (!(e instanceof Misconfigured)) throw e;
    log("error", "configuration_invalid", { problems: e.problems });
    return misconfiguredHandler(e);
  }
}
