/**
 * What one transaction costs, counted by FaunaDB's rules (`stats/…/QueryMetrics.scala`,
 * `repo/…/query/Query.scala`, `State.scala`, `storage/…/ops/Write.scala`), for the
 * metrics headers, and the limits the cluster profile enforces while it runs:
 * - compute: one per function call and per lambda application (plus what Count, Sum,
 *   Mean, Any and All fold over, and an index's synchronous build); 50 calls make an op;
 * - byte read ops: per document read ceil(bytes / 4096), once per query (the read cache);
 *   per set read ceil(bytes / 4096) + partitions - 1; a write's look at the previous
 *   version is storage bytes read but no op;
 * - byte write ops: per document written, ceil(bytes / 1024) of its version and index rows.
 * Bytes are estimates of the server's storage (sizes.ts).
 */
import { BASELINE_COMPUTE, MAX_CALLS, MAX_TXN_BYTES, tooLarge, tooMuchCompute } from "../limits.ts";
import type { DocRecord } from "./records.ts";
import { recordBytes } from "./sizes.ts";

export const BYTES_PER_READ_OP = 4096;
export const BYTES_PER_WRITE_OP = 1024;

export interface Metrics {
  computeOps: number;
  byteReadOps: number;
  byteWriteOps: number;
  storageBytesRead: number;
  storageBytesWrite: number;
}

export const noMetrics = (): Metrics => ({ computeOps: 0, byteReadOps: 0, byteWriteOps: 0, storageBytesRead: 0, storageBytesWrite: 0 });

/**
 * Adds one evaluation's figures to a query's total: the server bills every attempt of a
 * contended query. The cluster profile evaluates a write twice (at its snapshot, then at
 * its commit): the first bills compute and reads, the second its writes.
 */
export function addMetrics(total: Metrics, m: Metrics, part: "reads" | "writes"): void {
  if (part === "reads") {
    total.computeOps += m.computeOps;
    total.byteReadOps += m.byteReadOps;
    total.storageBytesRead += m.storageBytesRead;
  } else {
    total.byteWriteOps += m.byteWriteOps;
    total.storageBytesWrite += m.storageBytesWrite;
  }
}

/** Where a set read started: the partitions and bytes read before it. */
export interface SetMark {
  parts: number;
  bytes: number;
}

export class Meter {
  /** Function calls and lambda applications so far. */
  calls = 0;
  /** Past this many calls the query is refused; no limit unless the limits are on. */
  readonly callLimit: number;
  private readOps = 0;
  private bytesRead = 0;
  private cache: Set<DocRecord> | undefined;
  /** Index partitions and entry bytes read by sets, running totals. */
  private setParts = 0;
  private setBytes = 0;
  /** Bytes written per document (keyed by its ref object, which every version of it shares), and their total. */
  private writes: Map<object, number> | undefined;
  private writeTotal = 0;

  constructor(
    /** The cluster profile's limits: compute, width, transaction size. */
    readonly limited = false,
  ) {
    this.callLimit = limited ? MAX_CALLS : Infinity;
  }

  /** `n` more calls; refused past the limit (`TxnTooManyComputeOpsException`). */
  compute(n: number): void {
    if ((this.calls += n) > this.callLimit) throw tooMuchCompute(this.calls);
  }

  /** A document read by Get, Exists, KeyFromSecret: billed once per query; a miss still reads the row. */
  readDoc(rec: DocRecord | undefined): void {
    if (!rec) {
      this.readOps++;
      this.bytesRead++;
      return;
    }
    const cache = (this.cache ??= new Set());
    if (cache.has(rec)) return;
    cache.add(rec);
    const bytes = recordBytes(rec);
    this.bytesRead += bytes;
    this.readOps += Math.ceil(bytes / BYTES_PER_READ_OP);
  }

  /** A read the server does not bill (a write's look at the version it replaces, a permission filter): bytes only. */
  peek(rec: DocRecord | undefined): void {
    if (!rec || this.cache?.has(rec)) return;
    (this.cache ??= new Set()).add(rec);
    this.bytesRead += recordBytes(rec);
  }

  /** A set scan starts on `parts` index partitions. */
  partitions(parts: number): void {
    this.setParts += parts;
  }

  /** A set scan went through an index entry of `bytes`. */
  entry(bytes: number): void {
    this.setBytes += bytes;
  }

  setMark(): SetMark {
    return { parts: this.setParts, bytes: this.setBytes };
  }

  /** Bills one set read (a page, a Count, an Exists…) from its mark: `readOpsPerByte(partitions, bytes)`. */
  setRead(mark: SetMark): void {
    const parts = this.setParts - mark.parts;
    if (parts <= 0) return;
    const bytes = Math.max(1, this.setBytes - mark.bytes);
    this.bytesRead += bytes;
    this.readOps += Math.ceil(bytes / BYTES_PER_READ_OP) + parts - 1;
  }

  /**
   * A document's writes in this transaction now come to `bytes` (its last write stands for
   * them all: one version per transaction); refused past 16 MiB when limits are on.
   */
  wrote(doc: object, bytes: number): void {
    const writes = (this.writes ??= new Map());
    this.writeTotal += bytes - (writes.get(doc) ?? 0);
    writes.set(doc, bytes);
    if (this.limited && this.writeTotal > MAX_TXN_BYTES) throw tooLarge(this.writeTotal);
  }

  /** Adds `bytes` to what a document's writes come to (its index rows written by an index build). */
  addTo(doc: object, bytes: number): void {
    this.wrote(doc, (this.writes?.get(doc) ?? 0) + bytes);
  }

  /**
   * The headers' figures. A query that failed is billed as FaunaDB bills it: nothing but the
   * minimum compute op, unless it was aborted (`Abort`), which keeps its compute and reads.
   */
  summary(outcome: "ok" | "aborted" | "failed"): Metrics {
    const computeOps = outcome === "failed" || this.calls === 0 ? 1 : Math.ceil(this.calls / BASELINE_COMPUTE);
    const reads = outcome !== "failed";
    const writes = outcome === "ok";
    let byteWriteOps = 0;
    if (writes && this.writes) for (const b of this.writes.values()) byteWriteOps += Math.ceil(b / BYTES_PER_WRITE_OP);
    return {
      computeOps,
      byteReadOps: reads ? this.readOps : 0,
      byteWriteOps,
      storageBytesRead: reads ? this.bytesRead : 0,
      storageBytesWrite: writes ? this.writeTotal : 0,
    };
  }
}
