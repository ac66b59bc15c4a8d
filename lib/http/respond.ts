/**
 * The JSON responses of the exchange and of the cleanup's routes, and a typed error as
 * one: its status from the table in statuses.ts, its headers and body here.
 */
import { DEFAULT_RETRY_AFTER_SECONDS, IndexNotActive, INDEX_BUILD_RETRY_AFTER_SECONDS, MethodNotAllowed, type TokenExchangeError } from "../core/errors/index.ts";
import { outcomeOf, SERVER_ERROR } from "./statuses.ts";

/** A web-standard handler: what every platform binds. */
export type FetchHandler = (req: Request) => Promise<Response>;

const SERVER_ERROR_DESCRIPTION = "The token service failed; try again later.";

interface ErrorShape {
  status: number;
  error: string;
  description: string;
}

/**
 * Status, OAuth error and description of a typed error. `form` is the RFC 8693 flavour,
 * where an invalid subject token is a 400 invalid_request (RFC 8693 §2.2.2) rather than
 * RFC 6750's 401. A 500's description says nothing from inside: the detail is logged.
 */
export function errorShape(err: TokenExchangeError, form: boolean): ErrorShape {
  const { status, error } = outcomeOf(err.code, form);
  return { status, error, description: status === SERVER_ERROR.status ? SERVER_ERROR_DESCRIPTION : err.message };
}

export function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      // RFC 6749 §5.1: responses carrying credentials must not be cached (Pragma for old proxies).
      "cache-control": "no-store",
      pragma: "no-cache",
      ...headers,
    },
  });
}

/** RFC 6750 §3 quoted-string: no quotes or backslashes, printable ASCII only. */
function quoted(s: string): string {
  return s.replace(/[^\x20-\x7e]|["\\]/g, "'");
}

/** A success: 200 with a JSON body (never cached: it may carry a secret). */
export function ok(body: unknown, headers: Record<string, string>): Response {
  return json(200, body, headers);
}

/** A preflight's answer: no body, no content. */
export function noContent(headers: Record<string, string>): Response {
  return new Response(null, { status: 204, headers });
}

/** A path the function is not routed at (what Netlify answers for it, as plain text). */
export function routeNotFound(): Response {
  return new Response("Not found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/**
 * The handler itself threw (a bug): the same OAuth shape as every other failure, with
 * nothing about what happened (that goes to the log).
 */
export function handlerCrashed(): Response {
  return json(500, { error: "server_error", error_description: SERVER_ERROR_DESCRIPTION }, {});
}

function retryAfterSeconds(err: TokenExchangeError): number {
  const s = err.retryAfterSeconds;
  return s !== undefined && s > 0 ? Math.ceil(s) : DEFAULT_RETRY_AFTER_SECONDS;
}

export function errorResponse(err: TokenExchangeError, form: boolean, cors: Record<string, string>): Response {
  const shape = errorShape(err, form);
  const headers: Record<string, string> = { ...cors };
  if (shape.status === 401) {
    headers["www-authenticate"] = `Bearer error="${shape.error}", error_description="${quoted(shape.description)}"`;
  }
  if (shape.status === 405 && err instanceof MethodNotAllowed) headers.allow = err.allowed.join(", ");
  if (shape.status === 503) headers["retry-after"] = String(retryAfterSeconds(err));
  return json(shape.status, { error: shape.error, error_description: shape.description }, headers);
}

// ---------------------------------------------------------------- the cleanup's routes

/**
 * The cleanup's answer: its summary, 500 when the run stopped on an error, 503 with
 * Retry-After when the error is an index FaunaDB is still building (not yet, not broken).
 */
export function cleanupSummary(summary: { stoppedBy: string; error?: { code: string } }): Response {
  if (summary.error?.code === IndexNotActive.code) return json(503, summary, { "retry-after": String(INDEX_BUILD_RETRY_AFTER_SECONDS) });
  return json(summary.stoppedBy === "error" ? 500 : 200, summary, {});
}

/** The cleanup could not start (its configuration, a bug): the detail is in the log. */
export function cleanupFailed(code: string): Response {
  return json(500, { error: "server_error", error_description: `The cleanup could not run (${code}); see the function's log.` }, {});
}

/** Vercel Cron's route without the right `Authorization: Bearer $CRON_SECRET`. */
export function cronUnauthorized(): Response {
  return json(
    401,
    { error: "invalid_token", error_description: "This route is run by Vercel Cron with Authorization: Bearer $CRON_SECRET." },
    { "www-authenticate": 'Bearer error="invalid_token"' },
  );
}

/** Vercel Cron's route while CRON_SECRET is unset: it refuses everything. */
export function cronNotConfigured(): Response {
  return json(500, { error: "server_error", error_description: "The cron route is not configured." }, {});
}
