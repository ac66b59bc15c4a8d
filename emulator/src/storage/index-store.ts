/**
 * Indexes: one sorted partition per term tuple holding the entries live now, and one
 * holding entries that left while history is kept (with the interval they were in).
 */
import { compareRefs, compareValues, keyOf } from "../order.ts";
import type { Ref, Value } from "../values.ts";
import { fieldValues, ttlOf, type DocRecord } from "./records.ts";
import { SortedList } from "./sorted-list.ts";

export interface IndexField {
  path: (string | number)[];
  reverse: boolean;
}

export interface IndexDef {
  name: string;
  sources: string[];
  terms: IndexField[];
  values: IndexField[];
  unique: boolean;
}

export interface IndexEntry {
  terms: Value[];
  /** Covered values; empty for an index without `values` (the entry then covers its ref). */
  values: Value[];
  ref: Ref;
  /** ns; the entry vanishes when the document's ttl passes. */
  ttl?: bigint;
  /** µs: when the entry entered the index. */
  ts: bigint;
  /** µs, set once the entry has left the index (the entry object itself moves to the past). */
  until?: bigint;
  /** A past entry collected: skipped, and dropped at the next compaction. */
  dead?: boolean;
}

/** An entry no longer in the index: it was there from `ts` until `until` (µs, exclusive). */
export interface PastEntry extends IndexEntry {
  until: bigint;
}

/**
 * The entries of one term tuple that left the index. Writes only append (a delete must
 * cost no more than it did without history); reads in the past, which are rare, sort
 * the list when they need it.
 */
export class PastList {
  private items: PastEntry[] = [];
  private view: SortedList<PastEntry> | undefined;
  private deadCount = 0;
  constructor(private readonly cmp: (a: PastEntry, b: PastEntry) => number) {}
  get size(): number {
    return this.items.length - this.deadCount;
  }
  add(e: PastEntry): void {
    this.items.push(e);
    this.view = undefined;
  }
  /** Takes back an entry added in the transaction being undone (usually the last one). */
  undoAdd(e: PastEntry): void {
    const i = this.items[this.items.length - 1] === e ? this.items.length - 1 : this.items.indexOf(e);
    if (i >= 0) this.items.splice(i, 1);
    this.view = undefined;
  }
  /**
   * Marks an entry gone: `e` itself when `exact` (the object that was added: undo, collection),
   * else an equal one (history recomputed by Insert or Remove; a scan, but those are rare).
   */
  remove(e: PastEntry, exact: boolean): boolean {
    const target = exact ? e : this.items.find((x) => !x.dead && x.until === e.until && this.cmp(x, e) === 0);
    if (!target || target.dead) return false;
    target.dead = true;
    this.deadCount++;
    this.view = undefined;
    return true;
  }
  /** The live entries, sorted. */
  sorted(): SortedList<PastEntry> {
    if (!this.view) {
      if (this.deadCount) {
        this.items = this.items.filter((x) => !x.dead);
        this.deadCount = 0;
      }
      this.items.sort(this.cmp);
      this.view = SortedList.fromSorted(this.items, this.cmp);
    }
    return this.view;
  }
}

export function compareEntryValues(a: readonly Value[], b: readonly Value[], rev: readonly boolean[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return rev[i] ? -c : c;
  }
  return Math.sign(a.length - b.length);
}

export const termKey = (terms: readonly Value[]): string => terms.map(keyOf).join("\u0001");

/** Identity of an entry within its index: terms, values and ttl (the ref is the document's). */
export const entryKey = (e: IndexEntry): string => `${termKey(e.terms)}\u0002${termKey(e.values)}\u0003${e.ttl ?? ""}`;

export class IndexStore {
  /** One sorted partition per distinct term tuple. */
  readonly partitions = new Map<string, SortedList<IndexEntry>>();
  /** Entries that left, per term tuple, while their collection keeps history. */
  readonly past = new Map<string, PastList>();
  readonly cmp: (a: IndexEntry, b: IndexEntry) => number;
  private readonly pastCmp: (a: PastEntry, b: PastEntry) => number;
  constructor(readonly def: IndexDef) {
    const rev = def.values.map((v) => v.reverse);
    this.cmp = (a, b) => compareEntryValues(a.values, b.values, rev) || compareRefs(a.ref, b.ref);
    this.pastCmp = (a, b) => this.cmp(a, b) || (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0);
  }
  partition(termKey: string, create: boolean): SortedList<IndexEntry> | undefined {
    let p = this.partitions.get(termKey);
    if (!p && create) {
      p = new SortedList(this.cmp);
      this.partitions.set(termKey, p);
    }
    return p;
  }
  /** The sorted past entries of a term tuple (for reads in the past). */
  pastPartition(termKey: string): SortedList<PastEntry> | undefined {
    return this.past.get(termKey)?.sorted();
  }
  addCurrent(e: IndexEntry): void {
    this.partition(termKey(e.terms), true)!.insert(e);
  }
  /** Removes the stored entry equal to `e` and returns it (with its own `ts`). */
  removeCurrent(e: IndexEntry): IndexEntry | undefined {
    const k = termKey(e.terms);
    const p = this.partitions.get(k);
    const stored = p?.remove(e);
    if (p && p.size === 0) this.partitions.delete(k);
    return stored;
  }
  addPast(e: PastEntry): void {
    const k = termKey(e.terms);
    let p = this.past.get(k);
    if (!p) {
      p = new PastList(this.pastCmp);
      this.past.set(k, p);
    }
    p.add(e);
  }
  /** Undoes `addPast` of this very entry. */
  undoPast(e: PastEntry): void {
    const k = termKey(e.terms);
    const p = this.past.get(k);
    if (!p) return;
    p.undoAdd(e);
    if (p.size === 0) this.past.delete(k);
  }
  removePast(e: PastEntry, exact = true): boolean {
    const k = termKey(e.terms);
    const p = this.past.get(k);
    if (!p || !p.remove(e, exact)) return false;
    if (p.size === 0) this.past.delete(k);
    return true;
  }
}

function product(lists: Value[][]): Value[][] {
  return lists.reduce<Value[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

/** The entries a record puts in an index, stamped with `ts` (when they enter it). */
export function entriesFor(def: IndexDef, rec: DocRecord, ts: bigint = rec.ts): IndexEntry[] {
  const termLists = product(def.terms.map((t) => fieldValues(rec, t.path)));
  const valueLists = def.values.length ? product(def.values.map((v) => fieldValues(rec, v.path))) : [[]];
  const ttl = ttlOf(rec);
  const out: IndexEntry[] = [];
  const seen = new Set<string>();
  for (const terms of termLists) {
    if (terms.length > 0 && terms.every((t) => t === null)) continue;
    for (const values of valueLists) {
      if (values.length > 0 && values.every((v) => v === null)) continue;
      const k = `${termKey(terms)}\u0002${termKey(values)}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ terms, values, ref: rec.ref, ttl, ts });
    }
  }
  return out;
}
