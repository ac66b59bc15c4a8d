/**
 * Sets as ordered streams of index entries. Every set can be scanned from a
 * position in either direction, so a page costs what it returns (a binary
 * search, then the entries themselves), never a pass over the collection.
 */
import { allowed } from "../auth/permissions.ts";
import { err, type Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { compareRefs, compareValues, strictEqual } from "../order.ts";
import { isLive, termKey, type DocRecord, type IndexEntry, type IndexStore, type PastEntry } from "../storage/database.ts";
import { mergeSorted, type SortedList } from "../storage/sorted-list.ts";
import { indexPartitions, scannedEntryBytes } from "../storage/sizes.ts";
import { Ref, SetV, typeName, type ObjectV, type Value } from "../values.ts";
import { databaseOf, dbPartOf, qualify } from "../access/docs.ts";

export interface Entry {
  /** Covered values; empty for refs-only sets (the ref is then the covered value). */
  values: Value[];
  ref: Ref;
  /** The leaf sets the entry came from; set only while a page with `sources: true` is read. */
  src?: Value[];
  /** Set on the entries of an events set: the event this entry stands for. */
  ev?: EventInfo;
}

/** An event of a document (create/update/delete) or of a set (add/remove). */
export interface EventInfo {
  /** µs */
  ts: bigint;
  action: "create" | "update" | "delete" | "add" | "remove";
  /** A document event's data (null for none); a set event's covered values, when the index has values. */
  data?: Value;
}

export type Dir = "asc" | "desc";

const NO_VALUES: readonly Value[] = [];
/**
 * Where a scan starts: `probe(tuple)` compares an entry's cursor tuple to the
 * sought key in the set's own order. Ascending scans yield entries with probe ≥ 0;
 * descending scans yield entries strictly below the first one with probe ≥ 0.
 */
export type Probe = (tuple: Value[]) => number;

export interface Shape {
  /** Number of covered values (0: refs-only). */
  arity: number;
  reverse: boolean[];
}

export const tupleOf = (e: Entry): Value[] => [...e.values, e.ref];
export const coveredOf = (e: Entry): Value[] => (e.values.length ? e.values : [e.ref]);
/** What Paginate returns for an entry. */
export const elementOf = (e: Entry): Value => (e.values.length === 0 ? e.ref : e.values.length === 1 ? e.values[0]! : e.values);

/** Compares cursor tuples in a set's order: values by their reverse flags, then the ref ascending. */
export function compareTuples(a: readonly Value[], b: readonly Value[], reverse: readonly boolean[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return reverse[i] ? -c : c;
  }
  return 0; // a prefix equals everything it prefixes
}

export abstract class FSet extends SetV {
  abstract shape(ctx: Ctx, pos: Pos): Shape;
  /** False when reading this set needs a privilege the caller lacks (an index without read). */
  abstract readable(ctx: Ctx, pos: Pos): boolean;
  abstract scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry>;

  compare(ctx: Ctx, pos: Pos): (a: Entry, b: Entry) => number {
    const { reverse } = this.shape(ctx, pos);
    return (a, b) => compareTuples(a.values, b.values, reverse) || compareRefs(a.ref, b.ref);
  }

  /** What Paginate returns for an entry (events sets return event objects). */
  element(e: Entry): Value {
    return elementOf(e);
  }

  /** An entry's cursor, as pages show it in `before`/`after`. */
  cursor(e: Entry): Value {
    return tupleOf(e);
  }

  /** A probe comparing entries to a cursor in this set's own order (prefixes compare equal). */
  probe(ctx: Ctx, pos: Pos, cursor: Value[]): Probe {
    const { reverse } = this.shape(ctx, pos);
    return (t) => compareTuples(t, cursor, reverse);
  }
}

/**
 * A set whose entries keep the order, shape and read rights of the one set it wraps
 * (Range, Filter, sources tagging): only what it describes and what it scans differ.
 */
export abstract class OrderOfInner extends FSet {
  constructor(readonly inner: FSet) {
    super();
  }
  shape(ctx: Ctx, pos: Pos): Shape {
    return this.inner.shape(ctx, pos);
  }
  override compare(ctx: Ctx, pos: Pos): (a: Entry, b: Entry) => number {
    return this.inner.compare(ctx, pos);
  }
  override probe(ctx: Ctx, pos: Pos, cursor: Value[]): Probe {
    return this.inner.probe(ctx, pos, cursor);
  }
  readable(ctx: Ctx, pos: Pos): boolean {
    return this.inner.readable(ctx, pos);
  }
}

// ---- base sets -------------------------------------------------------------------------------

export function indexStore(ctx: Ctx, index: Ref, pos: Pos): IndexStore {
  const db = databaseOf(ctx, dbPartOf(index), pos);
  const idx = db.live("#indexes", index.id, ctx.snapshotNs) ? db.indexes.get(index.id) : undefined;
  if (!idx) throw err.invalidRef(pos, "index", index.id);
  return idx;
}

/** Non-key principals read through documents they may see; keys see everything their role allows. */
export function docFilter(ctx: Ctx): ((ref: Ref, rec: DocRecord | undefined) => boolean) | undefined {
  const p = ctx.principal;
  if (p.builtin === "admin" || p.builtin === "server" || p.builtin === "server-readonly") return undefined;
  return (ref, rec) => {
    if (!ref.collKey) return false;
    ctx.txn.read++;
    ctx.txn.meter.peek(rec);
    if (!rec) return false;
    if (p.baseline && p.identity) {
      const inst = rec.fields.get("instance");
      if ((ref.collKey === "#tokens" || ref.collKey === "#credentials") && inst instanceof Ref && inst.equals(p.identity)) return true;
    }
    return allowed(ctx, "read", ref.collKey, () => ref);
  };
}

export class MatchSet extends FSet {
  constructor(
    readonly index: Ref,
    readonly terms: Value[],
    /** Whether terms arrived as an array (for rendering them back). */
    readonly termsArray: boolean,
  ) {
    super();
  }
  describe(): ObjectV {
    const m = new Map<string, Value>([["match", this.index]]);
    if (this.terms.length) m.set("terms", this.terms.length === 1 && !this.termsArray ? this.terms[0]! : this.terms);
    return m;
  }
  shape(ctx: Ctx, pos: Pos): Shape {
    const def = indexStore(ctx, this.index, pos).def;
    return { arity: def.values.length, reverse: def.values.map((v) => v.reverse) };
  }
  readable(ctx: Ctx, pos: Pos): boolean {
    indexStore(ctx, this.index, pos);
    return allowed(ctx, "read", `index:${this.index.id}`, () => this.terms);
  }
  *scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    const idx = indexStore(ctx, this.index, pos);
    if (this.terms.length !== idx.def.terms.length && !(idx.def.terms.length === 0 && this.terms.length === 0)) return;
    const key = termKey(this.terms);
    const part = idx.partition(key, false);
    const p = probe ? (e: IndexEntry) => probe([...e.values, e.ref]) : undefined;
    const filter = docFilter(ctx);
    const db = databaseOf(ctx, dbPartOf(this.index), pos);
    const at = ctx.validTs;
    const readNs = ctx.readNs;
    const meter = ctx.txn.meter;
    meter.partitions(indexPartitions(idx.def));
    let iter: Iterable<IndexEntry | PastEntry>;
    if (at === undefined) {
      // Even an empty read is validated at commit: an entry added to it since conflicts.
      ctx.txn.reads?.index(db, idx, key);
      if (!part) return;
      iter = dir === "asc" ? part.ascendFrom(p) : part.descendBelow(p);
    } else {
      // In the past: the entries there then, among those still in the index and those that left.
      const past = idx.pastPartition(key);
      const walk = <T extends IndexEntry>(l: SortedList<T> | undefined): Iterable<T> => (!l ? [] : dir === "asc" ? l.ascendFrom(p) : l.descendBelow(p));
      iter = mergeSorted<IndexEntry | PastEntry>(walk(part), walk(past), dir === "asc" ? idx.cmp : (a, b) => idx.cmp(b, a));
    }
    for (const e of iter) {
      ctx.txn.scanned++;
      meter.entry(scannedEntryBytes(e.values));
      if (at !== undefined && (e.ts > at || (e.until !== undefined && e.until <= at))) continue;
      if (e.ttl !== undefined && e.ttl <= readNs) continue;
      if (filter && !filter(e.ref, ctx.read(db, e.ref.collKey!, e.ref.id))) continue;
      yield { values: e.values, ref: qualify(ctx, db, e.ref) };
    }
  }
}

