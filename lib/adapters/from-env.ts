/**
 * The handlers built from an environment the platform passes in (`process.env` in the
 * platform files): the configuration is read once, the log level set from it, and what
 * is built (clients, key caches) is kept for the life of the instance. `limitMs` is what
 * the platform allows one invocation (budgets.ts): the handlers' deadlines derive from it.
 * The Netlify and Vercel adapters are these, bound to their platform.
 */
import { loadCleanupConfig, loadConfig, loadCronSecret, type Env } from "../core/config/load.ts";
import { Misconfigured } from "../core/errors/index.ts";
import { createTokenExchange } from "../core/exchange/exchange.ts";
import { createFaunaClient } from "../core/fauna/client.ts";
import { log, setLogLevel } from "../core/log.ts";
import { REQUEST_LIMIT_MS, runBudgets, SCHEDULED_RUN_LIMIT_MS } from "../core/budgets.ts";
import { createCleanupHandler } from "../http/cleanup-handler.ts";
import { cronGuard } from "../http/cron-auth.ts";
import type { FetchHandler } from "../http/respond.ts";
import { createHttpHandler, misconfiguredHandler } from "../http/token-handler.ts";

/**
 * The token endpoint: configuration and clients made once (per cold start). A bad
 * configuration is logged once, naming every problem, and every request then gets a 500
 * instead of the function crashing with an opaque error.
 */
export function handlerFromEnv(env: Env, limitMs: number = REQUEST_LIMIT_MS): FetchHandler {
  try {
    const config = loadConfig(env);
    setLogLevel(config.logLevel);
    return createHttpHandler({ exchange: createTokenExchange(config), limitMs });
  } catch (e) {
    if (!(e instanceof Misconfigured)) throw e;
    log("error", "configuration_invalid", { problems: e.problems });
    return misconfiguredHandler(e);
  }
}

/** The scheduled cleanup: its configuration and client made on the first run of an instance. */
export function cleanupHandlerFromEnv(env: Env, limitMs: number = SCHEDULED_RUN_LIMIT_MS): FetchHandler {
  return createCleanupHandler(() => {
    const config = loadCleanupConfig(env);
    setLogLevel(config.logLevel);
    const { cleanupMs, cleanupSlackMs } = runBudgets(limitMs);
    return { client: createFaunaClient(config.fauna), options: { timeBudgetMs: cleanupMs, slackMs: cleanupSlackMs, ...config.cleanup } };
  });
}

/** `handler` behind the environment's CRON_SECRET (Vercel Cron's route). */
export function requireCronSecret(env: Env, handler: FetchHandler): FetchHandler {
  return cronGuard(loadCronSecret(env), handler);
}
