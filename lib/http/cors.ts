/**
 * CORS for the origins in ALLOWED_ORIGINS, and nothing for anyone else. Headers only:
 * statuses are decided in statuses.ts.
 */
import { log } from "../core/log.ts";
import { ALLOWED_METHODS } from "./parse.ts";

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Response headers a browser may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = "WWW-Authenticate, Retry-After";

function granted(origin: string | null, allowed: readonly string[]): string | undefined {
  if (!origin) return undefined;
  if (allowed.includes("*")) return "*";
  return allowed.includes(origin) ? origin : undefined;
}

export function corsHeaders(req: Request, allowed: readonly string[]): Record<string, string> {
  const grant = granted(req.headers.get("origin"), allowed);
  // Vary always: whether and what is granted depends on Origin, so a cache must never
  // serve one origin's answer to another.
  if (!grant) return { vary: "Origin" };
  return { "access-control-allow-origin": grant, "access-control-expose-headers": EXPOSED_HEADERS, vary: "Origin" };
}

/** The headers of the answer to a preflight (its status is statuses.ts's to decide). */
export function preflightHeaders(req: Request, allowed: readonly string[]): Record<string, string> {
  const cors = corsHeaders(req, allowed);
  const headers: Record<string, string> = { ...cors, allow: ALLOWED_METHODS.join(", ") };
  if (cors["access-control-allow-origin"]) {
    headers["access-control-allow-methods"] = "POST, DELETE";
    headers["access-control-allow-headers"] = "Authorization, Content-Type";
    headers["access-control-max-age"] = String(PREFLIGHT_MAX_AGE_SECONDS);
  }
  return headers;
}

/** Distinct refused origins logged per cold start; beyond it, silence (a flood must not flood the log). */
export const MAX_LOGGED_REFUSED_ORIGINS = 50;

/**
 * A browser refuses a response without a CORS grant, and the page only sees a network
 * error: the operator's one clue is this log line, once per origin per cold start.
 */
export function refusedOriginLogger(): (req: Request, allowed: readonly string[]) => void {
  const seen = new Set<string>();
  return (req, allowed) => {
    const origin = req.headers.get("origin");
    if (!origin || granted(origin, allowed) || seen.has(origin) || seen.size >= MAX_LOGGED_REFUSED_ORIGINS) return;
    seen.add(origin);
    log("warn", "cors_origin_refused", {
      origin: origin.slice(0, 200),
      allowed_origins: allowed.length > 0 ? allowed : "(none: ALLOWED_ORIGINS is empty)",
      hint: "add this origin to ALLOWED_ORIGINS if a frontend there calls /api/token",
    });
  };
}
