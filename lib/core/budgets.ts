/**
 * How long each job may take, derived from what the platforms allow one invocation: the
 * one file where a time budget is a number. The handlers make a `Deadline` (deadline.ts)
 * from these and pass it down to every JWKS fetch and FaunaDB query; the loops of the
 * cleanup and of revocation (time-box.ts) take their budget and slack from here.
 */

/** What each platform allows one invocation, as this project deploys to it. */
export const PLATFORM_LIMITS_MS = {
  /** Netlify, synchronous functions: "Synchronous execution limit: 60 seconds" (docs.netlify.com/build/functions/configuration). */
  netlifySync: 60_000,
  /** Netlify, scheduled functions: "Scheduled execution limit: 30 seconds" (the same page). */
  netlifyScheduled: 30_000,
  /** Vercel: `maxDuration` of api/token.ts in vercel.json (test/platform-limits.test.ts compares them). */
  vercelToken: 10_000,
  /** Vercel: `maxDuration` of api/cron/delete-expired-tokens.ts in vercel.json. */
  vercelCron: 30_000,
} as const;

/**
 * The token endpoint answers alike wherever it runs, so it keeps to the tightest of the
 * platforms' limits (Vercel's 10 s): a browser waiting for its secret is a user waiting,
 * and Netlify's 60 s would only make an outage slower to report.
 */
export const REQUEST_LIMIT_MS = Math.min(PLATFORM_LIMITS_MS.netlifySync, PLATFORM_LIMITS_MS.vercelToken);

/** A scheduled run keeps to the tightest of the scheduled limits (30 s on both). */
export const SCHEDULED_RUN_LIMIT_MS = Math.min(PLATFORM_LIMITS_MS.netlifyScheduled, PLATFORM_LIMITS_MS.vercelCron);

/** Kept free at the end of a request: the answer and its log line must leave before the limit. */
const ANSWER_RESERVE_MS = 2_000;
/** How long one batch of revocation started inside its budget may run past it. */
const REVOKE_SLACK_MS = 2_000;
/** Kept free of a scheduled run: the cold start and the summary line. */
const RUN_RESERVE_MS = 5_000;
/** How long a cleanup page started inside the budget may run past it (a FaunaDB that hangs). */
const CLEANUP_SLACK_MS = 5_000;

export interface RequestBudgets {
  /** The whole exchange, from the request's arrival: JWKS fetch and query included. */
  exchangeMs: number;
  /** DELETE: no revocation batch starts after this... */
  revokeMs: number;
  /** ...and one started before may run this much longer: DELETE ends when POST must. */
  revokeSlackMs: number;
  /** A JWKS fetch's own timeout (never a request's leftover): one slow fetch still leaves time for the query. */
  jwksFetchMs: number;
  /**
   * The request body's share, from the arrival: past it the request is answered 408. A
   * 16 KB body takes milliseconds on any live connection, so this is generous for a slow
   * mobile link and still leaves a cold JWKS fetch its whole timeout and the query a second.
   */
  bodyMs: number;
}

/** The budgets of one request to a function that must have answered by `limitMs`. */
export function requestBudgets(limitMs: number = REQUEST_LIMIT_MS): RequestBudgets {
  const exchangeMs = limitMs - ANSWER_RESERVE_MS;
  return { exchangeMs, revokeMs: exchangeMs - REVOKE_SLACK_MS, revokeSlackMs: REVOKE_SLACK_MS, jwksFetchMs: limitMs / 2, bodyMs: exchangeMs / 4 };
}

export interface RunBudgets {
  /** The cleanup starts no page (nor retry) that would end after this. */
  cleanupMs: number;
  /** A query started inside the budget is abandoned this long after it at the latest. */
  cleanupSlackMs: number;
}

/** The budgets of one scheduled run that must be over by `limitMs`. */
export function runBudgets(limitMs: number = SCHEDULED_RUN_LIMIT_MS): RunBudgets {
  return { cleanupMs: limitMs - RUN_RESERVE_MS - CLEANUP_SLACK_MS, cleanupSlackMs: CLEANUP_SLACK_MS };
}

/** A query's deadline when nothing shorter applies: no query may outlast a whole request. */
export const DEFAULT_QUERY_TIMEOUT_MS = requestBudgets().exchangeMs;
