/**
 * Helpers for the cluster profile's tests. Overlap is made deterministic, not likely: the
 * commit delay is 10 minutes, which real time never reaches within a test, so a write
 * commits exactly when the test moves the emulator's clock past it, after it has waited
 * for the writes it wants in flight (`transactions.whenPending`).
 */
import faunadb from "faunadb";
import { startEmulator } from "../index.ts";
import type { EmulatorHandle, EmulatorOptions } from "../src/api.ts";
import { clientPool } from "./support.ts";

/** A commit delay no test waits for in real time. */
export const LONG = 600_000;

export interface ClusterTarget {
  emu: EmulatorHandle;
  client(secret?: string, opts?: Partial<faunadb.ClientConfig>): faunadb.Client;
  close(): Promise<void>;
}

export async function startCluster(opts: EmulatorOptions = {}): Promise<ClusterTarget> {
  const emu = await startEmulator({ port: 0, profile: "cluster", ...opts });
  const pool = clientPool(() => emu.url);
  const extra: faunadb.Client[] = [];
  return {
    emu,
    client(secret = emu.secret, opts) {
      if (!opts) return pool.client(secret);
      const c = new faunadb.Client({ secret, endpoint: emu.url, checkNewVersion: false, http2SessionIdleTime: 50, ...opts });
      extra.push(c);
      return c;
    },
    async close() {
      // The emulator first: a query a failed test left waiting for its commit is cut off, not waited for.
      await emu.close();
      await pool.closeAll();
      await Promise.all(extra.map((c) => c.close().catch(() => undefined)));
    },
  };
}

/** `p`, or a failure saying `what` did not happen within 5 s (instead of a test that hangs). */
export async function within<T>(p: Promise<T>, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()} within 5 s`)), 5000);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Until `n` writes wait for their commit; fails after 5 s instead of hanging when they never do. */
export function pending(emu: EmulatorHandle, n: number): Promise<void> {
  return within(emu.transactions.whenPending(n), () => `expected ${n} writes waiting for their commit, ${emu.transactions.pending}`);
}

/** Once `n` writes wait for their commit, moves the clock past the commit delay: they commit, in the order they arrived. */
export async function commitRound(emu: EmulatorHandle, n: number, delayMs = LONG): Promise<void> {
  await pending(emu, n);
  emu.clock.advance(delayMs);
}

export interface Outcome<T = unknown> {
  status: number;
  value?: T;
  code?: string;
  description?: string;
  /** `x-txn-retries` */
  retries: number;
  headers: Record<string, string>;
}

/** A query's status, value or error, and how often it was retried. */
export async function outcome<T = unknown>(client: faunadb.Client, expr: faunadb.ExprArg, options?: faunadb.QueryOptions): Promise<Outcome<T>> {
  let status = 0;
  let headers: Record<string, string> = {};
  const observer = (r: faunadb.RequestResult) => {
    status = r.statusCode;
    headers = r.responseHeaders as Record<string, string>;
  };
  try {
    const { value, metrics } = await client.queryWithMetrics<T>(expr, { ...options, observer });
    return { status, value, retries: metrics["x-txn-retries"], headers };
  } catch (e) {
    if (!(e instanceof faunadb.errors.FaunaHTTPError)) throw e;
    const r = e.requestResult;
    const first = (r.responseContent as unknown as { errors: { code: string; description: string }[] }).errors[0]!;
    headers = r.responseHeaders as Record<string, string>;
    return { status: r.statusCode, code: first.code, description: first.description, retries: Number(headers["x-txn-retries"]), headers };
  }
}
