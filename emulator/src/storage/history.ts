/**
 * Document history: versions kept until the collection's `history_days` makes them
 * collectable, and the bookkeeping that collects them later. A document written once
 * keeps no history structure at all: its one version is its record.
 */
import { entriesFor, entryKey, type IndexDef, type IndexEntry, type IndexStore, type PastEntry } from "./index-store.ts";
import type { DocRecord, Version } from "./records.ts";

export const MICROS_PER_DAY = 86_400_000_000n;

/** What becomes collectable at `until` + retention: a document's older versions, and index entries that left then. */
export interface Retired {
  until: bigint;
  /** A document whose versions up to `until` may go. */
  id?: string;
  /** Index entries that left at `until`, each after its index: `[index, entry, index, entry, …]`. */
  entries?: (IndexStore | PastEntry)[];
}

/** A FIFO of retired history; commit times only grow, so it stays (nearly) in `until` order. */
export class RetiredQueue {
  private items: Retired[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(r: Retired): void {
    this.items.push(r);
  }
  /** Removes and returns the items whose `until` is at or before `horizon`. */
  *due(horizon: bigint): Generator<Retired> {
    while (this.head < this.items.length && this.items[this.head]!.until <= horizon) yield this.items[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** The version of a timeline in force at `at` (µs): the latest at or before it, unless that is a deletion. */
export function versionAt(versions: readonly Version[], at: bigint): DocRecord | undefined {
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i]!;
    if (v.ts <= at) return v.rec;
  }
  return undefined;
}

/**
 * Replays a timeline through an index: the entries still in it (stamped with when they
 * entered) and the intervals of those that left.
 */
export function intervals(def: IndexDef, versions: readonly Version[]): { open: IndexEntry[]; closed: PastEntry[] } {
  let open = new Map<string, IndexEntry>();
  const closed: PastEntry[] = [];
  for (const v of versions) {
    const next = new Map<string, IndexEntry>();
    for (const e of v.rec ? entriesFor(def, v.rec, v.ts) : []) {
      const k = entryKey(e);
      next.set(k, open.get(k) ?? e);
    }
    for (const [k, e] of open) if (!next.has(k) && e.ts < v.ts) closed.push({ ...e, until: v.ts });
    open = next;
  }
  return { open: [...open.values()], closed };
}
