/**
 * `Paginate(…, {sources: true})`: which leaf sets each element came from. The set
 * tree is rebuilt with every leaf (Match, Documents, a ref) tagging its entries with
 * itself, as it was sent; Union and Intersection merge the tags of equal elements.
 */
import type { Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import type { ObjectV, Value } from "../values.ts";
import { DocSet } from "./doc-set.ts";
import { FilterSet, JoinSet } from "./lambda-sets.ts";
import { AlgebraSet, DocumentsSet, FSet, OrderOfInner, RangeSet, ReverseSet, type Dir, type Entry, type Probe } from "./sets.ts";

/** How a leaf set is reported in `sources`: as it was sent (a native collection or a ref as itself). */
export function sourceOf(set: FSet): Value {
  if (set instanceof DocSet) return set.ref;
  if (set instanceof DocumentsSet && set.coll.isNative) return set.coll;
  return set;
}

/** A leaf whose entries carry the leaf itself as their source. */
class Tagged extends OrderOfInner {
  private readonly tag: Value[];
  constructor(inner: FSet) {
    super(inner);
    this.tag = [sourceOf(inner)];
  }
  describe(): ObjectV {
    return this.inner.describe();
  }
  override element(e: Entry): Value {
    return this.inner.element(e);
  }
  override cursor(e: Entry): Value {
    return this.inner.cursor(e);
  }
  *scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    for (const e of this.inner.scan(ctx, dir, probe, pos)) yield { ...e, src: this.tag };
  }
}

/** The same set, with sources traced through it. */
export function traced(set: FSet): FSet {
  if (set instanceof AlgebraSet) return new AlgebraSet(set.op, set.sets.map(traced), set.bare);
  if (set instanceof RangeSet) return new RangeSet(traced(set.inner), set.from, set.to, set.fromRaw, set.toRaw);
  if (set instanceof ReverseSet) return new ReverseSet(traced(set.inner));
  if (set instanceof FilterSet) return new FilterSet(traced(set.inner), set.lambda, set.lambdaPos);
  if (set instanceof JoinSet) return new JoinSet(set.source, set.target, set.withPos, traced);
  return new Tagged(set);
}
