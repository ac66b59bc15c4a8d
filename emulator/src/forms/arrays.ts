/** Append, Prepend, Take, Drop and the folds Sum, Mean, Any, All, Max, Min, Reduce (spec S.4.2, S.4.3). */
import { err, QueryError, QueryErrors, type Pos } from "../errors.ts";
import type { FormCall, FormDef } from "../eval/registry.ts";
import { asInt } from "../eval/casts.ts";
import { compareValues } from "../order.ts";
import { setElements } from "../sets/read.ts";
import { asFSet } from "../sets/sets.ts";
import { int64, PageV, Ref, SetV, valueType, type Value } from "../values.ts";
import { resolveRef } from "./types.ts";

/** The collection argument of Take/Drop: an array or a page (sets are refused in API 4). */
function arrayOrPage(v: Value, pos: Pos): Value[] | PageV {
  if (Array.isArray(v) || v instanceof PageV) return v;
  throw err.expected(pos, "Array or Page", valueType(v));
}

// ---- Take, Drop ----------------------------------------------------------------------------------

/**
 * The cursor of the i-th element of a page: the one Paginate recorded, or, for a
 * page assembled some other way, one rebuilt from the element (a prefix of the
 * real cursor, which Paginate accepts).
 */
const cursorAt = (page: PageV, i: number): Value => {
  const recorded = page.cursors?.[i];
  if (recorded !== undefined) return recorded;
  const element = page.data[i]!;
  return Array.isArray(element) ? element : [element];
};

/** `n` as a count of leading elements of a `length`-element list, clamped to 0…length. */
const clampCount = (n: bigint, length: number): number => (n <= 0n ? 0 : n >= BigInt(length) ? length : Number(n));

// ---- folds ---------------------------------------------------------------------------------------

/** The elements a fold runs over, and how to shape its result: a page stays a page. */
interface FoldInput {
  items: Value[];
  wrap(result: Value): Value;
}

function foldInput(c: FormCall, v: Value, pos: Pos): FoldInput {
  if (Array.isArray(v)) return { items: v, wrap: (r) => r };
  if (v instanceof PageV) return { items: v.data, wrap: (r) => new PageV([r], v.before, v.after) };
  if (v instanceof SetV || (v instanceof Ref && v.isNative)) {
    return { items: setElements(c.ctx, asFSet(v, pos), pos, pos), wrap: (r) => r };
  }
  throw err.expected(pos, "Array, Set, or Page", valueType(v));
}

/** Integer sum with Long wraparound until the first Double, then Double (element errors at `pos`). */
function sum(items: Value[], pos: Pos): bigint | number {
  let acc: bigint | number = 0n;
  for (const x of items) {
    if (typeof x !== "bigint" && typeof x !== "number") throw err.expected(pos, "Number", valueType(x));
    acc = typeof acc === "bigint" && typeof x === "bigint" ? int64(acc + x) : Number(acc) + Number(x);
  }
  return acc;
}

function fold(name: string, compute: (items: Value[], pos: Pos) => Value): FormDef {
  return {
    name,
    shapes: [[name]],
    eval(c) {
      const input = foldInput(c, c.arg(name), c.at(name));
      const result = compute(input.items, c.at(name));
      // Sum, Mean, Any and All charge a compute per element (ReduceFunctions.scala).
      c.ctx.txn.meter.compute(input.items.length);
      return input.wrap(result);
    },
  };
}

function booleans(items: Value[], pos: Pos): boolean[] {
  return items.map((x) => {
    if (typeof x !== "boolean") throw err.expected(pos, "Boolean", valueType(x));
    return x;
  });
}

