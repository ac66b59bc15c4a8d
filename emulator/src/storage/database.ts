/**
 * One database: its collections (user and native), their documents, and the
 * live index structures. Every write goes through `put`, which keeps indexes in
 * step and records how to undo itself, so a failed query leaves no trace.
 */
import { compareRefs, compareValues, keyOf } from "../order.ts";
import {
  Ref,
  TimeV,
  type Value,
  native,
  NATIVE_COLLECTIONS,
  DocV,
} from "../values.ts";
import { SortedList } from "./sorted-list.ts";
import type { Txn } from "./txn.ts";

export interface DocRecord {
  ref: Ref;
  /** Commit time of the last write, µs. */
  ts: bigint;
  /** Stored top-level fields other than ref and ts (data, ttl, instance, name, …). */
  fields: Map<string, Value>;
}

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
}

export class CollectionStore {
  readonly docs = new Map<string, DocRecord>();
  readonly order = new SortedList<DocRecord>((a, b) => compareRefs(a.ref, b.ref));
  constructor(readonly key: string) {}
}

export class IndexStore {
  /** One sorted partition per distinct term tuple. */
  readonly partitions = new Map<string, SortedList<IndexEntry>>();
  readonly cmp: (a: IndexEntry, b: IndexEntry) => number;
  constructor(readonly def: IndexDef) {
    const rev = def.values.map((v) => v.reverse);
    this.cmp = (a, b) => compareEntryValues(a.values, b.values, rev) || compareRefs(a.ref, b.ref);
  }
  partition(termKey: string, create: boolean): SortedList<IndexEntry> | undefined {
    let p = this.partitions.get(termKey);
    if (!p && create) {
      p = new SortedList(this.cmp);
      this.partitions.set(termKey, p);
    }
    return p;
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


export class Database {
  readonly stores = new Map<string, CollectionStore>();
  readonly indexes = new Map<string, IndexStore>();
  readonly children = new Map<string, Database>();
  /** Which indexes read each collection, for index maintenance on write. */
  private readonly indexesBySource = new Map<string, Set<IndexStore>>();
  detached = false;

  /** Stands in for FaunaDB's global database id (access providers' `audience`). */
  readonly globalId = Array.from({ length: 10 }, () => "abcdefghijklmnopqrstuvwxyz234567"[Math.floor(Math.random() * 32)]).join("");

  constructor(
    readonly name: string,
    /** Changes only through MoveDatabase. */
    public parent?: Database,
  ) {
    for (const n of NATIVE_COLLECTIONS) this.stores.set(`#${n}`, new CollectionStore(`#${n}`));
  }

  /** This database as a ref path seen from `ancestor` (undefined when they are the same). */
  refFrom(ancestor: Database): Ref | undefined {
    if (this === ancestor || !this.parent) return undefined;
    return new Ref(this.name, native("databases"), this.parent.refFrom(ancestor));
  }

  get attached(): boolean {
    let d: Database | undefined = this;
    while (d) {
      if (d.detached) return false;
      d = d.parent;
    }
    return true;
  }

  store(collKey: string): CollectionStore | undefined {
    return this.stores.get(collKey);
  }

  /** The raw record, live or not. */
  raw(collKey: string, id: string): DocRecord | undefined {
    return this.stores.get(collKey)?.docs.get(id);
  }

  /** The record if it exists and its ttl has not passed at `snapshotNs`. */
  live(collKey: string, id: string, snapshotNs: bigint): DocRecord | undefined {
    const r = this.raw(collKey, id);
    if (!r) return undefined;
    return isLive(r, snapshotNs) ? r : undefined;
  }

  addCollectionStore(txn: Txn, name: string): CollectionStore {
    const s = new CollectionStore(name);
    this.stores.set(name, s);
    txn.onUndo(() => this.stores.delete(name));
    return s;
  }

  removeCollectionStore(txn: Txn, name: string): void {
    const s = this.stores.get(name);
    if (!s) return;
    for (const rec of [...s.docs.values()]) this.put(txn, name, rec.ref.id, undefined);
    this.stores.delete(name);
    txn.onUndo(() => this.stores.set(name, s));
  }

  addIndex(txn: Txn, def: IndexDef): IndexStore {
    const idx = new IndexStore(def);
    for (const src of def.sources) {
      const s = this.stores.get(src);
      if (s) for (const rec of s.docs.values()) this.indexDoc(idx, rec, true);
      this.bySource(src).add(idx);
    }
    this.indexes.set(def.name, idx);
    txn.onUndo(() => this.dropIndexRaw(def.name));
    return idx;
  }

  removeIndex(txn: Txn, name: string): void {
    const idx = this.indexes.get(name);
    if (!idx) return;
    this.dropIndexRaw(name);
    txn.onUndo(() => {
      this.indexes.set(name, idx);
      for (const src of idx.def.sources) this.bySource(src).add(idx);
    });
  }

  private dropIndexRaw(name: string): void {
    const idx = this.indexes.get(name);
    if (!idx) return;
    this.indexes.delete(name);
    for (const src of idx.def.sources) this.indexesBySource.get(src)?.delete(idx);
  }

  private bySource(src: string): Set<IndexStore> {
    let s = this.indexesBySource.get(src);
    if (!s) {
      s = new Set();
      this.indexesBySource.set(src, s);
    }
    return s;
  }

  indexesOf(collKey: string): Iterable<IndexStore> {
    return this.indexesBySource.get(collKey) ?? [];
  }

  /** Write (or with `undefined`, delete) one document, keeping indexes in step; undoable. */
  put(txn: Txn, collKey: string, id: string, next: DocRecord | undefined): void {
    const prev = this.putRaw(collKey, id, next);
    txn.written++;
    txn.onUndo(() => this.putRaw(collKey, id, prev));
  }

  private putRaw(collKey: string, id: string, next: DocRecord | undefined): DocRecord | undefined {
    const store = this.stores.get(collKey);
    if (!store) throw new Error(`no store ${collKey}`);
    const prev = store.docs.get(id);
    if (prev) {
      store.order.remove(prev);
      for (const idx of this.indexesOf(collKey)) this.indexDoc(idx, prev, false);
    }
    if (next) {
      store.docs.set(id, next);
      store.order.insert(next);
      for (const idx of this.indexesOf(collKey)) this.indexDoc(idx, next, true);
    } else {
      store.docs.delete(id);
    }
    return prev;
  }

  private indexDoc(idx: IndexStore, rec: DocRecord, add: boolean): void {
    for (const e of entriesFor(idx.def, rec)) {
      const k = termKey(e.terms);
      if (add) idx.partition(k, true)!.insert(e);
      else {
        const p = idx.partition(k, false);
        if (p) {
          p.remove(e);
          if (p.size === 0) idx.partitions.delete(k);
        }
      }
    }
  }
}

export function isLive(r: DocRecord, snapshotNs: bigint): boolean {
  const ttl = r.fields.get("ttl");
  return !(ttl instanceof TimeV) || ttl.ns > snapshotNs;
}

export function ttlOf(r: DocRecord): bigint | undefined {
  const ttl = r.fields.get("ttl");
  return ttl instanceof TimeV ? ttl.ns : undefined;
}

/** The value(s) a term or value path yields for a document (arrays fan out; missing → [null]). */
function fieldValues(rec: DocRecord, path: (string | number)[]): Value[] {
  if (path.length === 1 && path[0] === "ref") return [rec.ref];
  if (path.length === 1 && path[0] === "ts") return [rec.ts];
  let cur: Value | undefined = docAsObject(rec);
  for (const p of path) {
    if (cur instanceof Map && typeof p === "string") cur = cur.get(p);
    else if (Array.isArray(cur) && typeof p === "number") cur = cur[p];
    else cur = undefined;
    if (cur === undefined) return [null];
  }
  if (Array.isArray(cur)) {
    const flat = cur.flat(Infinity as 1) as Value[];
    return flat.length ? flat : [null];
  }
  return [cur ?? null];
}

function product(lists: Value[][]): Value[][] {
  return lists.reduce<Value[][]>((acc, list) => acc.flatMap((prefix) => list.map((v) => [...prefix, v])), [[]]);
}

export function entriesFor(def: IndexDef, rec: DocRecord): IndexEntry[] {
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
      out.push({ terms, values, ref: rec.ref, ttl });
    }
  }
  return out;
}

/** A document's fields as FaunaDB renders them: ref, ts, then the stored fields. */
export function docAsObject(rec: DocRecord): DocV {
  const m = new DocV();
  m.set("ref", rec.ref);
  m.set("ts", rec.ts);
  for (const [k, v] of rec.fields) m.set(k, v);
  return m;
}

