/**
 * One database: its collections (user and native), their documents with their history,
 * and the index structures. Every write goes through `put` (or, for Insert and Remove,
 * `rewrite`), which keeps indexes and history in step and records how to undo itself,
 * so a failed query leaves no trace.
 */
import { compareRefs } from "../order.ts";
import { Ref, native, NATIVE_COLLECTIONS } from "../values.ts";
import { intervals, MICROS_PER_DAY, RetiredQueue, versionAt, type Retired } from "./history.ts";
import { entriesFor, entryKey, IndexStore, type IndexDef, type IndexEntry, type PastEntry } from "./index-store.ts";
import { isLive, type DocRecord, type Version } from "./records.ts";
import { entryBytes, versionWriteBytes } from "./sizes.ts";
import { SortedList } from "./sorted-list.ts";
import type { Txn } from "./txn.ts";

export * from "./records.ts";
export * from "./index-store.ts";

/** `Index.BuildSyncSize`: the most versions an index is built over in the transaction that creates it. */
export const INDEX_BUILD_SYNC_SIZE = 128;

/** The default `history_days` of a user collection (FaunaDB's classic default). */
export const DEFAULT_HISTORY_DAYS = 30n;

const NONE: readonly IndexEntry[] = [];
/** What one write retires, gathered while it runs (writes never nest). */
const SCRATCH: Retired = { until: 0n };
/** The bytes of the index rows one write adds and removes, gathered while it runs. */
let rowBytes = 0;

export class CollectionStore {
  readonly docs = new Map<string, DocRecord>();
  readonly order = new SortedList<DocRecord>((a, b) => compareRefs(a.ref, b.ref));
  /** Versions, oldest first, of each document with more than its one creating version (or deleted). */
  readonly timelines = new Map<string, Version[]>();
  /** Deleted documents whose history is kept, for reads of `Documents()` in the past. */
  private readonly gone = new Map<string, Ref>();
  private goneView: SortedList<{ ref: Ref }> | undefined;
  /** History that becomes collectable once `history_days` have passed. */
  readonly retired = new RetiredQueue();
  constructor(
    readonly key: string,
    /** Days of history kept: 0 keeps none, null keeps all. */
    public historyDays: bigint | null = 0n,
  ) {}

  isGone(id: string): boolean {
    return this.gone.has(id);
  }
  setGone(id: string, ref: Ref | undefined): void {
    if (ref ? this.gone.get(id) === ref : !this.gone.has(id)) return;
    if (ref) this.gone.set(id, ref);
    else this.gone.delete(id);
    this.goneView = undefined;
  }
  goneRefs(): Iterable<Ref> {
    return this.gone.values();
  }

  /** The deleted documents in ref order (sorted when a read in the past first needs them). */
  goneSorted(): SortedList<{ ref: Ref }> {
    if (!this.goneView) {
      const refs = [...this.gone.values()].map((ref) => ({ ref })).sort((a, b) => compareRefs(a.ref, b.ref));
      this.goneView = SortedList.fromSorted(refs, (a, b) => compareRefs(a.ref, b.ref));
    }
    return this.goneView;
  }

  /** Every version of a document, oldest first (the current record alone when it has no history). */
  versions(id: string): readonly Version[] {
    const tl = this.timelines.get(id);
    if (tl) return tl;
    const rec = this.docs.get(id);
    return rec ? [{ ts: rec.ts, action: "create", rec }] : [];
  }
}

export class Database {
  readonly stores = new Map<string, CollectionStore>();
  readonly indexes = new Map<string, IndexStore>();
  readonly children = new Map<string, Database>();
  /** Which indexes read each collection, for index maintenance on write. */
  private readonly indexesBySource = new Map<string, Set<IndexStore>>();
  /** Stores (of this tree) with retired history waiting; only the root's is used. */
  private readonly pending = new Set<CollectionStore>();
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

