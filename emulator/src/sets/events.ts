/**
 * History as sets: `Events(ref | set)` (and `Paginate(…, {events: true})`) and
 * `Singleton(ref)`. A document's events are its versions (create/update/delete, with
 * that version's data); a set's events are its members arriving and leaving (add/remove,
 * with the covered values when the index has values). Events are ordered by ts, then
 * document, then action (a leaving entry before an arriving one), then values.
 */
import { allowed } from "../auth/permissions.ts";
import { err, type Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { compareRefs, compareValues } from "../order.ts";
import { termKey, type CollectionStore, type Database, type Version } from "../storage/database.ts";
import { Ref, TimeV, floorDiv, type ObjectV, type Value } from "../values.ts";
import { databaseOf, dbPartOf, locate, qualify } from "../access/docs.ts";
import { DocSet } from "./doc-set.ts";
import { AlgebraSet, DocumentsSet, docFilter, FSet, indexStore, MatchSet, type Dir, type Entry, type EventInfo, type Probe, type Shape } from "./sets.ts";

const RANK: Record<EventInfo["action"], number> = { remove: 0, add: 1, create: 0, update: 1, delete: 2 };

/** Whether a set can be read as events: documents, refs, singletons, index matches, and unions of them. */
function historical(set: FSet): boolean {
  if (set instanceof AlgebraSet) return set.op === "union" && set.sets.every(historical);
  return set instanceof DocSet || set instanceof SingletonSet || set instanceof MatchSet || set instanceof DocumentsSet;
}

/** Orders events; `cursor` may be a prefix (a ts alone, or an event object without some keys). */
function compareEvent(e: { ts: bigint; ref: Ref; action: EventInfo["action"]; data?: Value }, cursor: Value): number {
  const c = cursor instanceof Map ? cursor : new Map<string, Value>([["ts", cursor]]);
  const ts = c.get("ts");
  const cts = ts instanceof TimeV ? floorDiv(ts.ns, 1000n) : typeof ts === "bigint" ? ts : typeof ts === "number" ? BigInt(Math.trunc(ts)) : undefined;
  if (cts === undefined) return 0;
  if (e.ts !== cts) return e.ts < cts ? -1 : 1;
  const doc = c.get("document") ?? c.get("resource");
  if (!(doc instanceof Ref)) return 0;
  const r = compareRefs(e.ref, doc);
  if (r !== 0) return r;
  const action = c.get("action");
  if (typeof action !== "string" || !(action in RANK)) return 0;
  const a = RANK[e.action] - RANK[action as EventInfo["action"]];
  if (a !== 0) return Math.sign(a);
  const data = c.get("data");
  return data === undefined || e.data === undefined ? 0 : compareValues(e.data, data);
}

const eventCmp = (a: Entry, b: Entry): number =>
  (a.ev!.ts < b.ev!.ts ? -1 : a.ev!.ts > b.ev!.ts ? 1 : 0) ||
  compareRefs(a.ref, b.ref) ||
  RANK[a.ev!.action] - RANK[b.ev!.action] ||
  (a.ev!.data !== undefined && b.ev!.data !== undefined ? compareValues(a.ev!.data, b.ev!.data) : 0);

/** A document's versions as events. */
function docEvents(versions: readonly Version[], ref: Ref): Entry[] {
  return versions.map((v) => ({ values: [], ref, ev: { ts: v.ts, action: v.action, data: v.rec?.fields.get("data") ?? null } }));
}

/** A document's arrivals in and departures from `Documents()` / a singleton. */
function membershipEvents(versions: readonly Version[], ref: Ref): Entry[] {
  const out: Entry[] = [];
  let present = false;
  for (const v of versions) {
    const now = v.action !== "delete";
    if (now !== present) out.push({ values: [], ref, ev: { ts: v.ts, action: now ? "add" : "remove" } });
    present = now;
  }
  return out;
}

function storeOf(ctx: Ctx, ref: Ref, pos: Pos): { db: Database; store: CollectionStore; id: string } {
  const loc = locate(ctx, ref, pos);
  return { db: loc.db, store: loc.db.store(loc.collKey)!, id: loc.id };
}

/** Every event of a historical set, unordered, qualified for the caller. */
function collect(ctx: Ctx, set: FSet, pos: Pos): Entry[] {
  if (set instanceof AlgebraSet) return set.sets.flatMap((s) => collect(ctx, s, pos));
  if (set instanceof DocSet || set instanceof SingletonSet) {
    const { db, store, id } = storeOf(ctx, set.ref, pos);
    const versions = store.versions(id);
    const ref = qualify(ctx, db, versions.find((v) => v.rec)?.rec?.ref ?? set.ref);
    return set instanceof DocSet ? docEvents(versions, ref) : membershipEvents(versions, ref);
  }
  if (set instanceof DocumentsSet) {
    const db = databaseOf(ctx, dbPartOf(set.coll), pos);
    const store = db.store(set.coll.isNative ? `#${set.coll.id}` : set.coll.id);
    if (!store) return [];
    const out: Entry[] = [];
    for (const ref of [...[...store.order.ascendFrom()].map((r) => r.ref), ...store.goneRefs()]) {
      out.push(...membershipEvents(store.versions(ref.id), qualify(ctx, db, ref)));
    }
    return filtered(ctx, db, out);
  }
  if (set instanceof MatchSet) {
    const idx = indexStore(ctx, set.index, pos);
    const db = databaseOf(ctx, dbPartOf(set.index), pos);
    if (set.terms.length !== idx.def.terms.length) return [];
    const withValues = idx.def.values.length > 0;
    const out: Entry[] = [];
    const key = termKey(set.terms);
    const part = idx.partitions.get(key);
    const past = idx.pastPartition(key);
    for (const e of part?.ascendFrom() ?? []) out.push({ values: e.values, ref: e.ref, ev: { ts: e.ts, action: "add", ...(withValues ? { data: e.values } : {}) } });
    for (const e of past?.ascendFrom() ?? []) {
      out.push({ values: e.values, ref: e.ref, ev: { ts: e.ts, action: "add", ...(withValues ? { data: e.values } : {}) } });
      out.push({ values: e.values, ref: e.ref, ev: { ts: e.until, action: "remove", ...(withValues ? { data: e.values } : {}) } });
    }
    return filtered(ctx, db, out).map((e) => ({ ...e, ref: qualify(ctx, db, e.ref) }));
  }
  throw err.invalidArgument(pos, "Set does not support events history.");
}

/** Non-key callers see the events of documents they may read (as they were at the event). */
function filtered(ctx: Ctx, db: Database, events: Entry[]): Entry[] {
  const filter = docFilter(ctx);
  if (!filter) return events;
  return events.filter((e) => {
    const coll = e.ref.collKey!;
    const rec = db.recordAt(coll, e.ref.id, e.ev!.ts) ?? db.recordAt(coll, e.ref.id, e.ev!.ts - 1n);
    return filter(e.ref, rec);
  });
}

export class EventsSet extends FSet {
  constructor(readonly inner: FSet) {
    super();
  }
  describe(): ObjectV {
    const shown: Value = this.inner instanceof DocSet ? this.inner.ref : this.inner instanceof DocumentsSet && this.inner.coll.isNative ? this.inner.coll : this.inner;
    return new Map<string, Value>([["events", shown]]);
  }
  shape(): Shape {
    return { arity: 0, reverse: [] };
  }
  readable(ctx: Ctx, pos: Pos): boolean {
    return this.inner.readable(ctx, pos);
  }
  override element(e: Entry): Value {
    const m = new Map<string, Value>([
      ["ts", e.ev!.ts],
      ["action", e.ev!.action],
      ["document", e.ref],
    ]);
    if (e.ev!.data !== undefined) m.set("data", e.ev!.data);
    return m;
  }
  /** A document event's cursor leaves out its data; a set event's is the whole event. */
  override cursor(e: Entry): Value {
    const m = this.element(e) as ObjectV;
    if (e.ev!.action === "create" || e.ev!.action === "update" || e.ev!.action === "delete") m.delete("data");
    return m;
  }
  /** Probes compare an entry's cursor (`[eventCursor]`) with the cursor given (its first element). */
  override probe(_ctx: Ctx, _pos: Pos, cursor: Value[]): Probe {
    const c = cursor[0] ?? null;
    return (t) => {
      const m = t[0] as Map<string, Value>;
      return compareEvent({ ts: m.get("ts") as bigint, ref: m.get("document") as Ref, action: m.get("action") as EventInfo["action"], data: m.get("data") }, c);
    };
  }
  *scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    if (!historical(this.inner)) throw err.invalidArgument(pos, "Set does not support events history.");
    const upTo = ctx.validTs;
    const all = collect(ctx, this.inner, pos).filter((e) => upTo === undefined || e.ev!.ts <= upTo);
    all.sort(eventCmp);
    if (dir === "desc") all.reverse();
    for (const e of all) {
      ctx.txn.scanned++;
      if (probe) {
        const p = probe([this.element(e)]);
        if (dir === "asc" ? p < 0 : p >= 0) continue;
      }
      yield e;
    }
  }
}

/** `Singleton(ref)`: the ref while its document is live; its events are only add and remove. */
export class SingletonSet extends FSet {
  constructor(readonly ref: Ref) {
    super();
  }
  describe(): ObjectV {
    return new Map<string, Value>([["singleton", this.ref]]);
  }
  shape(): Shape {
    return { arity: 0, reverse: [] };
  }
  readable(ctx: Ctx, pos: Pos): boolean {
    const loc = locate(ctx, this.ref, pos);
    return allowed(ctx, "read", loc.collKey, () => this.ref);
  }
  scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    return new DocSet(this.ref).scan(ctx, dir, probe, pos);
  }
}

/** `Events(x)`, and `Paginate(x, {events: true})`: the events of a ref or a set. */
export function eventsOf(set: FSet): FSet {
  return set instanceof EventsSet ? set : new EventsSet(set);
}
