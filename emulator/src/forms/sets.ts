/**
 * Set constructors and the functions that accept a set or an array alike:
 * Match, Documents, Range, Paginate, Count, Map/Foreach/Filter, set algebra,
 * Join, Reverse, IsEmpty (spec §5.5–5.6, S.1).
 */
import { err, QueryErrors } from "../errors.ts";
import { checkWidth } from "../limits.ts";
import { withOptional, type FormCall, type FormDef } from "../eval/registry.ts";
import { asBool, asInt, asLambda } from "../eval/casts.ts";
import type { Pos } from "../errors.ts";
import { DocSet } from "../sets/doc-set.ts";
import { eventsOf } from "../sets/events.ts";
import { validTime } from "./history.ts";
import { requireSchema } from "../access/docs.ts";
import { strictEqual } from "../order.ts";
import { paginate, setElements, setExists, DEFAULT_PAGE_SIZE } from "../sets/read.ts";
import { AlgebraSet, asFSet, DocumentsSet, FSet, MatchSet, RangeSet, ReverseSet } from "../sets/sets.ts";
import { FilterSet, JoinSet } from "../sets/lambda-sets.ts";
import { LambdaV, PageV, Ref, SetV, typeName, type Value } from "../values.ts";

/** Map/Foreach/Filter over an array or a page (a page keeps its cursors). */
function overCollection(c: FormCall, name: "map" | "foreach", fn: (items: Value[], lam: LambdaV) => Value[]): Value {
  const lam = c.lambda(name);
  const coll = c.arg("collection");
  const items = Array.isArray(coll) ? coll : coll instanceof PageV ? coll.data : undefined;
  if (!items) throw err.expected(c.at("collection"), "Array or Page", typeName(coll));
  // The server applies the lambda to every element at once: one fan-out, as wide as the collection.
  checkWidth(c.ctx.txn.meter.limited, items.length);
  return coll instanceof PageV ? new PageV(fn(items, lam), coll.before, coll.after, coll.cursors) : fn(items, lam);
}

// ---- set algebra over sets or arrays ---------------------------------------------------------

/** Multiset operations on arrays with literal equality (spec S.1.3). */
function arrayAlgebra(op: "union" | "intersection" | "difference", arrays: Value[][]): Value[] {
  return arrays.reduce((left, right) => {
    const count = (arr: Value[], v: Value) => arr.filter((x) => strictEqual(x, v)).length;
    if (op === "union") {
      const out: Value[] = [];
      const done: Value[] = [];
      for (const v of [...left, ...right]) {
        if (done.some((d) => strictEqual(d, v))) continue;
        done.push(v);
        const n = Math.max(count(left, v), count(right, v));
        for (let i = 0; i < n; i++) out.push(v);
      }
      return out;
    }
    const remaining = [...right];
    const out: Value[] = [];
    for (const v of left) {
      const i = remaining.findIndex((x) => strictEqual(x, v));
      if (op === "intersection" ? i >= 0 : i < 0) out.push(v);
      if (i >= 0) remaining.splice(i, 1);
    }
    return out;
  });
}

/**
 * Paginate's key sets: `after`, `before` or `cursor` (at most one of them), each with any
 * of `ts`, `size`, `events`, `sources`; mixing them is a parse error, as on FaunaDB.
 */
const PAGINATE_SHAPES: string[][] = ["", "after", "before", "cursor"].flatMap((cursorKey) =>
  withOptional({ name: "paginate", required: cursorKey ? [cursorKey] : [], optional: ["ts", "size", "events", "sources"], eval: () => null }).shapes,
);

/** What Paginate reads: a set, a native collection, or a document ref (a one-element set). */
function pageable(v: Value, pos: Pos): FSet {
  if (v instanceof Ref && !v.isNative) return new DocSet(v);
  if (v instanceof SetV || v instanceof Ref) return asFSet(v, pos);
  throw err.expected(pos, "Ref or Set", typeName(v));
}

/** The `cursor` option: `{after: x}`, `{before: x}` or null (the first page). */
function cursorObject(c: FormCall): { after?: Value; before?: Value } {
  const v = c.arg("cursor");
  if (v === null) return {};
  if (v instanceof Map && v.size === 1 && v.has("after")) return { after: v.get("after")! };
  if (v instanceof Map && v.size === 1 && v.has("before")) return { before: v.get("before")! };
  throw err.invalidArgument(c.at("cursor"), "Invalid cursor object. Expected an object with either 'before' or 'after' key in it.");
}