/** Comparing refs needs them resolved: every ref to an undefined collection/schema object is reported. */
function checkRefs(c: FormCall, items: Value[], pos: Pos): void {
  const errors: QueryError[] = [];
  for (const x of items) {
    if (!(x instanceof Ref) || x.isNative) continue;
    try {
      resolveRef(c.ctx, x, pos);
    } catch (e) {
      if (!(e instanceof QueryError)) throw e;
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0]!;
  if (errors.length) throw new QueryErrors(errors);
}

const isCollection = (v: Value): boolean =>
  Array.isArray(v) || v instanceof PageV || v instanceof SetV || (v instanceof Ref && v.isNative);

export const forms: readonly FormDef[] = [
  // ---- Append, Prepend -----------------------------------------------------------------------------
  ...([
    ["append", false],
    ["prepend", true],
  ] as const).map(
    ([name, front]): FormDef => ({
      name,
      shapes: [[name, "collection"]],
      eval(c) {
        const v = c.arg(name);
        const elems = Array.isArray(v) ? v : [v];
        const coll = c.arg("collection");
        if (!Array.isArray(coll)) throw err.expected(c.at("collection"), "Array", valueType(coll));
        return front ? [...elems, ...coll] : [...coll, ...elems];
      },
    }),
  ),

  {
    name: "take",
    shapes: [["take", "collection"]],
    eval(c) {
      const n = asInt(c.arg("take"), c.at("take"));
      const coll = arrayOrPage(c.arg("collection"), c.at("collection"));
      const data = Array.isArray(coll) ? coll : coll.data;
      const k = clampCount(n, data.length);
      if (Array.isArray(coll)) return data.slice(0, k);
      if (n <= 0n) return new PageV([], coll.before, coll.before, []);
      if (k === data.length) return coll;
      return new PageV(data.slice(0, k), coll.before, cursorAt(coll, k), coll.cursors?.slice(0, k));
    },
  },

  {
    name: "drop",
    shapes: [["drop", "collection"]],
    eval(c) {
      const n = asInt(c.arg("drop"), c.at("drop"));
      const coll = arrayOrPage(c.arg("collection"), c.at("collection"));
      if (n <= 0n) return coll;
      const data = Array.isArray(coll) ? coll : coll.data;
      const k = clampCount(n, data.length);
      const rest = data.slice(k);
      if (Array.isArray(coll)) return rest;
      return new PageV(rest, rest.length ? cursorAt(coll, k) : coll.after, coll.after, coll.cursors?.slice(k));
    },
  },

  fold("sum", sum),

  fold("mean", (items, pos) => {
    if (!items.length) throw err.nonEmptyExpected(pos);
    return Number(sum(items, pos)) / items.length;
  }),

  fold("any", (items, pos) => booleans(items, pos).some((b) => b)),
  fold("all", (items, pos) => booleans(items, pos).every((b) => b)),

  ...([
    ["max", (d: number) => d > 0],
    ["min", (d: number) => d < 0],
  ] as const).map(
    ([name, better]): FormDef => ({
      name,
      shapes: [[name]],
      variadic: [name],
      eval(c) {
        const { items, bare } = c.args(name);
        const pos = c.at(name);
        // A bare argument must be the collection; `[[1,5]]` (one nested collection) unwraps one level.
        const single = bare || (items.length === 1 && isCollection(items[0]!.value));
        const input: FoldInput = single ? foldInput(c, items[0]!.value, pos) : { items: items.map((i) => i.value), wrap: (r) => r };
        if (!input.items.length) throw err.nonEmptyExpected(pos);
        checkRefs(c, input.items, pos);
        let best: Value = input.items[0] as Value;
        for (const x of input.items.slice(1)) if (better(compareValues(x, best))) best = x;
        return input.wrap(best);
      },
    }),
  ),

  {
    name: "reduce",
    shapes: [["reduce", "initial", "collection"]],
    strictLambdas: ["reduce"],
    eval(c) {
      const lam = c.lambda("reduce");
      const initial = c.arg("initial");
      const input = foldInput(c, c.arg("collection"), c.at("collection"));
      let acc: Value = initial;
      for (const x of input.items) acc = c.apply(lam, [acc, x], "reduce");
      return input.wrap(acc);
    },
  },
];
