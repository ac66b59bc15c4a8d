/**
 * delete-expired-tokens: remove the ledger entries of expired secrets, and the tokens
 * themselves where FaunaDB has not already hidden them, reading nothing but expired
 * entries and stopping on its own before the platform's 30 s limit.
 *
 * How it reads. `auth0_token_exchanges_by_expiration` is ordered by `data.expires_at`,
 * so `Range(Match(index), [], [Now()])` is exactly the expired prefix of the index: the
 * live entries sort after it and are never visited. Each index entry carries the token's
 * and the ledger document's refs (lib/core/ledger/layout.ts), so no document is read to
 * learn what to delete.
 *
 * How it pages. Every page is deleted by the query that read it, so the deleted entries
 * have left the index when the next page is asked for "from the start" again; no cursor
 * is carried between queries, and a run that stops anywhere leaves nothing for the next
 * run to resume except "whatever is still expired", which it finds the same way.
 *
 * Why the ledger document has no `ttl`. FaunaDB hides a document from every read path
 * and drops its index entries the instant its ttl passes. A ledger entry with a ttl at
 * the token's expiry would vanish from the expiration index at the very moment it
 * becomes due, so the cleanup could never see it, and any token that outlived its
 * ledger entry (a token issued without a ttl, or whose ttl was later extended) would
 * become unreachable: exactly the "live token nobody will ever delete" this job exists
 * to prevent. Without a ttl the entry stays visible until this job deletes it, together
 * with its token, in one transaction.
 *
 * What "tokens deleted" means. A token issued by the exchange carries `ttl = expires_at`,
 * so by the time its ledger entry is due FaunaDB already treats the token as gone (401 on
 * use, `Exists` false, invisible to every read, removed by FaunaDB itself) and it cannot
 * be deleted by us: such entries are counted as `tokensAlreadyGone`, not as errors. `tokensDeleted` counts tokens that were
 * still there, i.e. tokens without a ttl or with a ttl later than their ledger expiry.
 */
import type faunadb from "faunadb";
import { MAX_PAGE_SIZE, PAGE_SIZE_CAP_REASON } from "./ledger/limits.ts";
import { asExpiredCountPage, asPageDeleteCounts, countExpiredPageFql, deleteExpiredPageFql } from "./ledger/fql.ts";
import { faunaFailure, inactiveIndex, isFaunaTimeout, isQueryTimeout, isTransientFaunaError } from "./fauna/failures.ts";
import { CleanupConfigError, IndexNotActive, LedgerStalledError, TokenExchangeError } from "./errors/index.ts";
import { TimeBox } from "./time-box.ts";
import { DEFAULT_QUERY_TIMEOUT_MS, runBudgets } from "./budgets.ts";
import { log } from "./log.ts";


/**
 * Measured with `npm run bench:cleanup -- --page-sizes …` (docs/benchmarks.md, "Page size"): the
 * throughput gain flattens out past a few hundred entries per page, while a bigger page
 * makes each transaction (and so the overrun past the time budget, and the window for
 * contention with an overlapping run) longer.
 */
export const DEFAULT_CLEANUP_PAGE_SIZE = 250;
/**
 * A scheduled function stops after 30 s. The run stops *starting* pages (and retries)
 * once the elapsed time plus its slowest page so far would pass the budget, and every
 * query is abandoned at budget + DEFAULT_CLEANUP_SLACK_MS at the latest (see
 * time-box.ts), so a run lasts at most 20 s + 5 s = 25 s whatever FaunaDB does, leaving
 * 5 s of the 30 for the cold start and the final log line (budgets.ts derives both).
 */
export const DEFAULT_CLEANUP_TIME_BUDGET_MS = runBudgets().cleanupMs;
/** How long past the time budget a query started inside it may still run. */
export const DEFAULT_CLEANUP_SLACK_MS = runBudgets().cleanupSlackMs;
/** The biggest page that fits FaunaDB's per-transaction limits, with a margin (ledger/limits.ts). */
export const MAX_CLEANUP_PAGE_SIZE = MAX_PAGE_SIZE;

