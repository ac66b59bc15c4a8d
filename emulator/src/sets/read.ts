/** Reading sets: Paginate's pages and cursors (spec §2.5), and the whole-set reads of Count, Get, Exists. */
import { err, type Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { strictEqual } from "../order.ts";
import { PageV, Ref, type Value } from "../values.ts";
import { FSet, type Entry, type Probe } from "./sets.ts";
import { traced } from "./sources.ts";

export const DEFAULT_PAGE_SIZE = 64;
export const MAX_PAGE_SIZE = 100_000;

function ensureReadable(ctx: Ctx, set: FSet, readPos: Pos, errPos: Pos): void {
  if (!set.readable(ctx, readPos)) throw err.permissionDenied(errPos);
}

const asCursor = (c: Value): Value[] => (Array.isArray(c) ? c : [c]);
/** A scalar cursor is a one-element prefix, and is echoed back as one (`null` stays the end marker). */
const echoed = (c: Value | undefined): Value | undefined => (c === undefined || c === null || Array.isArray(c) ? c : [c]);

export interface PageOptions {
  size: number;
  after?: Value;
  before?: Value;
  /** Each element as `{value, sources}` (`sources: true`). */
  sources?: boolean;
}

/** Runs one read of a set and bills it as FaunaDB does: its partitions and the bytes of its entries. */
function billed<T>(ctx: Ctx, read: () => T): T {
  const mark = ctx.txn.meter.setMark();
  const out = read();
  ctx.txn.meter.setRead(mark);
  return out;
}

export const paginate = (ctx: Ctx, setIn: FSet, opts: PageOptions, pos: Pos, errPos: Pos): PageV => billed(ctx, () => page(ctx, setIn, opts, pos, errPos));

function page(ctx: Ctx, setIn: FSet, opts: PageOptions, pos: Pos, errPos: Pos): PageV {
  ensureReadable(ctx, setIn, pos, errPos);
  const set = opts.sources ? traced(setIn) : setIn;
  const elementOf = opts.sources
    ? (e: Entry): Value => new Map<string, Value>([["value", set.element(e)], ["sources", e.src ?? []]])
    : (e: Entry): Value => set.element(e);
  const tupleOf = (e: Entry): Value => set.cursor(e);
  const size = Math.min(Math.max(opts.size, 0), MAX_PAGE_SIZE);
  const probeFor = (cursor: Value[]): Probe => set.probe(ctx, pos, cursor);
  if (opts.before !== undefined && opts.after === undefined) {
    const cursor = echoed(opts.before)!;
    if (size === 0) return new PageV([], undefined, cursor);
    const got: Entry[] = [];
    for (const e of set.scan(ctx, "desc", probeFor(asCursor(cursor)), pos)) {
      got.push(e);
      if (got.length > size) break;
    }
    const more = got.length > size;
    const page = got.slice(0, size).reverse();
    return new PageV(page.map(elementOf), more ? tupleOf(page[0]!) : undefined, cursor, page.map(tupleOf));
  }
  const cursor = echoed(opts.after);
  if (size === 0) return new PageV([], cursor, cursor);
  const got: Entry[] = [];
  for (const e of set.scan(ctx, "asc", cursor === undefined ? undefined : probeFor(asCursor(cursor)), pos)) {
    got.push(e);
    if (got.length > size) break;
  }
  const more = got.length > size;
  const page = got.slice(0, size);
  return new PageV(page.map(elementOf), cursor, more ? tupleOf(got[size]!) : undefined, page.map(tupleOf));
}

export const firstOfSet = (ctx: Ctx, set: FSet, pos: Pos, errPos: Pos): Ref | undefined =>
  billed(ctx, () => {
    ensureReadable(ctx, set, pos, errPos);
    for (const e of set.scan(ctx, "asc", undefined, pos)) return e.ref;
    return undefined;
  });

export const setExists = (ctx: Ctx, set: FSet, pos: Pos): boolean =>
  billed(ctx, () => {
    ensureReadable(ctx, set, pos, pos);
    for (const _ of set.scan(ctx, "asc", undefined, pos)) return true;
    return false;
  });

export const setElements = (ctx: Ctx, set: FSet, pos: Pos, errPos: Pos): Value[] =>
  billed(ctx, () => {
    ensureReadable(ctx, set, pos, errPos);
    const out: Value[] = [];
    for (const e of set.scan(ctx, "asc", undefined, pos)) out.push(set.element(e));
    return out;
  });

/** ContainsValue on a set: whether some element equals `value`, found by seeking to it in the set's order. */
export const setContains = (ctx: Ctx, set: FSet, value: Value, pos: Pos): boolean => billed(ctx, () => contains(ctx, set, value, pos));

function contains(ctx: Ctx, set: FSet, value: Value, pos: Pos): boolean {
  ensureReadable(ctx, set, pos, pos);
  const key = Array.isArray(value) ? value : [value];
  const probe = set.probe(ctx, pos, key);
  for (const e of set.scan(ctx, "asc", probe, pos)) {
    const element = set.element(e);
    if (strictEqual(element, value)) return true;
    if (probe(Array.isArray(element) ? element : [element]) > 0) return false;
  }
  return false;
}