export class DocumentsSet extends FSet {
  constructor(
    /** A collection ref, or a native collection ref such as Tokens(). */
    readonly coll: Ref,
    /**
     * `Documents(c)`: never refused, each document filtered by read permission, as FaunaDB's
     * `DocumentsSet.filteredForRead` does; `Paginate(Tokens())` itself needs read on the collection.
     */
    readonly filtered = false,
  ) {
    super();
  }
  private get collKey(): string {
    return this.coll.isNative ? `#${this.coll.id}` : this.coll.id;
  }
  describe(): ObjectV {
    return new Map<string, Value>([["documents", this.coll]]);
  }
  shape(): Shape {
    return { arity: 0, reverse: [] };
  }
  /** Keys need read on the collection (server keys cannot list keys, roles, databases); tokens are filtered per document. */
  readable(ctx: Ctx): boolean {
    if (ctx.principal.builtin === null || this.filtered) return true;
    return allowed(ctx, "read", this.collKey, () => this.coll);
  }
  *scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    const db = databaseOf(ctx, dbPartOf(this.coll), pos);
    if (!this.coll.isNative && !db.live("#collections", this.coll.id, ctx.snapshotNs)) throw err.invalidRef(pos, "collection", this.coll.id);
    const store = db.store(this.collKey);
    if (!store) return;
    // A key's role reads a whole collection or none of it: a filtered set it may not read is empty.
    if (this.filtered && ctx.principal.builtin !== null && !allowed(ctx, "read", this.collKey, () => this.coll)) return;
    const p = probe ? (r: { ref: Ref }) => probe([r.ref]) : undefined;
    const walk = <T extends { ref: Ref }>(l: SortedList<T>): Iterable<T> => (dir === "asc" ? l.ascendFrom(p) : l.descendBelow(p));
    const filter = docFilter(ctx);
    const at = ctx.validTs;
    const readNs = ctx.readNs;
    // FaunaDB reads these through its documents-by-collection index: one partition, a ref per entry.
    const meter = ctx.txn.meter;
    meter.partitions(1);
    // In the past, documents deleted since then are members too.
    const iter: Iterable<{ ref: Ref }> =
      at === undefined ? walk(store.order) : mergeSorted<{ ref: Ref }>(walk(store.order), walk(store.goneSorted()), (a, b) => (dir === "asc" ? 1 : -1) * compareRefs(a.ref, b.ref));
    for (const x of iter) {
      ctx.txn.scanned++;
      meter.entry(scannedEntryBytes(NO_VALUES));
      const rec = at === undefined ? (x as DocRecord) : db.recordAt(this.collKey, x.ref.id, at);
      if (!rec || !isLive(rec, readNs)) continue;
      if (filter && !filter(rec.ref, rec)) continue;
      yield { values: [], ref: qualify(ctx, db, rec.ref) };
    }
  }
}

