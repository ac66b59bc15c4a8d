/**
 * One query's transaction. Queries are evaluated synchronously, start to finish,
 * so each one is serializable by construction; writes are applied as they happen
 * (later expressions see them) and undone in reverse if the query fails.
 */
export class Txn {
  private readonly undo: (() => void)[] = [];
  read = 0;
  written = 0;
  scanned = 0;
  /** A document was created: FaunaDB answers such queries with 201. */
  created = false;

  constructor(
    /** Snapshot and commit time, ns (one clock reading per query). */
    readonly snapshotNs: bigint,
    /** The same instant in µs: every write's `ts` and the `x-txn-time` header. */
    readonly tsMicros: bigint,
  ) {}

  onUndo(fn: () => void): void {
    this.undo.push(fn);
  }

  rollback(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
    this.undo.length = 0;
    this.written = 0;
  }
}