export interface CleanupOptions {
  /** Ledger entries per page (one query per page). */
  pageSize?: number;
  /** Stop starting new pages once this much time would be spent. `Infinity` = no limit. */
  timeBudgetMs?: number;
  /**
   * How long past `timeBudgetMs` a query started inside the budget may still run before it
   * is abandoned: a run ends by `timeBudgetMs + slackMs`. Default DEFAULT_CLEANUP_SLACK_MS.
   */
  slackMs?: number;
  /** Longest any one query may take (each attempt). Default DEFAULT_QUERY_TIMEOUT_MS (budgets.ts: 8 s). */
  queryTimeoutMs?: number;
  /** Only count expired entries (and how many of their tokens are already gone); delete nothing. */
  dryRun?: boolean;
  /** Millisecond clock for the time box; defaults to `Date.now`. The expiry itself is FaunaDB's `Now()`. */
  now?: () => number;
  /** Receives the run's one summary; defaults to one JSON line on stdout. */
  log?: (summary: CleanupSummary) => void;
  /** Called after each page with the counts so far (a copy): a command line's progress display. */
  onPage?: (soFar: Readonly<CleanupSummary>) => void;
  /**
   * Called once with the failure that ended the run (`stoppedBy: "error"`), as it was
   * thrown: the summary keeps only a description, a caller that must classify it (the
   * command line's exit code) gets the error itself. It may hold the request; never log it.
   */
  onError?: (err: unknown) => void;
  /**
   * Times a page is retried after a transient failure (contention, throttling, a query
   * timeout, unavailable, network). Safe because every delete in a page is guarded.
   * Default 1. After a timeout (FaunaDB's 440 or 503 `time out`, or our own deadline) the
   * retry and the rest of the run ask for pages half as big: the same page would most
   * likely time out again.
   */
  retries?: number;
}

export type CleanupStop = "done" | "time-budget" | "error";

/** The one structured record of a run. Holds counts and settings only: never a secret, never a ref. */
export interface CleanupSummary {
  event: "delete-expired-tokens";
  dryRun: boolean;
  /** Expired ledger entries seen (deleted, or counted in a dry run). */
  expiredEntries: number;
  /** Tokens that still existed and were deleted (0 in a dry run). */
  tokensDeleted: number;
  /** Ledger documents deleted (0 in a dry run). */
  ledgerEntriesDeleted: number;
  /** Expired entries whose token was already gone (FaunaDB's ttl, or a revocation). */
  tokensAlreadyGone: number;
  /** Pages completed. */
  pages: number;
  /** Queries sent, including retries and the failed one, if any. */
  queries: number;
  durationMs: number;
  /** True when the run stopped before the expired set was empty: the next run continues. */
  workRemaining: boolean;
  stoppedBy: CleanupStop;
  pageSize: number;
  /** null when the run had no time limit (the command line's default). */
  timeBudgetMs: number | null;
  /** Present when query timeouts made the run halve its pages: the size it ended with (lower CLEANUP_PAGE_SIZE). */
  reducedPageSize?: number;
  error?: { name: string; code: string; status?: number; message: string; index?: string };
}

/** Summary codes for a FaunaDB that did not answer in time, or could not be reached. */
export const CLEANUP_ERROR_CODES = { timeout: "ERR_FAUNA_TIMEOUT", unavailable: "ERR_FAUNA_UNAVAILABLE" } as const;

/** What a summary may say about a failure: FaunaDB's error code, never the request. */
export function describeError(err: unknown): NonNullable<CleanupSummary["error"]> {
  if (!(err instanceof Error)) return { name: "Error", code: "ERR_UNKNOWN", message: String(err).slice(0, 200) };
  // An index still building is "not yet" (the next run will do), named for the operator.
  const building = inactiveIndex(err);
  if (building !== null) {
    const e = new IndexNotActive(building);
    return { name: e.name, code: e.code, status: faunaFailure(err)!.status, message: e.message, index: building };
  }
  const answer = faunaFailure(err);
  const code = answer
    ? `fauna:${answer.code || `http_${answer.status}`}`
    : isFaunaTimeout(err)
      ? CLEANUP_ERROR_CODES.timeout
      : isTransientFaunaError(err)
        ? CLEANUP_ERROR_CODES.unavailable
        : err instanceof TokenExchangeError
          ? err.code
          : "ERR_UNEXPECTED";
  const out: NonNullable<CleanupSummary["error"]> = { name: err.name, code, message: err.message.slice(0, 200) };
  if (answer) out.status = answer.status;
  return out;
}

function defaultLog(summary: CleanupSummary): void {
  log(summary.error ? "error" : "info", "delete-expired-tokens", { ...summary });
}

/**
 * Runs the cleanup once. Never throws for a FaunaDB failure: the failure ends the run and
 * is reported in the summary (`stoppedBy: "error"`, `workRemaining: true`), and the next
 * run carries on from whatever is still expired.
 */
