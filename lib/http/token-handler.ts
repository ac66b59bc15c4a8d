/**
 * The token endpoint as a web-standard `(Request) => Promise<Response>`: what the
 * Netlify and Vercel functions and `npm start` all run. Three named handlers, one per
 * method, over what they share: parsing (parse.ts), CORS (cors.ts), responses
 * (respond.ts, with statuses from statuses.ts) and the failure log line (failure-log.ts).
 *
 * Each request gets a `Deadline` as it arrives, from budgets.ts (the platforms' limit):
 * its body must have arrived by the body's share of it, and the JWKS fetch and every
 * query it makes end by it.
 */
import type { Config } from "../core/config/load.ts";
import { InternalError, isTokenExchangeError, MethodNotAllowed, type Misconfigured, type TokenExchangeError } from "../core/errors/index.ts";
import type { TokenExchange } from "../core/exchange/exchange.ts";
import { log } from "../core/log.ts";
import type { RevokeUserTokens } from "../core/revoke.ts";
import { requestBudgets, type RequestBudgets } from "../core/budgets.ts";
import { Deadline } from "../core/deadline.ts";
import { ALLOWED_METHODS, ISSUED_TOKEN_TYPE, parseTokenRequest } from "./parse.ts";
import { corsHeaders, preflightHeaders, refusedOriginLogger } from "./cors.ts";
import { errorResponse, errorShape, noContent, ok, type FetchHandler } from "./respond.ts";
import { logFailure } from "./failure-log.ts";

export { errorShape } from "./respond.ts";
export { parseTokenRequest, MAX_BODY_BYTES, ALLOWED_METHODS, TOKEN_EXCHANGE_GRANT, SUBJECT_TOKEN_TYPES, ISSUED_TOKEN_TYPE } from "./parse.ts";
export type { FetchHandler } from "./respond.ts";
export type { RevokeUserTokens } from "../core/revoke.ts";

/**
 * DELETE's share of the request, counted from its arrival (JWT verification included):
 * revocation starts no batch it expects to end after it, and one started before may run
 * the revoke slack past it. What is left is reported as `complete: false`, and calling
 * again carries on.
 */
export const REVOKE_TIME_BUDGET_MS = requestBudgets().revokeMs;

export interface HttpHandlerOptions {
  exchange: TokenExchange;
  /** Defaults to lib/core/revoke.ts; the seam exists for wiring, not for tests. */
  revoke?: RevokeUserTokens;
  /** The platform's limit on one request, which the budgets derive from. Default budgets.ts's REQUEST_LIMIT_MS. */
  limitMs?: number;
  /** How long an exchange may take from the request's arrival. Default: the budgets'. */
  exchangeBudgetMs?: number;
}

/** What every named handler is given: the request's arrival, its CORS headers, the setup. */
interface Call {
  req: Request;
  started: number;
  cors: Record<string, string>;
}

interface Setup {
  exchange: TokenExchange;
  config: Config;
  budgets: RequestBudgets;
  revoke: RevokeUserTokens | undefined;
}

/** Anything that is not one of our typed errors is a bug of ours, never the database's. */
function asTyped(e: unknown): TokenExchangeError {
  return isTokenExchangeError(e) ? e : new InternalError();
}

function failed(event: string, e: unknown, form: boolean, call: Call, config: Config): Response {
  const err = asTyped(e);
  logFailure(event, err, errorShape(err, form).status, call.started, config, e);
  return errorResponse(err, form, call.cors);
}

