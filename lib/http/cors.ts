/**
 * CORS for the origins in ALLOWED_ORIGINS, and nothing for anyone else. Headers only:
 * statuses are decided in respond.ts.
 */
import { ALLOWED_METHODS } from "./parse.ts";

const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** Response headers a browser may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = "WWW-Authenticate, Retry-After";

export function corsHeaders(req: Request, allowed: readonly string[]): Record<string, string> {
  const origin = req.headers.get("origin");
  if (allowed.includes("*")) {
    return origin ? { "access-control-allow-origin": "*", "access-control-expose-headers": EXPOSED_HEADERS } : {};
  }
  // Vary even when refusing, so a cache never serves one origin's answer to another.
  if (!origin || !allowed.includes(origin)) return { vary: "Origin" };
  return { "access-control-allow-origin": origin, "access-control-expose-headers": EXPOSED_HEADERS, vary: "Origin" };
}

/** The headers of the answer to a preflight (its status is respond.ts's to decide). */
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