// ---- derived sets ----------------------------------------------------------------------------

export class RangeSet extends OrderOfInner {
  constructor(
    inner: FSet,
    readonly from: Value[],
    readonly to: Value[],
    readonly fromRaw: Value,
    readonly toRaw: Value,
  ) {
    super(inner);
  }
  describe(): ObjectV {
    const m = new Map<string, Value>([["range", this.inner]]);
    if (this.from.length) m.set("from", this.fromRaw);
    if (this.to.length) m.set("to", this.toRaw);
    return m;
  }
  *scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    const lo = this.from;
    const hi = this.to;
    const cmp = (t: Value[], b: Value[]) => this.inner.probe(ctx, pos, b)(t);
    if (dir === "asc") {
      const start: Probe | undefined =
        lo.length || probe ? (t) => Math.min(lo.length ? cmp(t, lo) : 1, probe ? probe(t) : 1) : undefined;
      for (const e of this.inner.scan(ctx, "asc", start, pos)) {
        if (hi.length && cmp(tupleOf(e), hi) > 0) return;
        yield e;
      }
    } else {
      const start: Probe | undefined =
        hi.length || probe ? (t) => Math.max(hi.length ? (cmp(t, hi) > 0 ? 1 : -1) : -1, probe ? probe(t) : -1) : undefined;
      for (const e of this.inner.scan(ctx, "desc", start, pos)) {
        if (lo.length && cmp(tupleOf(e), lo) < 0) return;
        yield e;
      }
    }
  }
}

export class ReverseSet extends FSet {
  constructor(readonly inner: FSet) {
    super();
  }
  describe(): ObjectV {
    return new Map<string, Value>([["reverse", this.inner]]);
  }
  shape(ctx: Ctx, pos: Pos): Shape {
    const s = this.inner.shape(ctx, pos);
    return { arity: s.arity, reverse: s.reverse.map((r) => !r) };
  }
  override compare(ctx: Ctx, pos: Pos): (a: Entry, b: Entry) => number {
    const c = this.inner.compare(ctx, pos);
    return (a, b) => c(b, a);
  }
  /** The whole order is mirrored, the trailing ref included, so null sorts first. */
  override probe(ctx: Ctx, pos: Pos, cursor: Value[]): Probe {
    const p = this.inner.probe(ctx, pos, cursor);
    return (t) => -p(t);
  }
  readable(ctx: Ctx, pos: Pos): boolean {
    return this.inner.readable(ctx, pos);
  }
  scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    // In reverse order "≥ key" is the inner "≤ key": flip the direction and the probe.
    const inner: Probe | undefined = probe ? (t) => (probe(t) < 0 ? 1 : -1) : undefined;
    return this.inner.scan(ctx, dir === "asc" ? "desc" : "asc", inner, pos);
  }
}