export const forms: readonly FormDef[] = [
  {
    name: "match",
    shapes: [["match"], ["match", "terms"]],
    eval(c) {
      const index = c.arg("match");
      if (!(index instanceof Ref) || index.schemaKind !== "indexes") throw err.expected(c.at("match"), "Index Ref", typeName(index));
      // An index building in the background fails at Match, at the form's position + "index", as on the server.
      if (requireSchema(c.ctx, index, c.at("match")).fields.get("active") === false) throw err.indexInactive([...c.pos, "index"], index.id);
      if (!c.has("terms")) return new MatchSet(index, [], false);
      const t = c.arg("terms");
      return Array.isArray(t) ? new MatchSet(index, t, t.length !== 1) : new MatchSet(index, [t], false);
    },
  },

  {
    name: "documents",
    shapes: [["documents"]],
    eval(c) {
      const coll = c.arg("documents");
      // Any collection ref, native ones included (Documents(Tokens()), Documents(Keys()), …), as DocumentsFunction takes.
      if (!(coll instanceof Ref) || (coll.schemaKind !== "collections" && !coll.isNative)) throw err.expected(c.at("documents"), "Collection Ref", typeName(coll));
      if (!coll.isNative) requireSchema(c.ctx, coll, c.at("documents"));
      return new DocumentsSet(coll, true);
    },
  },

  {
    name: "range",
    shapes: [["range", "from", "to"]],
    eval(c) {
      const set = asFSet(c.arg("range"), c.at("range"));
      const from = c.arg("from");
      const to = c.arg("to");
      const asBound = (v: Value) => (Array.isArray(v) ? v : [v]);
      return new RangeSet(set, asBound(from), asBound(to), from, to);
    },
  },

  {
    name: "paginate",
    shapes: PAGINATE_SHAPES,
    eval(c) {
      const base = pageable(c.arg("paginate"), c.at("paginate"));
      const ts = c.has("ts") ? validTime(c.arg("ts"), c.at("ts")) : undefined;
      const size = c.has("size") ? Number(asInt(c.arg("size"), c.at("size"))) : DEFAULT_PAGE_SIZE;
      const events = c.has("events") ? asBool(c.arg("events"), c.at("events")) : false;
      const sources = c.has("sources") ? asBool(c.arg("sources"), c.at("sources")) : false;
      const cursor = c.has("cursor") ? cursorObject(c) : { after: c.opt("after"), before: c.opt("before") };
      const set = events ? eventsOf(base) : base;
      const read = () => paginate(c.ctx, set, { size, ...cursor, sources }, c.at("paginate"), c.at("paginate"));
      return ts === undefined ? read() : c.ctx.at(ts, read);
    },
  },

  {
    name: "count",
    shapes: [["count"]],
    eval(c) {
      const v = c.arg("count");
      // FaunaDB charges a compute per element counted (CountFunction).
      const counted = (n: number) => (c.ctx.txn.meter.compute(n), BigInt(n));
      if (Array.isArray(v)) return counted(v.length);
      if (v instanceof PageV) return new PageV([counted(v.data.length)], v.before, v.after);
      if (v instanceof SetV || (v instanceof Ref && v.isNative)) {
        return counted(setElements(c.ctx, asFSet(v, c.at("count")), c.at("count"), c.at("count")).length);
      }
      throw err.expected(c.at("count"), "Array, Set, or Page", typeName(v));
    },
  },

  {
    name: "map",
    shapes: [["map", "collection"]],
    lambdas: ["map"],
    eval: (c) => overCollection(c, "map", (items, lam) => items.map((x) => c.apply(lam, x, "map"))),
  },

  {
    name: "foreach",
    shapes: [["foreach", "collection"]],
    lambdas: ["foreach"],
    eval: (c) =>
      overCollection(c, "foreach", (items, lam) => {
        for (const x of items) c.apply(lam, x, "foreach");
        return items;
      }),
  },

  {
    name: "filter",
    shapes: [["filter", "collection"]],
    lambdas: ["filter"],
    eval(c) {
      const lam = c.lambda("filter");
      const coll = c.arg("collection");
      const keep = (x: Value) => {
        const r = c.apply(lam, x, "filter");
        if (typeof r !== "boolean") throw err.expected(c.at("filter"), "Boolean", typeName(r));
        return r;
      };
      if (Array.isArray(coll) || coll instanceof PageV) checkWidth(c.ctx.txn.meter.limited, Array.isArray(coll) ? coll.length : coll.data.length);
      if (Array.isArray(coll)) return coll.filter(keep);
      if (coll instanceof PageV) {
        const kept = coll.data.map(keep);
        return new PageV(coll.data.filter((_, i) => kept[i]), coll.before, coll.after, coll.cursors?.filter((_, i) => kept[i]));
      }
      if (coll instanceof SetV || (coll instanceof Ref && coll.isNative)) return new FilterSet(asFSet(coll, c.at("collection")), lam, c.at("filter"));
      throw err.expected(c.at("collection"), "Array, Set, or Page", typeName(coll));
    },
  },

  ...(["union", "intersection", "difference"] as const).map(
    (op): FormDef => ({
      name: op,
      shapes: [[op]],
      variadic: [op],
      eval(c) {
        const { items, bare } = c.spread(op);
        const errors = items.flatMap(({ value, pos }) =>
          value instanceof PageV
            ? [err.expected(pos, "Set or Array", "Page")]
            : Array.isArray(value) || value instanceof SetV || (value instanceof Ref && value.isNative)
              ? []
              : [err.expected(pos, "Array, Set, or Page", typeName(value))],
        );
        if (errors.length === 1) throw errors[0]!;
        if (errors.length) throw new QueryErrors(errors);
        const arrays = items.filter((i) => Array.isArray(i.value));
        if (arrays.length === items.length) return arrayAlgebra(op, items.map((i) => i.value as Value[]));
        if (arrays.length) throw err.invalidArgument(c.at(op), "Arguments cannot be of different types, expected Set or Array.");
        return new AlgebraSet(op, items.map((i) => asFSet(i.value, i.pos)), bare);
      },
    }),
  ),

  {
    name: "distinct",
    shapes: [["distinct"]],
    eval(c) {
      const v = c.arg("distinct");
      const uniq = (a: Value[]) => a.filter((x, i) => a.findIndex((y) => strictEqual(x, y)) === i);
      if (Array.isArray(v)) return uniq(v);
      if (v instanceof PageV) return new PageV(uniq(v.data), v.before, v.after);
      if (v instanceof SetV || (v instanceof Ref && v.isNative)) return new AlgebraSet("distinct", [asFSet(v, c.at("distinct"))], true);
      throw err.expected(c.at("distinct"), "Array, Set, or Page", typeName(v));
    },
  },

  {
    name: "reverse",
    shapes: [["reverse"]],
    eval(c) {
      const v = c.arg("reverse");
      if (Array.isArray(v)) return [...v].reverse();
      if (v instanceof PageV) return new PageV([...v.data].reverse(), v.before, v.after);
      if (v instanceof SetV || (v instanceof Ref && v.isNative)) return new ReverseSet(asFSet(v, c.at("reverse")));
      throw err.expected(c.at("reverse"), "Array, Set, or Page", typeName(v));
    },
  },

  {
    name: "join",
    shapes: [["join", "with"]],
    eval(c) {
      const src = c.arg("join");
      if (!(src instanceof SetV)) throw err.expected(c.at("join"), src instanceof Ref ? "Set" : "Ref or Set", typeName(src));
      const w = c.arg("with");
      if (w instanceof Ref && w.schemaKind === "indexes") {
        requireSchema(c.ctx, w, c.at("with"));
        return new JoinSet(asFSet(src, c.at("join")), w, c.at("with"));
      }
      if (w instanceof LambdaV) return new JoinSet(asFSet(src, c.at("join")), asLambda(w, c.at("with")), c.at("with"));
      throw err.expected(c.at("with"), "Lambda or Index Ref", typeName(w));
    },
  },

  ...([
    ["is_empty", true],
    ["is_nonempty", false],
  ] as const).map(
    ([name, empty]): FormDef => ({
      name,
      shapes: [[name]],
      eval(c) {
        const v = c.arg(name);
        if (Array.isArray(v)) return (v.length === 0) === empty;
        if (v instanceof PageV) return (v.data.length === 0) === empty;
        if (v instanceof SetV || (v instanceof Ref && v.isNative)) return !setExists(c.ctx, asFSet(v, c.at(name)), [...c.pos, "exists"]) === empty;
        throw err.expected(c.at(name), "Array, Set, or Page", typeName(v));
      },
    }),
  ),
];
