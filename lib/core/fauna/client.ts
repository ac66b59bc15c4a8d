/**
 * Every query to FaunaDB ends by a deadline of ours, whatever the connection does.
 *
 * The faunadb 4.8 driver cannot be trusted to settle on its own: on its HTTP/2 path a
 * socket closed mid-query cancels the stream without an `error` event and clears the
 * driver's own timeout, so the query's promise never settles and a function would never
 * answer. Two things make the deadline hold regardless:
 * - the query races a timer of ours, which rejects with `FaunaTimeoutError` at the
 *   deadline even if the driver never does anything again;
 * - the driver is handed an AbortSignal that fires at the same moment, so it releases
 *   the stream, and FaunaDB's `X-Query-Timeout`, so a server that is merely slow stops
 *   working on a query nobody waits for.
 */
import faunadb from "faunadb";
import { FaunaTimeoutError } from "../errors/index.ts";
import type { FaunaConfig } from "../config/load.ts";
import { DEFAULT_QUERY_TIMEOUT_MS } from "../budgets.ts";
import type { Deadline } from "../deadline.ts";

export { DEFAULT_QUERY_TIMEOUT_MS };

/** FaunaDB refuses an X-Query-Timeout above this. */
const MAX_QUERY_TIMEOUT_MS = 600_000;

export interface DeadlineOptions extends faunadb.QueryOptions {
  /** Abandon the query after this many ms (rounded up, at least 1). */
  timeoutMs: number;
}

/**
 * Runs `send` (one driver query) and settles by `timeoutMs` at the latest. A caller's
 * own `signal` still works: it aborts the query early, as the driver reports it.
 */
/**
 * The error the driver throws, before anything is sent, when it reuses an HTTP/2 session
 * that a dropped connection closed: it forgets the session only on `error`/`goaway`, not
 * on `close`. It forgets it while throwing this, so sending again opens a new one.
 */
const STALE_SESSION = "ERR_HTTP2_INVALID_SESSION";

async function withDeadline<T>(send: (options: faunadb.QueryOptions) => Promise<T>, options: DeadlineOptions): Promise<T> {
  const { timeoutMs, signal: callerSignal, ...rest } = options;
  const ms = Math.max(1, Math.ceil(timeoutMs));
  const ours = new AbortController();
  const signal = callerSignal ? AbortSignal.any([callerSignal, ours.signal]) : ours.signal;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ours.abort();
      reject(new FaunaTimeoutError(ms));
    }, ms);
  });
  const attempt = () => send({ ...rest, signal, queryTimeout: Math.min(ms, MAX_QUERY_TIMEOUT_MS) });
  try {
    try {
      return await Promise.race([attempt(), deadline]);
    } catch (err) {
      // Nothing was sent on a stale session: sending again is safe.
      if ((err as { code?: unknown }).code !== STALE_SESSION || ours.signal.aborted) throw err;
      return await Promise.race([attempt(), deadline]);
    }
  } catch (err) {
    // The driver reports our abort as an AbortError; say what it really was.
    if (ours.signal.aborted) throw new FaunaTimeoutError(ms);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The driver's client with a default deadline on every `query`, so no code path of the
 * project can forget one. `timeoutMs` in the options overrides the default for one query
 * (a request's remaining time, a time box's share).
 */
export class DeadlineClient extends faunadb.Client {
  constructor(
    config: faunadb.ClientConfig,
    readonly defaultTimeoutMs: number,
  ) {
    super(config);
  }

  override query<T = object>(expr: faunadb.ExprArg, options?: faunadb.QueryOptions & { timeoutMs?: number }): Promise<T> {
    const { timeoutMs, ...rest } = options ?? {};
    return withDeadline((o) => super.query<T>(expr, o), { ...rest, timeoutMs: timeoutMs ?? this.defaultTimeoutMs });
  }
}

/** `client.query(expr)` settled by `deadline`: what remains of it is the query's time. */
export function queryBefore<T>(client: faunadb.Client, expr: faunadb.ExprArg, deadline: Deadline): Promise<T> {
  return queryWithDeadline<T>(client, expr, { timeoutMs: deadline.remaining() });
}

/** `client.query(expr)` settled by `options.timeoutMs`, for any driver client. */
export function queryWithDeadline<T>(client: faunadb.Client, expr: faunadb.ExprArg, options: DeadlineOptions): Promise<T> {
  if (client instanceof DeadlineClient) return client.query<T>(expr, options);
  return withDeadline((o) => client.query<T>(expr, o), options);
}

/** Default deadline of a query, in seconds. */
export const FAUNA_TIMEOUT_SECONDS = DEFAULT_QUERY_TIMEOUT_MS / 1000;

/**
 * The project's only way to make a client: every query it sends ends by a deadline of
 * ours (`withDeadline` above), `timeoutSeconds` unless a query asks for less.
 */
export function createFaunaClient(config: FaunaConfig, opts: { timeoutSeconds?: number } = {}): DeadlineClient {
  const timeoutSeconds = opts.timeoutSeconds ?? FAUNA_TIMEOUT_SECONDS;
  return new DeadlineClient(
    {
      secret: config.secret,
      endpoint: config.endpoint,
      // The version check phones home to npm: no network surprises in a function or offline.
      checkNewVersion: false,
      timeout: timeoutSeconds,
    },
    timeoutSeconds * 1000,
  );
}
