/** Control flow, logic, comparison, Select and lambdas as values (spec §5.7). */
import { err } from "../errors.ts";
import type { FormCall } from "../eval/registry.ts";
import { asBool } from "../eval/casts.ts";
import { defineForm, defineFormOptional } from "../eval/registry.ts";
import { compareValues, valuesEqual } from "../order.ts";
import { PageV, Ref, typeName, type Value } from "../values.ts";

defineForm({
  name: "if",
  shapes: [["if", "then", "else"]],
  eval(c) {
    const cond = c.arg("if");
    if (typeof cond !== "boolean") throw err.expected(c.at("if"), "Boolean", typeName(cond));
    return cond ? c.arg("then") : c.arg("else");
  },
});

defineForm({
  name: "do",
  shapes: [["do"]],
  variadic: ["do"],
  eval(c) {
    const items = c.deferred("do");
    if (!items.length) throw err.invalidExpression(c.at("do"), "Expression list cannot be empty.");
    let last: Value = null;
    for (const x of items) last = x.value();
    return last;
  },
});

defineForm({
  name: "abort",
  shapes: [["abort"]],
  eval(c) {
    const msg = c.arg("abort");
    if (typeof msg !== "string") throw err.expected(c.at("abort"), "String", typeName(msg));
    throw err.aborted(c.pos, msg);
  },
});

for (const [name, short] of [
  ["and", false],
  ["or", true],
] as const) {
  defineForm({
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
  });
}

defineForm({
  name: "not",
  shapes: [["not"]],
  eval: (c) => !asBool(c.arg("not"), c.at("not")),
});

defineForm({
  name: "equals",
  shapes: [["equals"]],
  variadic: ["equals"],
  eval(c) {
    const { items } = c.args("equals");
    if (!items.length) throw err.nonEmptyExpected(c.at("equals"));
    return items.every((x) => valuesEqual(x.value, items[0]!.value));
  },
});

for (const [name, ok] of [
  ["lt", (n: number) => n < 0],
  ["lte", (n: number) => n <= 0],
  ["gt", (n: number) => n > 0],
  ["gte", (n: number) => n >= 0],
] as const) {
  defineForm({
    name,
    shapes: [[name]],
    variadic: [name],
    eval(c) {
      const { items } = c.args(name);
      if (!items.length) throw err.nonEmptyExpected(c.at(name));
      for (let i = 1; i < items.length; i++) if (!ok(compareValues(items[i - 1]!.value, items[i]!.value))) return false;
      return true;
    },
  });
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

defineFormOptional({
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
});

defineForm({
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
});

defineForm({
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
});

defineForm({
  name: "contains_field",
  shapes: [["contains_field", "in"]],
  eval(c) {
    const f = c.arg("contains_field");
    if (typeof f !== "string") throw err.expected(c.at("contains_field"), "String", typeName(f));
    return step(c.arg("in"), f) !== undefined;
  },
});

defineForm({
  name: "contains_value",
  shapes: [["contains_value", "in"]],
  eval(c) {
    const v = c.arg("contains_value");
    const container = c.arg("in");
    const values = Array.isArray(container)
      ? container
      : container instanceof PageV
        ? container.data
        : container instanceof Map
          ? [...container.values()]
          : undefined;
    if (!values) throw err.expected(c.at("in"), "Array, Object, or Page", typeName(container));
    return values.some((x) => valuesEqual(x, v));
  },
});

defineForm({
  name: "query",
  shapes: [["query"]],
  strictLambdas: ["query"],
  eval: (c) => c.lambda("query"),
});

