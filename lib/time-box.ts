/**
 * The time box shared by the cleanup and by revocation: a loop of queries that must end
 * by a known instant, even when FaunaDB stops answering.
 *
 * Two rules. (1) A new page (or batch, or retry) is started only while the elapsed time
 * plus the slowest page so far still fits in the budget; the first page always starts,
 * so a tiny budget still makes progress. (2) Every query is sent with a deadline: it is
 * abandoned (`FaunaTimeoutError`) at the earlier of `queryTimeoutMs` after it was sent
 * and `budgetMs + slackMs` after the loop started. Since (1) only starts queries inside
 * the budget, (2) gives every query at least `min(queryTimeoutMs, slackMs)`, and no loop
 * outlives `budgetMs + slackMs` (plus the few milliseconds of its own bookkeeping).
 *
 * The deadline is an `AbortSignal` passed to `client.query` (the driver accepts one per
 * query, and ignores its own client-wide `timeout` when one is given), together with
 * `queryTimeout` (FaunaDB's `X-Query-Timeout`), so a FaunaDB that is merely slow stops
 * working on an abandoned query too.
 */
import faunadb from "faunadb";
import { FAUNA_TIMEOUT_SECONDS } from "./fauna.ts";

/** Per query, when nothing shorter applies: the driver timeout the rest of the project uses. */
export const DEFAULT_QUERY_TIMEOUT_MS = FAUNA_TIMEOUT_SECONDS * 1000;

/**
 * A query abandoned at its deadline. Marked like the driver's own `TimeoutError`
 * (`isTimeoutError === true`), so lib/fauna.ts classifies both the same way: transient,
 * and "the database is unavailable" for `mapFaunaError`.
 */
export class FaunaTimeoutError extends Error {
  readonly code = "ERR_FAUNA_TIMEOUT";
  readonly isTimeoutError = true;
  constructor(readonly timeoutMs: number) {
    super(`FaunaDB did not answer within ${timeoutMs} ms`);
    this.name = "FaunaTimeoutError";
  }
}

/**
 * `client.query(expr)`, abandoned after `timeoutMs` (rounded up, at least 1 ms). An
 * infinite `timeoutMs` leaves the client's own timeout in charge.
 */
export async function queryWithin(client: faunadb.Client, expr: faunadb.ExprArg, timeoutMs: number): Promise<unknown> {
  if (!Number.isFinite(timeoutMs)) return client.query(expr);
  const ms = Math.max(1, Math.ceil(timeoutMs));
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), ms);
  try {
    // FaunaDB refuses an X-Query-Timeout above 600000 ms.
    return await client.query(expr, { signal: ctrl.signal, queryTimeout: Math.min(ms, 600_000) });
  } catch (err) {
    // The driver reports our abort as an AbortError; say what it really was.
    if (ctrl.signal.aborted) throw new FaunaTimeoutError(ms);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export interface TimeBoxOptions {
  /** Stop starting pages once this much time would be spent. `Infinity` = no limit. */
  budgetMs: number;
  /** How long past the budget a query started inside it may still run. */
  slackMs: number;
  /** Longest any one query may take. */
  queryTimeoutMs: number;
}

/**
 * The bookkeeping of one time-boxed loop. It never reads the clock itself: callers pass
 * the instants they read, so a test's clock sees exactly the reads the loop makes.
 */
export class TimeBox {
  private slowestPageMs = 0;

  constructor(
    private readonly o: TimeBoxOptions,
    readonly started: number,
  ) {}

  /** Whether a page started at `at`, as slow as the slowest so far, would still end inside the budget. */
  fits(at: number): boolean {
    return at - this.started + this.slowestPageMs <= this.o.budgetMs;
  }

  /** Records a completed page. */
  pageDone(pageStarted: number, at: number): void {
    this.slowestPageMs = Math.max(this.slowestPageMs, at - pageStarted);
  }

  /** The deadline of a query sent at `at`: `queryTimeoutMs`, cut short at budget + slack. */
  queryTimeoutAt(at: number): number {
    return Math.min(this.o.queryTimeoutMs, this.started + this.o.budgetMs + this.o.slackMs - at);
  }

  /** One query sent at `at`, abandoned at its deadline. */
  query(client: faunadb.Client, expr: faunadb.ExprArg, at: number): Promise<unknown> {
    return queryWithin(client, expr, this.queryTimeoutAt(at));
  }
}
