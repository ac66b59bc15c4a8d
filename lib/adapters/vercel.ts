/**
 * Vercel: the route handlers that api/ binds, each built once per instance from the
 * environment, within vercel.json's `maxDuration` of each function.
 */
import type { Env } from "../core/config/load.ts";
import { PLATFORM_LIMITS_MS } from "../core/budgets.ts";
import type { FetchHandler } from "../http/respond.ts";
import { cleanupHandlerFromEnv, handlerFromEnv, requireCronSecret } from "./from-env.ts";

/**
 * api/token.ts's exports, one per method Vercel routes: every method goes to the one
 * handler, so that those it does not serve get the same OAuth-shaped 405 with `Allow` as
 * on Netlify, not Vercel's own.
 */
export function vercelTokenRoutes(env: Env): Record<"POST" | "DELETE" | "OPTIONS" | "GET" | "PUT" | "PATCH" | "HEAD", FetchHandler> {
  const handle = handlerFromEnv(env, PLATFORM_LIMITS_MS.vercelToken);
  return { POST: handle, DELETE: handle, OPTIONS: handle, GET: handle, PUT: handle, PATCH: handle, HEAD: handle };
}

/** Vercel Cron's route (a GET): the cleanup, only for `Authorization: Bearer $CRON_SECRET`. */
export function vercelCronRoute(env: Env): FetchHandler {
  return requireCronSecret(env, cleanupHandlerFromEnv(env, PLATFORM_LIMITS_MS.vercelCron));
}
