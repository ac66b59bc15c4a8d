/**
 * One query's transaction. Queries are evaluated synchronously, start to finish,
 * so each one is serializable by construction; writes are applied as they happen
 * (later expressions see them) and undone in reverse if the query fails.
 */
import { Meter } from "./meter.ts";
import type { ReadSet } from "./read-set.ts";
import type { Change } from "./records.ts";

export class Txn {
  private readonly undo: (() => void)[] = [];
  read = 0;
  written = 0;
  scanned = 0;
  /** A document was created: FaunaDB answers such queries with 201. */
  created = false;
  /** The writes, in order, when someone (an open stream) wants them; undefined otherwise. */
  changes: Change[] | undefined;
  /** What the transaction costs (the metrics headers) and, with limits on, the limits it must keep. */
  readonly meter: Meter;
  /** What it read, for the commit-time check of the cluster profile; undefined otherwise. */
  reads: ReadSet | undefined;

  constructor(
    /** Snapshot time, ns: what Now() returns and what ttls are compared with. */
    readonly snapshotNs: bigint,
    /** Commit time, µs (≥ the snapshot, strictly after the previous commit): every write's `ts`. */
    readonly tsMicros: bigint,
    /** The cluster profile's limits (compute, width, transaction size). */
    limited = false,
  ) {
    this.meter = new Meter(limited);
  }

  onUndo(fn: () => void): void {
    this.undo.push(fn);
  }

  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo.length = 0;
    this.written = 0;
    if (this.changes) this.changes.length = 0;
  }
}
