/**
 * What FaunaDB says a query cost, read from the metrics headers of its answer (every
 * answer carries them: `x-compute-ops`, `x-byte-read-ops`, …) through the driver's
 * `observer`, so a test or a benchmark can measure the product's own queries as they run.
 */
import faunadb from "faunadb";

export interface QueryMetrics {
  status: number;
  computeOps: number;
  byteReadOps: number;
  byteWriteOps: number;
  storageBytesWritten: number;
  /** The server's retries of a contended transaction. */
  txnRetries: number;
  queryTimeMs: number;
}

function header(h: Record<string, unknown> | undefined, name: string): number {
  const v = h?.[name];
  return Number(Array.isArray(v) ? v[0] : (v ?? 0));
}

export function metricsOf(res: { statusCode: number; responseHeaders?: Record<string, unknown> }): QueryMetrics {
  const h = res.responseHeaders;
  return {
    status: res.statusCode,
    computeOps: header(h, "x-compute-ops"),
    byteReadOps: header(h, "x-byte-read-ops"),
    byteWriteOps: header(h, "x-byte-write-ops"),
    storageBytesWritten: header(h, "x-storage-bytes-write"),
    txnRetries: header(h, "x-txn-retries"),
    queryTimeMs: header(h, "x-query-time"),
  };
}

export interface MeteredClient {
  client: faunadb.Client;
  /** Every answer so far, in order (the failed ones too). */
  readonly answers: QueryMetrics[];
  /** Forgets the answers so far. */
  reset(): void;
}

/** A driver client that records the metrics of every answer it gets. */
export function meteredClient(endpoint: string, secret: string): MeteredClient {
  const answers: QueryMetrics[] = [];
  const client = new faunadb.Client({
    secret,
    endpoint,
    checkNewVersion: false,
    timeout: 120,
    observer: (res) => void answers.push(metricsOf(res as unknown as Parameters<typeof metricsOf>[0])),
  });
  return { client, answers, reset: () => void answers.splice(0) };
}
