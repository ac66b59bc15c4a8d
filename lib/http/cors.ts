/** CORS for the origins in ALLOWED_ORIGINS, and nothing for anyone else. */
import { ALLOWED_METHODS } from "./parse.ts";

const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function corsHeaders(req: Request, allowed: readonly string[]): Record<string, string> {
  const origin = req.headers.get("origin");
  if (allowed.includes("*")) return origin ? { "access-control-allow-origin": "*" } : {};
  // Vary even when refusing, so a cache never serves one origin's answer to another.
  if (!origin || !allowed.includes(origin)) return { vary: "Origin" };
  return { "access-control-allow-origin": origin, vary: "Origin" };
}

export function preflight(req: Request, allowed: readonly string[]): Response {
  const cors = corsHeaders(req, allowed);
  const headers: Record<string, string> = { ...cors, allow: ALLOWED_METHODS.join(", ") };
  if (cors["access-control-allow-origin"]) {
    headers["access-control-allow-methods"] = "POST, DELETE";
    headers["access-control-allow-headers"] = "Authorization, Content-Type";
    headers["access-control-max-age"] = String(PREFLIGHT_MAX_AGE_SECONDS);
  }
  return new Response(null, { status: 204, headers });
}
