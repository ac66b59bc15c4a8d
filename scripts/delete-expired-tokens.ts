/**
 * npm run delete-expired-tokens [-- --dry-run] [--page-size N] [--time-budget-ms MS]
 *
 * The same cleanup the scheduled function runs, from a shell. Without a time budget it
 * runs until nothing expired is left (a shell has no 30 s limit).
 */
import { HELP_OPTION, parseCommandLine, usageError } from "./command-line.ts";
import { loadFaunaConfig } from "../lib/config.ts";
import { createFaunaClient } from "../lib/fauna.ts";
import { cleanupOptionsFromEnv, deleteExpiredTokens, CleanupConfigError, type CleanupOptions } from "../lib/cleanup.ts";

const HELP = `Usage: npm run delete-expired-tokens -- [options]

Deletes the ledger entries of expired secrets in FaunaDB, and the tokens themselves
where FaunaDB has not already removed them by their ttl. Reads only expired entries.

Options:
  --dry-run             only count the expired entries; delete nothing
  --page-size N         ledger entries per query (default: CLEANUP_PAGE_SIZE or 250)
  --time-budget-ms MS   stop starting new pages after this long; no query runs
                        past MS + 5000 (default: CLEANUP_TIME_BUDGET_MS, or no
                        limit; each query is abandoned after 8 s regardless)
  -h, --help            show this help

Environment: FAUNA_ENDPOINT, FAUNA_SECRET (a server key), CLEANUP_PAGE_SIZE,
CLEANUP_TIME_BUDGET_MS.

Prints one JSON summary. Exit status: 0 done (or stopped by the budget: see
"workRemaining"), 1 the database failed, 2 bad usage or configuration.`;

async function main(): Promise<number> {
  const parsed = parseCommandLine(HELP, {
    options: {
      "dry-run": { type: "boolean" },
      "page-size": { type: "string" },
      "time-budget-ms": { type: "string" },
      ...HELP_OPTION,
    },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  let client;
  const options: CleanupOptions = { dryRun: values["dry-run"] ?? false, timeBudgetMs: Number.POSITIVE_INFINITY };
  try {
    const fromEnv = cleanupOptionsFromEnv(process.env);
    // Flags win over the environment; both are validated by the same rules.
    const fromFlags = cleanupOptionsFromEnv({ CLEANUP_PAGE_SIZE: values["page-size"], CLEANUP_TIME_BUDGET_MS: values["time-budget-ms"] });
    Object.assign(options, fromEnv, fromFlags);
    client = createFaunaClient(loadFaunaConfig(process.env));
  } catch (err) {
    if (err instanceof CleanupConfigError) return usageError(HELP, err.message.replace("CLEANUP_PAGE_SIZE", "--page-size / CLEANUP_PAGE_SIZE").replace("CLEANUP_TIME_BUDGET_MS", "--time-budget-ms / CLEANUP_TIME_BUDGET_MS"));
    console.error((err as Error).message);
    return 2;
  }
  try {
    const summary = await deleteExpiredTokens(client, { ...options, log: (s) => console.log(JSON.stringify(s, null, 2)) });
    if (summary.error) console.error(`delete-expired-tokens stopped: ${summary.error.code} (${summary.error.name})`);
    return summary.error ? 1 : 0;
  } finally {
    await client.close().catch(() => undefined);
  }
}

process.exitCode = await main();
