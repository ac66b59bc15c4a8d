/**
 * CORS for the origins in ALLOWED_ORIGINS and for the request's own origin, and nothing
 * for anyone else. Headers only: statuses are decided in statuses.ts. The dev issuer's
 * `/mint` answers with these same functions (lib/dev/issuer.ts).
 */
import { log, type LogFields } from "../core/log.ts";
import { ALLOWED_METHODS } from "./parse.ts";

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Response headers a browser may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = "WWW-Authenticate, Retry-After";

/** A URL's host: a name or address and a port, nothing else (no path, no credentials). */
export const HOST_SYNTAX = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;

/** The methods the token endpoint's preflight grants (OPTIONS is the preflight itself). */
const TOKEN_METHODS = ALLOWED_METHODS.filter((m) => m !== "OPTIONS");

/**
 * The origins a request was sent to, as the handler sees it: its URL's (Netlify and
 * Vercel give the function the URL the browser asked for, custom domain included, and
 * the Node adapter builds it from `Host`), and, behind a proxy that forwards a site's
 * `/api/token` from another host, `X-Forwarded-Host`'s (first value, with
 * `X-Forwarded-Proto`'s scheme or the URL's). A page cannot claim one it is not on: a
 * browser sets `Host` itself, and sends an `X-Forwarded-Host` of a script's only after a
 * preflight, whose own `X-Forwarded-Host`, if any, is a proxy's.
 */
export function ownOrigins(req: Request): string[] {
  const url = new URL(req.url);
  const own = [url.origin];
  const host = req.headers.get("x-forwarded-host")?.split(",")[0]?.trim() ?? "";
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() || url.protocol.slice(0, -1);
  if (HOST_SYNTAX.test(host) && (proto === "http" || proto === "https")) {
    try {
      own.push(new URL(`${proto}://${host}`).origin);
    } catch {
      // Not a host after all: no origin of this request.
    }
  }
  return own;
}

/** What `origin` is granted: `*`, itself, or nothing. */
function granted(req: Request, origin: string | null, allowed: readonly string[]): string | undefined {
  if (!origin) return undefined;
  if (allowed.includes("*")) return "*";
  // Its own origin: what a page there may read anyway, granted in case a browser asks.
  return allowed.includes(origin) || ownOrigins(req).includes(origin) ? origin : undefined;
}

export function corsHeaders(req: Request, allowed: readonly string[]): Record<string, string> {
  const grant = granted(req, req.headers.get("origin"), allowed);
  // Vary always: whether and what is granted depends on Origin, so a cache must never
  // serve one origin's answer to another.
  if (!grant) return { vary: "Origin" };
  return { "access-control-allow-origin": grant, "access-control-expose-headers": EXPOSED_HEADERS, vary: "Origin" };
}

/**
 * The headers of the answer to a preflight (its status is statuses.ts's to decide), for a
 * resource that answers `methods` (the token endpoint's by default).
 */
export function preflightHeaders(req: Request, allowed: readonly string[], methods: readonly string[] = TOKEN_METHODS): Record<string, string> {
  const cors = corsHeaders(req, allowed);
  const headers: Record<string, string> = { ...cors, allow: [...methods, "OPTIONS"].join(", ") };
  if (cors["access-control-allow-origin"]) {
    headers["access-control-allow-methods"] = methods.join(", ");
    headers["access-control-allow-headers"] = "Authorization, Content-Type";
    headers["access-control-max-age"] = String(PREFLIGHT_MAX_AGE_SECONDS);
  }
  return headers;
}

/** Distinct refused origins logged per cold start; beyond it, silence (a flood must not flood the log). */
export const MAX_LOGGED_REFUSED_ORIGINS = 50;

/**
 * A browser refuses a response without a CORS grant, and the page only sees a network
 * error: the operator's one clue is this log line, once per origin per cold start. A
 * request from its own origin is never refused, so never logged. `fields` say what else
 * the line should tell (the dev issuer's say it was `/mint`).
 */
export function refusedOriginLogger(fields: LogFields = {}): (req: Request, allowed: readonly string[]) => void {
  const seen = new Set<string>();
  return (req, allowed) => {
    const origin = req.headers.get("origin");
    if (!origin || granted(req, origin, allowed) || seen.has(origin) || seen.size >= MAX_LOGGED_REFUSED_ORIGINS) return;
    seen.add(origin);
    log("warn", "cors_origin_refused", {
      origin: origin.slice(0, 200),
      allowed_origins: allowed.length > 0 ? allowed : "(none: ALLOWED_ORIGINS is empty)",
      hint: "add this origin to ALLOWED_ORIGINS if a frontend there calls /api/token",
      ...fields,
    });
  };
}
