/**
 * Netlify: the v2 functions (`export default (req) => Response`) that
 * netlify/functions/*.mts bind, each built once per cold start from the environment.
 */
import type { Env } from "../core/config/load.ts";
import { PLATFORM_LIMITS_MS, REQUEST_LIMIT_MS } from "../core/budgets.ts";
import type { FetchHandler } from "../http/respond.ts";
import { cleanupHandlerFromEnv, handlerFromEnv } from "./from-env.ts";

/** POST, DELETE and OPTIONS at /api/token. Netlify would allow 60 s; the endpoint keeps to the tightest platform's limit. */
export function netlifyTokenFunction(env: Env): FetchHandler {
  return handlerFromEnv(env, REQUEST_LIMIT_MS);
}

/** The scheduled cleanup, inside Netlify's 30 s for scheduled functions. */
export function netlifyCleanupFunction(env: Env): FetchHandler {
  return cleanupHandlerFromEnv(env, PLATFORM_LIMITS_MS.netlifyScheduled);
}
