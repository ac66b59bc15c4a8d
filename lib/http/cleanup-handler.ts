/**
 * The web-standard core of the scheduled cleanup, `(Request) => Promise<Response>`: what
 * Netlify's scheduled function and Vercel's cron route both bind. The request carries
 * nothing the cleanup needs (Netlify sends `{"next_run": …}`, Vercel a GET), so every
 * request runs one time-boxed cleanup (lib/cleanup.ts) and answers its summary.
 *
 * The Fauna client and the settings are made on the first request of a cold start and
 * reused by warm ones. A setup failure is not kept: it is logged (variable names, never
 * values) and answered 500, and the next request tries again.
 */
import type faunadb from "faunadb";
import { loadFaunaConfig, type Env } from "../core/config/load.ts";
import { createFaunaClient } from "../core/fauna/failures.ts";
import { cleanupOptionsFromEnv, deleteExpiredTokens, type CleanupOptions } from "../core/cleanup.ts";
import { log } from "../core/log.ts";
import { InternalError, TokenExchangeError } from "../core/errors/index.ts";
import type { FetchHandler } from "./token-handler.ts";
import { cleanupFailed, cleanupSummary } from "./respond.ts";

interface Setup {
  client: faunadb.Client;
  options: CleanupOptions;
}

function errorCode(err: unknown): string {
  return err instanceof TokenExchangeError ? err.code : InternalError.code;
}

export function cleanupHandlerFromEnv(env: Env): FetchHandler {
  let setup: Setup | undefined;
  return async () => {
    try {
      setup ??= { client: createFaunaClient(loadFaunaConfig(env)), options: cleanupOptionsFromEnv(env) };
      // FaunaDB's failures end the run and are in its summary; only a bug can throw here.
      return cleanupSummary(await deleteExpiredTokens(setup.client, setup.options));
    } catch (err) {
      const code = errorCode(err);
      log("error", "delete-expired-tokens", { error: { code, message: err instanceof Error ? err.message : String(err) } });
      return cleanupFailed(code);
    }
  };
}
