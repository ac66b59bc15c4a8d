/**
 * The web-standard core of the scheduled cleanup, `(Request) => Promise<Response>`: what
 * Netlify's scheduled function and Vercel's cron route both bind. The request carries
 * nothing the cleanup needs (Netlify sends `{"next_run": …}`, Vercel a GET), so every
 * request runs one time-boxed cleanup (lib/core/cleanup.ts) and answers its summary.
 *
 * What it runs with (the Fauna client and the settings) is made by `setup` on the first
 * request of a cold start and reused by warm ones. A setup failure is not kept: it is
 * logged (variable names, never values) and answered 500, and the next request tries again.
 */
import type faunadb from "faunadb";
import { deleteExpiredTokens, type CleanupOptions } from "../core/cleanup.ts";
import { log } from "../core/log.ts";
import { InternalError, TokenExchangeError } from "../core/errors/index.ts";
import { cleanupFailed, cleanupSummary, type FetchHandler } from "./respond.ts";

export interface CleanupSetup {
  client: faunadb.Client;
  options: CleanupOptions;
}

function errorCode(err: unknown): string {
  return err instanceof TokenExchangeError ? err.code : InternalError.code;
}

export function createCleanupHandler(setup: () => CleanupSetup): FetchHandler {
  let made: CleanupSetup | undefined;
  return async () => {
    try {
      made ??= setup();
      // FaunaDB's failures end the run and are in its summary; only a bug can throw here.
      return cleanupSummary(await deleteExpiredTokens(made.client, made.options));
    } catch (err) {
      const code = errorCode(err);
      log("error", "delete-expired-tokens", { error: { code, message: err instanceof Error ? err.message : String(err) } });
      return cleanupFailed(code);
    }
  };
}
