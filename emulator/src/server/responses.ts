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

/** A query's result as FaunaDB's response: body, status, `x-txn-time`, metrics headers. */
export function fromResult(r: QueryResult): PlainResponse {
  const headers: Record<string, string> = { "content-type": JSON_TYPE, "x-txn-time": r.txnTime.toString() };
  if (r.unauthorized) headers["www-authenticate"] = 'Basic realm="Unauthorized"';
  if (r.metrics && r.status !== 500) {
    const m = r.metrics;
    Object.assign(headers, {
      "x-compute-ops": String(Math.max(1, Math.ceil((m.read + m.scanned) / 50))),
      "x-byte-read-ops": String(m.read + Math.ceil(m.scanned / 16)),
      "x-byte-write-ops": String(m.written),
      "x-query-time": String(m.ms),
      "x-txn-retries": String(r.retries ?? 0),
      "x-query-bytes-in": String(m.bytesIn),
      "x-query-bytes-out": String(m.bytesOut),
      "x-storage-bytes-read": "0",
      "x-storage-bytes-write": "0",
      // The emulator's own exact counters, for tests and benchmarks.
      "x-emulator-documents-read": String(m.read),
      "x-emulator-documents-written": String(m.written),
      "x-emulator-index-entries-scanned": String(m.scanned),
    });
  }
  return { status: r.status, headers, body: r.body };
}