  private get root(): Database {
    let d: Database = this;
    while (d.parent) d = d.parent;
    return d;
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

  /** The current record, live or not. */
  raw(collKey: string, id: string): DocRecord | undefined {
    return this.stores.get(collKey)?.docs.get(id);
  }

  /** The current record if it exists and its ttl has not passed at `snapshotNs`. */
  live(collKey: string, id: string, snapshotNs: bigint): DocRecord | undefined {
    const r = this.raw(collKey, id);
    if (!r) return undefined;
    return isLive(r, snapshotNs) ? r : undefined;
  }

  /** The version in force at `atMicros` (ttl not considered). */
  recordAt(collKey: string, id: string, atMicros: bigint): DocRecord | undefined {
    const store = this.stores.get(collKey);
    if (!store) return undefined;
    const tl = store.timelines.get(id);
    if (tl) return versionAt(tl, atMicros);
    const rec = store.docs.get(id);
    return rec && rec.ts <= atMicros ? rec : undefined;
  }

  addCollectionStore(txn: Txn, name: string, historyDays: bigint | null): CollectionStore {
    const s = new CollectionStore(name, historyDays);
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
    // FaunaDB builds an index over at most 128 versions inside the creating transaction, which
    // pays for it: a compute per term and value of each version, the rows written per document.
    // A larger source is built by a background task the query does not pay for.
    let versions = 0;
    for (const src of def.sources) {
      const s = this.stores.get(src);
      if (s) versions += s.docs.size + [...s.timelines.values()].reduce((n, tl) => n + tl.length - 1, 0);
    }
    const paid = versions <= INDEX_BUILD_SYNC_SIZE;
    if (paid) txn.meter.compute(versions * (def.terms.length + def.values.length));
    const rows: [object, number][] = [];
    for (const src of def.sources) {
      const s = this.stores.get(src);
      if (s) {
        for (const rec of s.docs.values()) {
          if (s.timelines.has(rec.ref.id)) continue;
          let bytes = 0;
          for (const e of entriesFor(def, rec)) {
            idx.addCurrent(e);
            bytes += entryBytes(e.terms, e.values);
          }
          if (paid && bytes) rows.push([rec.ref, bytes]);
        }
        for (const tl of s.timelines.values()) this.addIntervals(s, idx, intervals(def, tl));
      }
      this.bySource(src).add(idx);
    }
    this.indexes.set(def.name, idx);
    txn.onUndo(() => this.dropIndexRaw(def.name));
    for (const [doc, bytes] of rows) txn.meter.addTo(doc, bytes);
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

  // ---- writes ------------------------------------------------------------------------------

  /** Write (or with `undefined`, delete) one document at the transaction's time; undoable. */
  put(txn: Txn, collKey: string, id: string, next: DocRecord | undefined): void {
    const store = this.stores.get(collKey);
    if (!store) throw new Error(`no store ${collKey}`);
    const prev = store.docs.get(id);
    const ts = txn.tsMicros;
    const keep = store.historyDays !== 0n;
    txn.written++;
    txn.changes?.push({ db: this, collKey, id, prev, next });
    this.setCurrent(store, id, next);
    // One undo per write, whatever it touched: a write costs no more allocations than it must.
    let undoIndexes: (() => void)[] | undefined;
    // Filled only when this write retires history (most writes do not): no allocation otherwise.
    const retired = SCRATCH;
    retired.until = ts;
    retired.id = undefined;
    retired.entries = undefined;
    rowBytes = 0;
    for (const idx of this.indexesOf(collKey)) {
      const undo = this.reindex(idx, prev, next, ts, keep, retired);
      if (undo) (undoIndexes ??= []).push(undo);
    }
    const undoTimeline = keep && (prev || store.timelines.has(id)) ? this.extendTimeline(txn, store, id, prev, next, retired) : undefined;
    if (retired.entries || retired.id !== undefined) this.retire(store, { until: ts, id: retired.id, entries: retired.entries });
    txn.onUndo(() => {
      undoTimeline?.();
      if (undoIndexes) for (let i = undoIndexes.length - 1; i >= 0; i--) undoIndexes[i]!();
      this.setCurrent(store, id, prev);
    });
    // Last: a write past the transaction size limit throws with its undo already recorded.
    txn.meter.wrote((next ?? prev)?.ref ?? store, versionWriteBytes(next) + rowBytes);
  }

  /** Replaces a document's whole history (Insert, Remove); its current state follows the last version. */
  rewrite(txn: Txn, collKey: string, id: string, versions: Version[]): void {
    const store = this.stores.get(collKey);
    if (!store) throw new Error(`no store ${collKey}`);
    const old = [...store.versions(id)];
    txn.written++;
    txn.meter.wrote(versions.find((v) => v.rec)?.rec?.ref ?? old.find((v) => v.rec)?.rec?.ref ?? store, versions.reduce((n, v) => n + versionWriteBytes(v.rec), 0));
    txn.changes?.push({ db: this, collKey, id, prev: store.docs.get(id), next: versions[versions.length - 1]?.rec, versions: { from: old, to: versions } });
    this.applyTimeline(store, id, old, versions);
    txn.onUndo(() => this.applyTimeline(store, id, versions, old));
    this.retire(store, { until: versions.reduce((m, v) => (v.ts > m ? v.ts : m), txn.tsMicros), id });
  }

  private setCurrent(store: CollectionStore, id: string, rec: DocRecord | undefined): void {
    const old = store.docs.get(id);
    if (old) store.order.remove(old);
    if (rec) {
      store.docs.set(id, rec);
      store.order.insert(rec);
    } else {
      store.docs.delete(id);
    }
  }

  /** Moves the entries that change between two records in and out of an index; returns how to undo it. */
  private reindex(idx: IndexStore, prev: DocRecord | undefined, next: DocRecord | undefined, ts: bigint, keep: boolean, retired: Retired): (() => void) | undefined {
    const before = prev ? entriesFor(idx.def, prev) : NONE;
    const after = next ? entriesFor(idx.def, next, ts) : NONE;
    if (!before.length) {
      if (!after.length) return undefined;
      for (const e of after) {
        idx.addCurrent(e);
        rowBytes += entryBytes(e.terms, e.values);
      }
      return () => {
        for (const e of after) idx.removeCurrent(e);
      };
    }
    const stay = after.length ? new Set(after.map(entryKey)) : undefined;
    const had = after.length ? new Set(before.map(entryKey)) : undefined;
    // The entries that leave; with history kept, each (the stored object itself) moves to the past.
    const removed: IndexEntry[] = [];
    for (const e of before) {
      if (stay?.has(entryKey(e))) continue;
      const stored = idx.removeCurrent(e);
      if (!stored) continue;
      removed.push(stored);
      rowBytes += entryBytes(stored.terms, stored.values);
      // An entry that came and went within this transaction was never visible.
      if (keep && stored.ts < ts) {
        stored.until = ts;
        idx.addPast(stored as PastEntry);
        (retired.entries ??= []).push(idx, stored as PastEntry);
      }
    }
    const added = had ? after.filter((e) => !had.has(entryKey(e))) : NONE;
    for (const e of added) {
      idx.addCurrent(e);
      rowBytes += entryBytes(e.terms, e.values);
    }
    return () => {
      for (const a of added) idx.removeCurrent(a);
      for (let i = removed.length - 1; i >= 0; i--) {
        const r = removed[i]!;
        if (r.until !== undefined) {
          idx.undoPast(r as PastEntry);
          r.until = undefined;
        }
        idx.addCurrent(r);
      }
    };
  }

  /** Appends the write to the document's history (one version per transaction). */
  private extendTimeline(txn: Txn, store: CollectionStore, id: string, prev: DocRecord | undefined, next: DocRecord | undefined, retired: Retired): () => void {
    const ts = txn.tsMicros;
    const old = store.timelines.get(id);
    const tl: Version[] = old ? [...old] : [{ ts: prev!.ts, action: "create", rec: prev }];
    if (tl[tl.length - 1]!.ts === ts) tl.pop();
    const before = tl[tl.length - 1];
    // A document whose ttl passed is gone: writing it again creates it anew.
    if (next) tl.push({ ts, action: before?.rec && isLive(before.rec, txn.snapshotNs) ? "update" : "create", rec: next });
    else if (before && before.action !== "delete") tl.push({ ts, action: "delete" });
    const ref = (prev ?? next)!.ref;
    const wasGone = store.isGone(id);
    this.setTimeline(store, id, ref, tl);
    if (tl.length > 1) retired.id = id;
    return () => {
      if (old) store.timelines.set(id, old);
      else store.timelines.delete(id);
      store.setGone(id, wasGone ? ref : undefined);
    };
  }

  /** Stores a timeline in its compact form and keeps the `gone` list in step with its last version. */
  private setTimeline(store: CollectionStore, id: string, ref: Ref, tl: Version[]): void {
    const last = tl[tl.length - 1];
    if (!last || (tl.length === 1 && last.action === "create")) store.timelines.delete(id);
    else store.timelines.set(id, tl);
    store.setGone(id, last?.action === "delete" ? ref : undefined);
  }

  private applyTimeline(store: CollectionStore, id: string, from: readonly Version[], to: Version[]): void {
    for (const idx of this.indexesOf(store.key)) {
      const a = intervals(idx.def, from);
      for (const e of a.open) idx.removeCurrent(e);
      for (const e of a.closed) idx.removePast(e, false);
      this.addIntervals(store, idx, intervals(idx.def, to));
    }
    const last = to[to.length - 1];
    this.setCurrent(store, id, last?.rec);
    const ref = (to.find((v) => v.rec)?.rec ?? from.find((v) => v.rec)?.rec)?.ref;
    if (ref) this.setTimeline(store, id, ref, to);
    else store.timelines.delete(id);
  }

  private addIntervals(store: CollectionStore, idx: IndexStore, iv: { open: IndexEntry[]; closed: PastEntry[] }): void {
    for (const e of iv.open) idx.addCurrent(e);
    for (const e of iv.closed) {
      idx.addPast(e);
      this.retire(store, { until: e.until, entries: [idx, e] });
    }
  }

  private retire(store: CollectionStore, r: Retired): void {
    if (store.retired.size === 0) this.root.pending.add(store);
    store.retired.push(r);
  }

  // ---- history collection ------------------------------------------------------------------

  /** Collects the history every store of this tree no longer has to keep at `nowMicros`. */
  collectHistory(nowMicros: bigint): void {
    for (const store of this.pending) {
      if (store.historyDays === null) continue;
      const horizon = nowMicros - store.historyDays * MICROS_PER_DAY;
      for (const r of store.retired.due(horizon)) {
        if (r.entries) for (let i = 0; i < r.entries.length; i += 2) (r.entries[i] as IndexStore).removePast(r.entries[i + 1] as PastEntry);
        if (r.id !== undefined) collectVersions(store, r.id, horizon);
      }
      if (store.retired.size === 0) this.pending.delete(store);
    }
  }
}

/** Drops the versions of a document superseded at or before `horizon`. */
function collectVersions(store: CollectionStore, id: string, horizon: bigint): void {
  const tl = store.timelines.get(id);
  if (!tl) return;
  let k = 0;
  for (let i = 0; i < tl.length; i++) if (tl[i]!.ts <= horizon) k = i;
  let kept = tl.slice(k);
  if (kept[0]!.action === "delete" && kept[0]!.ts <= horizon) {
    if (kept.length === 1) {
      store.timelines.delete(id);
      store.setGone(id, undefined);
      return;
    }
    kept = kept.slice(1);
  }
  if (kept.length === 1 && kept[0]!.action === "create" && kept[0]!.rec === store.docs.get(id)) store.timelines.delete(id);
  else store.timelines.set(id, kept);
}
