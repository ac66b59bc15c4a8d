/**
 * Background index builds (cluster profile). An index created over more than the server's
 * `Index.BuildSyncSize` (128) documents or versions is committed with `active: false`;
 * Match on it fails until the build is done, `documents / indexBuildRate` seconds after
 * the commit (by the emulator's clock or real time, whichever first). Then a write of its
 * own, like the server's build task, sets `active: true`. The entries themselves are built
 * at once and kept up to date meanwhile: only the index's availability waits.
 */
import type { Change, Database, DocRecord } from "../storage/database.ts";
import type { Txn } from "../storage/txn.ts";
import type { Timers } from "./timers.ts";

export class IndexBuilds {
  constructor(
    private readonly timers: Timers,
    /** Documents per second. */
    private readonly rate: number,
    /** Commits a write made outside any query. */
    private readonly commitInternal: (write: (txn: Txn) => void) => void,
  ) {}

  /** Starts the builds of the indexes a commit created inactive. */
  committed(changes: readonly Change[]): void {
    for (const ch of changes) {
      if (ch.collKey !== "#indexes" || ch.prev || ch.next?.fields.get("active") !== false) continue;
      const db = ch.db as Database;
      const created = ch.next;
      const sources = db.indexes.get(ch.id)?.def.sources ?? [];
      const docs = sources.reduce((n, key) => n + (db.store(key)?.docs.size ?? 0), 0);
      this.timers.after((docs / this.rate) * 1000, () => this.finish(db, ch.id, created));
    }
  }

  /** The build is done: the index document, if it is still the one built, becomes active. */
  private finish(db: Database, name: string, created: DocRecord): void {
    const rec = db.raw("#indexes", name);
    if (!rec || rec.ref !== created.ref || rec.fields.get("active") !== false) return;
    this.commitInternal((txn) => {
      const fields = new Map(rec.fields);
      fields.set("active", true);
      db.put(txn, "#indexes", name, { ref: rec.ref, ts: txn.tsMicros, fields });
    });
  }
}