/** POST: the exchange, within the exchange budget. */
async function exchangeRoute(setup: Setup, call: Call): Promise<Response> {
  let form = false;
  try {
    const deadline = Deadline.after(setup.budgets.exchangeMs, call.started);
    const parsed = await parseTokenRequest(call.req, { allowForm: true, deadline, bodyMs: setup.budgets.bodyMs });
    form = parsed.form;
    const result = await setup.exchange.exchange(parsed.jwt, { recordClaims: setup.config.ledgerClaims, deadline });
    log("info", "token_exchange", {
      outcome: "issued",
      status: 200,
      sub: result.sub,
      // With several issuers a `sub` alone does not say who: the issuer too.
      ...((setup.config.issuers?.length ?? 1) > 1 ? { iss: result.issuer } : {}),
      ...(result.evicted > 0 ? { evicted: result.evicted } : {}),
      duration_ms: Date.now() - call.started,
    });
    const body = form
      ? { access_token: result.secret, issued_token_type: ISSUED_TOKEN_TYPE, token_type: "Bearer", expires_in: result.expiresIn }
      : { secret: result.secret, expires_at: result.expiresAt.toISOString(), expires_in: result.expiresIn };
    return ok(body, call.cors);
  } catch (e) {
    return failed("token_exchange", e, form, call, setup.config);
  }
}

/** DELETE: sign the caller out everywhere, within the revoke budget. */
async function revokeRoute(setup: Setup, call: Call): Promise<Response> {
  try {
    const deadline = Deadline.after(setup.budgets.revokeMs, call.started);
    const { jwt } = await parseTokenRequest(call.req, { allowForm: false, deadline, bodyMs: setup.budgets.bodyMs });
    const verified = await setup.exchange.verify(jwt, { deadline });
    // The JWT's iat (checked: not later than now + the clock tolerance) bounds the sign-out from below: this JWT is refused afterwards.
    const iat = typeof verified.claims.iat === "number" ? { issuedAt: verified.claims.iat } : {};
    const result = await setup.exchange.signOut(verified.userKey, { deadline, ...iat, ...(setup.revoke ? { revoke: setup.revoke } : {}) });
    const complete = result.workRemaining !== true;
    log("info", "token_revoke", {
      outcome: complete ? "revoked" : "revoked_partly",
      status: 200,
      sub: verified.sub,
      revoked: result.revoked,
      complete,
      // No user yet, and exchanges create users: the sign-out created it (lib/core/revoke.ts).
      ...(result.userCreated === true ? { user_created: true } : {}),
      duration_ms: Date.now() - call.started,
    });
    return ok({ revoked: result.revoked, complete }, call.cors);
  } catch (e) {
    return failed("token_revoke", e, false, call, setup.config);
  }
}

/** OPTIONS: a CORS preflight. */
function preflightRoute(setup: Setup, call: Call): Response {
  return noContent(preflightHeaders(call.req, setup.config.allowedOrigins));
}

export function createHttpHandler(opts: HttpHandlerOptions): FetchHandler {
  const config = opts.exchange.config;
  const budgets = requestBudgets(opts.limitMs);
  const setup: Setup = {
    exchange: opts.exchange,
    config,
    budgets: opts.exchangeBudgetMs === undefined ? budgets : { ...budgets, exchangeMs: opts.exchangeBudgetMs },
    revoke: opts.revoke,
  };
  const logRefusedOrigin = refusedOriginLogger();
  return async (req) => {
    const call: Call = { req, started: Date.now(), cors: corsHeaders(req, config.allowedOrigins) };
    logRefusedOrigin(req, config.allowedOrigins);
    switch (req.method) {
      case "OPTIONS":
        return preflightRoute(setup, call);
      case "POST":
        return exchangeRoute(setup, call);
      case "DELETE":
        return revokeRoute(setup, call);
      default:
        return errorResponse(new MethodNotAllowed(ALLOWED_METHODS), false, call.cors);
    }
  };
}

/** The token endpoint under its other name: POST, DELETE and OPTIONS at /api/token. */
export const createTokenHandler = createHttpHandler;

/** What a deployment with broken configuration answers: 500, details in the log only. */
export function misconfiguredHandler(err: Misconfigured): FetchHandler {
  return async () => errorResponse(err, false, {});
}
