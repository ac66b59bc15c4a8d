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
 * The deadline is lib/core/fauna/client.ts's: the query settles at it even if the driver
 * never does, the driver is told to abort, and FaunaDB gets an `X-Query-Timeout`, so a
 * FaunaDB that is merely slow stops working on an abandoned query too.
 */
import type faunadb from "faunadb";
import { queryBefore } from "./fauna/client.ts";
import { Deadline } from "./deadline.ts";

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
    return queryBefore(client, expr, Deadline.after(this.queryTimeoutAt(at)));
  }
}
