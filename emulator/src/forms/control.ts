/** Control flow, logic, comparison, Select and lambdas as values (spec §5.7). */
import { err } from "../errors.ts";
import { checkWidth } from "../limits.ts";
import { withOptional, type FormCall, type FormDef } from "../eval/registry.ts";
import { asBool } from "../eval/casts.ts";
import { compareValues, strictEqual, valuesEqual } from "../order.ts";
import { setContains } from "../sets/read.ts";
import { asFSet } from "../sets/sets.ts";
import { DocV, LambdaV, PageV, Ref, SetV, typeName, type Value } from "../values.ts";

/**
 * What ContainsValue looks through (the server's rules): a ref its id, collection and
 * database; a document its ref, collection, ts and top-level field values; a page its
 * `data` array and its cursors; objects (events too) and arrays their values. Lambdas
 * contain nothing; other scalars are no containers (`undefined`).
 */
function containedValues(c: Value): Value[] | undefined {
  if (Array.isArray(c)) return c;
  if (c instanceof PageV) return [c.data, ...(c.before !== undefined ? [c.before] : []), ...(c.after !== undefined ? [c.after] : [])];
  if (c instanceof DocV) {
    const ref = c.get("ref");
    const out: Value[] = [];
    if (ref instanceof Ref) out.push(ref, ...(ref.coll ? [ref.coll] : []));
    for (const [k, x] of c) if (k !== "ref") out.push(x);
    return out;
  }
  if (c instanceof Map) return [...c.values()];
  if (c instanceof Ref) {
    const db = c.db ?? c.coll?.db;
    return [c.id, ...(c.coll ? [c.coll] : []), ...(db ? [db] : [])];
  }
  if (c instanceof LambdaV) return [];
  return undefined;
}

/** One step of a path into a value; `undefined` when there is nothing there. */
export function step(v: Value, key: Value): Value | undefined {
  if (typeof key === "string") {
    if (v instanceof PageV) return key === "data" ? v.data : key === "before" ? v.before : key === "after" ? v.after : undefined;
    if (v instanceof Map) return v.get(key);
    if (v instanceof Ref) {
      if (key === "id") return v.id;
      if (key === "collection") return v.coll;
      if (key === "database") return v.db;
    }
    return undefined;
  }
  if (typeof key === "bigint") {
    const arr = Array.isArray(v) ? v : v instanceof PageV ? v.data : undefined;
    if (!arr || key < 0n || key >= BigInt(arr.length)) return undefined;
    return arr[Number(key)];
  }
  return undefined;
}

function pathOf(c: FormCall, key: string): Value[] {
  const p = c.arg(key);
  const path = Array.isArray(p) ? p : [p];
  for (const k of path) {
    if (typeof k !== "string" && typeof k !== "bigint") throw err.expected(c.at(key), "Integer or String", typeName(k));
  }
  return path;
}

export const forms: readonly FormDef[] = [
  {
    name: "if",
    shapes: [["if", "then", "else"]],
    eval(c) {
      const cond = c.arg("if");
      if (typeof cond !== "boolean") throw err.expected(c.at("if"), "Boolean", typeName(cond));
      return cond ? c.arg("then") : c.arg("else");
    },
  },

  {
    name: "do",
    shapes: [["do"]],
    variadic: ["do"],
    eval(c) {
      const items = c.deferred("do");
      if (!items.length) throw err.invalidExpression(c.at("do"), "Expression list cannot be empty.");
      checkWidth(c.ctx.txn.meter.limited, items.length);
      let last: Value = null;
      for (const x of items) last = x.value();
      return last;
    },
  },

  {
    name: "abort",
    shapes: [["abort"]],
    eval(c) {
      const msg = c.arg("abort");
      if (typeof msg !== "string") throw err.expected(c.at("abort"), "String", typeName(msg));
      throw err.aborted(c.pos, msg);
    },
  },

  ...([
    ["and", false],
    ["or", true],
  ] as const).map(
    ([name, short]): FormDef => ({
      name,
      shapes: [[name]],
      variadic: [name],
      eval(c) {
        const items = c.deferred(name);
        if (!items.length) throw err.nonEmptyExpected(c.at(name));
        for (const x of items) {
          const v = x.value();
          if (typeof v !== "boolean") throw err.expected(x.pos, "Boolean", typeName(v));
          if (v === short) return short;
        }
        return !short;
      },
    }),
  ),

  {
    name: "not",
    shapes: [["not"]],
    eval: (c) => !asBool(c.arg("not"), c.at("not")),
  },

  {
    name: "equals",
    shapes: [["equals"]],
    variadic: ["equals"],
    eval(c) {
      const { items } = c.spread("equals");
      return items.every((x) => valuesEqual(x.value, items[0]!.value));
    },
  },

  ...([
    ["lt", (n: number) => n < 0],
    ["lte", (n: number) => n <= 0],
    ["gt", (n: number) => n > 0],
    ["gte", (n: number) => n >= 0],
  ] as const).map(
    ([name, ok]): FormDef => ({
      name,
      shapes: [[name]],
      variadic: [name],
      eval(c) {
        const { items } = c.spread(name);
        for (let i = 1; i < items.length; i++) if (!ok(compareValues(items[i - 1]!.value, items[i]!.value))) return false;
        return true;
      },
    }),
  ),

  withOptional({
    name: "select",
    required: ["from"],
    optional: ["default"],
    eval(c) {
      const path = pathOf(c, "select");
      let cur: Value | undefined = c.arg("from");
      for (const k of path) {
        cur = cur === undefined ? undefined : step(cur, k);
        if (cur === undefined) break;
      }
      if (cur !== undefined) return cur;
      if (c.has("default")) return c.arg("default");
      throw err.valueNotFound(c.at("from"), path as (string | bigint)[]);
    },
  }),

  {
    name: "select_all",
    shapes: [["select_all", "from"]],
    eval(c) {
      const path = pathOf(c, "select_all");
      const walk = (v: Value, i: number): Value[] => {
        if (i === path.length) return [v];
        if (Array.isArray(v) && typeof path[i] === "string") return v.flatMap((x) => walk(x, i));
        const n = step(v, path[i]!);
        return n === undefined ? [] : walk(n, i + 1);
      };
      return walk(c.arg("from"), 0);
    },
  },

  {
    name: "contains_path",
    shapes: [["contains_path", "in"]],
    eval(c) {
      const path = pathOf(c, "contains_path");
      let cur: Value | undefined = c.arg("in");
      for (const k of path) {
        cur = cur === undefined ? undefined : step(cur, k);
        if (cur === undefined) return false;
      }
      return true;
    },
  },

  {
    name: "contains_field",
    shapes: [["contains_field", "in"]],
    eval(c) {
      const f = c.arg("contains_field");
      if (typeof f !== "string") throw err.expected(c.at("contains_field"), "String", typeName(f));
      return step(c.arg("in"), f) !== undefined;
    },
  },

  {
    name: "contains_value",
    shapes: [["contains_value", "in"]],
    eval(c) {
      const v = c.arg("contains_value");
      const container = c.arg("in");
      if (container instanceof SetV || (container instanceof Ref && container.isNative)) {
        return setContains(c.ctx, asFSet(container, c.at("in")), v, c.at("in"));
      }
      const values = containedValues(container);
      if (!values) throw err.expected(c.at("in"), "Object, Array, Page, Set, or Ref", "Scalar");
      return values.some((x) => strictEqual(x, v));
    },
  },

  {
    name: "query",
    shapes: [["query"]],
    strictLambdas: ["query"],
    eval: (c) => c.lambda("query"),
  },
];