export async function deleteExpiredTokens(client: faunadb.Client, options: CleanupOptions = {}): Promise<CleanupSummary> {
  const pageSize = options.pageSize ?? DEFAULT_CLEANUP_PAGE_SIZE;
  const timeBudgetMs = options.timeBudgetMs ?? DEFAULT_CLEANUP_TIME_BUDGET_MS;
  const now = options.now ?? Date.now;
  const retries = options.retries ?? 1;
  const slackMs = options.slackMs ?? DEFAULT_CLEANUP_SLACK_MS;
  const queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const dryRun = options.dryRun ?? false;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new CleanupConfigError(`pageSize must be an integer from 1 to ${MAX_CLEANUP_PAGE_SIZE}`);
  if (pageSize > MAX_CLEANUP_PAGE_SIZE) throw new CleanupConfigError(`pageSize must be at most ${MAX_CLEANUP_PAGE_SIZE}: ${PAGE_SIZE_CAP_REASON}`);
  if (!(timeBudgetMs >= 0)) throw new CleanupConfigError("timeBudgetMs must be a non-negative number");
  if (!(slackMs > 0)) throw new CleanupConfigError("slackMs must be a positive number");
  if (!(queryTimeoutMs > 0)) throw new CleanupConfigError("queryTimeoutMs must be a positive number");

  const started = now();
  const summary: CleanupSummary = {
    event: "delete-expired-tokens",
    dryRun,
    expiredEntries: 0,
    tokensDeleted: 0,
    ledgerEntriesDeleted: 0,
    tokensAlreadyGone: 0,
    pages: 0,
    queries: 0,
    durationMs: 0,
    workRemaining: false,
    stoppedBy: "done",
    pageSize,
    timeBudgetMs: Number.isFinite(timeBudgetMs) ? timeBudgetMs : null,
  };

  // Pages start only inside the budget; every query is abandoned at budget + slack.
  const box = new TimeBox({ budgetMs: timeBudgetMs, slackMs, queryTimeoutMs }, started);

  let size = pageSize;
  const send = async (page: (size: number) => faunadb.Expr, pageStart: number): Promise<unknown> => {
    let at = pageStart;
    for (let attempt = 0; ; attempt++) {
      summary.queries++;
      try {
        return await box.query(client, page(size), at);
      } catch (err) {
        // A retry is a page like any other: it must fit in the budget too (a timeout
        // followed by a retry is what would otherwise run into Netlify's limit).
        if (attempt >= retries || !isTransientFaunaError(err)) throw err;
        if (isQueryTimeout(err) && size > 1) summary.reducedPageSize = size = Math.ceil(size / 2);
        at = now();
        if (!box.fits(at)) throw err;
      }
    }
  };

  let after: unknown = null;
  try {
    for (;;) {
      const pageStart = now();
      // The first page always runs, so even a misconfigured budget makes progress.
      if (summary.pages > 0 && !box.fits(pageStart)) {
        summary.workRemaining = true;
        summary.stoppedBy = "time-budget";
        break;
      }
      let more: boolean;
      if (dryRun) {
        const page = asExpiredCountPage(await send((n) => countExpiredPageFql(n, after), pageStart));
        summary.expiredEntries += page.entries;
        summary.tokensAlreadyGone += page.tokensAlreadyGone;
        after = page.after;
        more = after !== null;
      } else {
        const page = asPageDeleteCounts(await send(deleteExpiredPageFql, pageStart));
        summary.expiredEntries += page.entries;
        summary.tokensDeleted += page.tokensDeleted;
        summary.ledgerEntriesDeleted += page.ledgerEntriesDeleted;
        summary.tokensAlreadyGone += page.tokensAlreadyGone;
        if (page.entries > 0 && page.ledgerEntriesDeleted === 0) throw new LedgerStalledError("delete-expired-tokens");
        more = page.more;
      }
      summary.pages++;
      const pageEnd = now();
      box.pageDone(pageStart, pageEnd);
      options.onPage?.({ ...summary, durationMs: pageEnd - started });
      if (!more) break;
    }
  } catch (err) {
    summary.workRemaining = true;
    summary.stoppedBy = "error";
    summary.error = describeError(err);
    options.onError?.(err);
  }
  summary.durationMs = now() - started;
  (options.log ?? defaultLog)(summary);
  return summary;
}
