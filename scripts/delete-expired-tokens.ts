/**
 * npm run delete-expired-tokens [-- --dry-run] [--page-size N] [--time-budget-ms MS]
 *
 * The same cleanup the scheduled function runs, from a shell. Without a time budget it
 * runs until nothing expired is left (a shell has no 30 s limit). On a terminal it shows
 * its progress and a sentence at the end; anywhere else (a cron job, a pipe) and with
 * --json it prints exactly one JSON summary line. Exit codes and errors:
 * scripts/command-line.ts.
 */
import { asCommandError, CommandError, EXIT, runCommand, usageError } from "./command-line.ts";
import { cleanupOptionsFromEnv, loadFaunaConfig } from "../lib/core/config/load.ts";
import { mapFaunaError } from "../lib/core/fauna/failures.ts";
import { createFaunaClient } from "../lib/core/fauna/client.ts";
import { deleteExpiredTokens, type CleanupOptions, type CleanupSummary } from "../lib/core/cleanup.ts";
import { CleanupConfigError } from "../lib/core/errors/index.ts";

const USAGE = `Usage: npm run delete-expired-tokens -- [options]

Deletes the ledger entries of expired secrets in FaunaDB, and the tokens themselves
where FaunaDB has not already removed them by their ttl. Reads only expired entries.

Options:
  --dry-run             only count the expired entries; delete nothing
  --page-size N         ledger entries per query (default: CLEANUP_PAGE_SIZE or 250)
  --time-budget-ms MS   stop starting new pages after this long; no query runs
                        past MS + 5000 (default: CLEANUP_TIME_BUDGET_MS, or no
                        limit; each query is abandoned after 8 s regardless)

On a terminal it shows its progress (pages, entries deleted, entries per second)
and ends with a sentence; otherwise, and with --json, it prints one JSON summary
line. Stopped by the time budget is done for now (exit 0, "workRemaining": true).

Environment: FAUNA_ENDPOINT, FAUNA_SECRET (a server key), CLEANUP_PAGE_SIZE,
CLEANUP_TIME_BUDGET_MS.`;

const n = (x: number) => x.toLocaleString("en-US");
const rate = (s: Pick<CleanupSummary, "expiredEntries" | "durationMs">) => n(Math.round(s.expiredEntries / Math.max(s.durationMs / 1000, 0.001)));

function progressLine(s: Readonly<CleanupSummary>): string {
  const did = s.dryRun ? `${n(s.expiredEntries)} expired entries counted` : `${n(s.ledgerEntriesDeleted)} entries deleted (${n(s.tokensDeleted)} tokens)`;
  return `page ${n(s.pages)}: ${did}, ${rate(s)} entries/s`;
}

function sentence(s: CleanupSummary): string {
  const time = `${n(s.pages)} page(s), ${(s.durationMs / 1000).toFixed(1)} s, ${rate(s)} entries/s`;
  const head = s.dryRun
    ? `Dry run: ${n(s.expiredEntries)} expired ledger entries (${n(s.tokensAlreadyGone)} of their tokens already gone by their ttl); nothing deleted (${time}).`
    : `Deleted ${n(s.ledgerEntriesDeleted)} expired ledger entries and ${n(s.tokensDeleted)} tokens (${n(s.tokensAlreadyGone)} already gone by their ttl) in ${time}.`;
  const tail = s.workRemaining ? "Stopped by the time budget: more has expired; run again to carry on." : s.dryRun ? "" : "Nothing expired is left.";
  const halved = s.reducedPageSize ? `FaunaDB timed out on pages of ${n(s.pageSize)}: pages were halved to ${n(s.reducedPageSize)}; lower --page-size or CLEANUP_PAGE_SIZE.` : "";
  return [head, tail, halved].filter((line) => line !== "").join("\n");
}

/** Validated apart, so that a bad flag is a usage error and a bad variable a configuration one. */
function options(flags: { pageSize?: string; timeBudgetMs?: string }): Pick<CleanupOptions, "pageSize" | "timeBudgetMs"> {
  const fromEnv = (() => {
    try {
      return cleanupOptionsFromEnv(process.env);
    } catch (e) {
      if (e instanceof CleanupConfigError) throw new CommandError(EXIT.usage, "ERR_MISCONFIGURED", e.problems.join("; "));
      throw e;
    }
  })();
  try {
    return { ...fromEnv, ...cleanupOptionsFromEnv({ CLEANUP_PAGE_SIZE: flags.pageSize, CLEANUP_TIME_BUDGET_MS: flags.timeBudgetMs }) };
  } catch (e) {
    if (e instanceof CleanupConfigError) throw usageError(e.problems.join("; ").replace("CLEANUP_PAGE_SIZE", "--page-size").replace("CLEANUP_TIME_BUDGET_MS", "--time-budget-ms"));
    throw e;
  }
}

// A person watching: progress and a sentence. Anything else (cron, a pipe, a file): one JSON line.
const onTerminal = process.stdout.isTTY === true;

process.exitCode = await runCommand({
  name: "delete-expired-tokens",
  usage: USAGE,
  options: { "dry-run": { type: "boolean" }, "page-size": { type: "string" }, "time-budget-ms": { type: "string" } },
  jsonByDefault: () => !onTerminal,
  async run({ values, json }) {
    const settings = options({ pageSize: values["page-size"], timeBudgetMs: values["time-budget-ms"] });
    const fauna = loadFaunaConfig(process.env);
    const client = createFaunaClient(fauna);
    const progress = !json && process.stderr.isTTY === true;
    let failure: unknown;
    try {
      const summary = await deleteExpiredTokens(client, {
        dryRun: values["dry-run"] === true,
        timeBudgetMs: Number.POSITIVE_INFINITY,
        ...settings,
        // The command prints its own summary below, once.
        log: () => undefined,
        onError: (e) => (failure = e),
        ...(progress ? { onPage: (s: Readonly<CleanupSummary>) => void process.stderr.write(`\r\x1b[K${progressLine(s)}`) } : {}),
      });
      if (progress && summary.pages > 0) process.stderr.write("\r\x1b[K");
      if (summary.stoppedBy === "error") {
        // The cleanup's own errors (a page that deleted nothing) keep their code; the rest is FaunaDB's.
        const err = asCommandError(mapFaunaError(failure, { endpoint: fauna.endpoint, operation: "delete-expired-tokens", needs: "a server key" }));
        throw new CommandError(err.exit, err.code, err.message, {
          details: { ...err.extra.details, cause: summary.error },
          result: { ...summary },
          notes: [`Deleted ${n(summary.ledgerEntriesDeleted)} expired ledger entries before it stopped; the next run carries on.`],
        });
      }
      return { result: { ...summary }, text: sentence(summary) };
    } finally {
      await client.close().catch(() => undefined);
    }
  },
});