/** Merges several sorted streams, grouping entries with equal covered values. */
function* groups(
  streams: Iterable<Entry>[],
  cmp: (a: Entry, b: Entry) => number,
  sameCovered: (a: Entry, b: Entry) => boolean,
): Generator<Entry[][]> {
  const its = streams.map((s) => s[Symbol.iterator]());
  const heads = its.map((it) => it.next());
  for (;;) {
    let min = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done) continue;
      if (min < 0 || cmp(h.value, (heads[min] as IteratorYieldResult<Entry>).value) < 0) min = i;
    }
    if (min < 0) return;
    const first = (heads[min] as IteratorYieldResult<Entry>).value;
    const group: Entry[][] = streams.map(() => []);
    for (let i = 0; i < heads.length; i++) {
      while (!heads[i]!.done && sameCovered((heads[i] as IteratorYieldResult<Entry>).value, first)) {
        group[i]!.push((heads[i] as IteratorYieldResult<Entry>).value);
        heads[i] = its[i]!.next();
      }
    }
    yield group;
  }
}

/** Union and Intersection report, for equal elements, the sources of every component that has them (distinct). */
function withMergedSources(group: Entry[][], chosen: Entry[]): Entry[] {
  if (!group.some((es) => es.some((e) => e.src))) return chosen;
  const merged: Value[] = [];
  for (const es of group) for (const e of es) for (const s of e.src ?? []) if (!merged.some((m) => strictEqual(m, s))) merged.push(s);
  return chosen.map((e) => ({ values: e.values, ref: e.ref, src: merged }));
}

export class AlgebraSet extends FSet {
  constructor(
    readonly op: "union" | "intersection" | "difference" | "distinct",
    readonly sets: FSet[],
    /** Rendered as one value instead of an array (one argument sent bare). */
    readonly bare: boolean,
  ) {
    super();
  }
  describe(): ObjectV {
    // A native collection (Collections(), Tokens()…) used as a component renders as its plain ref.
    const shown = this.sets.map((s): Value => (s instanceof DocumentsSet && s.coll.isNative ? s.coll : s));
    return new Map<string, Value>([[this.op, this.bare ? shown[0]! : shown]]);
  }
  shape(ctx: Ctx, pos: Pos): Shape {
    const shapes = this.sets.map((s) => s.shape(ctx, pos));
    const first = shapes[0]!;
    for (const s of shapes) {
      if (s.reverse.length !== first.reverse.length || s.reverse.some((r, i) => r !== first.reverse[i])) {
        if (s.arity !== 0 && first.arity !== 0) throw err.invalidArgument(pos, "Sets are not compatible.");
      }
    }
    return first;
  }
  readable(ctx: Ctx, pos: Pos): boolean {
    if (this.op === "difference" || this.op === "distinct") return this.sets[0]!.readable(ctx, pos);
    return this.sets.some((s) => s.readable(ctx, pos));
  }
  *scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    const base = this.compare(ctx, pos);
    const cmp = dir === "asc" ? base : (a: Entry, b: Entry) => base(b, a);
    const { reverse } = this.shape(ctx, pos);
    const same = (a: Entry, b: Entry) => compareTuples(coveredOf(a), coveredOf(b), reverse) === 0 && coveredOf(a).length === coveredOf(b).length;
    // Unreadable components are left out, not read as empty: an Intersection with one
    // would otherwise be empty, and a Difference would subtract nothing anyway (S.1.4).
    const keepsFirst = this.op === "difference" || this.op === "distinct";
    const streams = this.sets.filter((s, i) => (keepsFirst && i === 0) || s.readable(ctx, pos)).map((s) => s.scan(ctx, dir, probe, pos));
    for (const g of groups(streams, cmp, same)) {
      const counts = g.map((x) => x.length);
      switch (this.op) {
        case "union": {
          let best = 0;
          counts.forEach((n, i) => {
            if (n > counts[best]!) best = i;
          });
          yield* withMergedSources(g, g[best]!);
          break;
        }
        case "intersection": {
          if (counts.some((n) => n === 0)) break;
          let best = 0;
          counts.forEach((n, i) => {
            if (n < counts[best]!) best = i;
          });
          yield* withMergedSources(g, g[best]!);
          break;
        }
        case "difference":
          if (counts[0]! > 0 && counts.slice(1).every((n) => n === 0)) yield* g[0]!;
          break;
        case "distinct":
          if (counts[0]! > 0) yield g[0]![0]!;
          break;
      }
    }
  }
}

export function asFSet(v: Value, pos: Pos): FSet {
  if (v instanceof FSet) return v;
  if (v instanceof Ref && v.isNative) return new DocumentsSet(v);
  throw err.expected(pos, "Set", typeName(v));
}
