/**
 * What the routes answer: a plain response (a JSON body), or a stream (headers, then
 * lines over time); and a query's result as FaunaDB's response with its headers.
 */
import type { QueryResult } from "../engine.ts";
import type { StreamSink } from "./stream/hub.ts";

export const JSON_TYPE = "application/json;charset=utf-8";

export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A response whose body is written over time (`POST /stream`): headers first, then lines until it ends. */
export interface StreamResponse {
  status: number;
  headers: Record<string, string>;
  /** Called once the headers are out; `onClose` is called when the client goes away. */
  start(sink: StreamSink): { onClose(): void };
}

export type Response = PlainResponse | StreamResponse;
export const isStream = (r: Response): r is StreamResponse => "start" in r;

/**
 * A query's result as FaunaDB's response: body, status, `x-txn-time`, and the metrics
 * headers in the server's order (`api/…/fql1/TMPEndpoint.scala` `setHeaders`; none on a
 * 401 or a 500). The emulator's own exact counters follow as `x-emulator-*`.
 */
export function fromResult(r: QueryResult): PlainResponse {
  const headers: Record<string, string> = { "content-type": JSON_TYPE, "x-txn-time": r.txnTime.toString() };
  if (r.unauthorized) headers["www-authenticate"] = 'Basic realm="Unauthorized"';
  if (r.metrics && r.status !== 500) {
    const m = r.metrics;
    const c = m.cost;
    Object.assign(headers, {
      "x-compute-ops": String(c.computeOps),
      "x-byte-read-ops": String(c.byteReadOps),
      "x-byte-write-ops": String(c.byteWriteOps),
      "x-query-time": String(m.ms),
      "x-query-bytes-in": String(m.bytesIn),
      "x-query-bytes-out": String(m.bytesOut),
      "x-storage-bytes-read": String(c.storageBytesRead),
      "x-storage-bytes-write": String(c.storageBytesWrite),
      "x-txn-retries": String(m.retries),
      "x-emulator-documents-read": String(m.read),
      "x-emulator-documents-written": String(m.written),
      "x-emulator-index-entries-scanned": String(m.scanned),
    });
  }
  return { status: r.status, headers, body: r.body };
}
