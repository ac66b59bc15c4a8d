/**
 * The rows FaunaDB's optimistic concurrency control checks at commit (cluster profile):
 * a transaction's reads of documents and of serialized indexes, and the rows a commit
 * wrote. A document is one row; an index is one row per term tuple, or, when its
 * `partitions` is above 1 (8 by default for an index without terms), one row per
 * partition of the tuple, chosen by a hash of the document id. A read of a term tuple
 * reads every partition of it (the server merges them), so any write of an entry of the
 * tuple conflicts with it, whatever part of the tuple the read returned.
 */
import { entriesFor, entryKey, termKey, type IndexEntry, type IndexStore } from "./index-store.ts";
import type { Change, DocRecord } from "./records.ts";

/** What of a database the rows need (database.ts's `Database`, named structurally: it imports the transaction). */
interface Database {
  raw(collKey: string, id: string): DocRecord | undefined;
  indexesOf(collKey: string): Iterable<IndexStore>;
}

const dbIds = new WeakMap<Database, number>();
let nextDbId = 0;

function dbId(db: Database): number {
  let id = dbIds.get(db);
  if (id === undefined) dbIds.set(db, (id = nextDbId++));
  return id;
}

const docRow = (db: Database, collKey: string, id: string): string => `d${dbId(db)}\u0000${collKey}\u0000${id}`;
const indexRow = (db: Database, idx: IndexStore, terms: string, part: number): string => `i${dbId(db)}\u0000${idx.def.name}\u0000${terms}\u0000${part}`;

/** The index document's `partitions` (1 when absent). */
function partitionsOf(db: Database, idx: IndexStore): number {
  const p = db.raw("#indexes", idx.def.name)?.fields.get("partitions");
  return typeof p === "bigint" && p > 1n ? Number(p) : 1;
}

/** Reads of serialized indexes (the default) and of unique ones (always checked, as on the server) are validated. */
function isSerialized(db: Database, idx: IndexStore): boolean {
  return idx.def.unique || db.raw("#indexes", idx.def.name)?.fields.get("serialized") !== false;
}

/** The partition an entry of document `id` lives in: a stable hash of the id, modulo the partitions. */
function partitionOf(id: string, partitions: number): number {
  if (partitions <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}

export class ReadSet {
  readonly rows = new Set<string>();

  doc(db: Database, collKey: string, id: string): void {
    this.rows.add(docRow(db, collKey, id));
  }

  /** A read of one term tuple of an index (a Match, a unique check): every partition of it, if validated. */
  index(db: Database, idx: IndexStore, terms: string): void {
    if (!isSerialized(db, idx)) return;
    const n = partitionsOf(db, idx);
    for (let p = 0; p < n; p++) this.rows.add(indexRow(db, idx, terms, p));
  }

  /** Writing a document reads it first (to know what it replaces), so its row is validated too. */
  wrote(changes: readonly Change[]): void {
    for (const ch of changes) this.doc(ch.db as Database, ch.collKey, ch.id);
  }

  /** Whether any row read here was written since: `written(row)` answers that per row. */
  conflicts(written: (row: string) => boolean): boolean {
    for (const row of this.rows) if (written(row)) return true;
    return false;
  }
}

/** The rows a committed transaction wrote: each document, and each index partition whose entries changed. */
export function writtenRows(changes: readonly Change[]): string[] {
  const rows: string[] = [];
  for (const ch of changes) {
    const db = ch.db as Database;
    rows.push(docRow(db, ch.collKey, ch.id));
    const before = ch.versions ? ch.versions.from.map((v) => v.rec) : [ch.prev];
    const after = ch.versions ? ch.versions.to.map((v) => v.rec) : [ch.next];
    for (const idx of db.indexesOf(ch.collKey)) {
      const n = partitionsOf(db, idx);
      const part = partitionOf(ch.id, n);
      for (const e of changedEntries(idx, before, after)) rows.push(indexRow(db, idx, termKey(e.terms), part));
    }
  }
  return rows;
}

/** The entries that enter or leave an index between two sets of records. */
function changedEntries(idx: IndexStore, before: (DocRecord | undefined)[], after: (DocRecord | undefined)[]): IndexEntry[] {
  const entries = (recs: (DocRecord | undefined)[]) => recs.flatMap((r) => (r ? entriesFor(idx.def, r) : []));
  const was = entries(before);
  const is = entries(after);
  const wasKeys = new Set(was.map(entryKey));
  const isKeys = new Set(is.map(entryKey));
  return [...was.filter((e) => !isKeys.has(entryKey(e))), ...is.filter((e) => !wasKeys.has(entryKey(e)))];
}
