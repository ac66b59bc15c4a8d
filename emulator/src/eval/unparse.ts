/** Expression tree → wire expression (as values), for rendering lambdas back (spec S.7.2). */
import { BytesV, DateV, LambdaV, PageV, Ref, SetV, TimeV, type Value } from "../values.ts";
import type { Expr } from "./ast.ts";

/** A literal value written so that parsing it again yields the same value. */
export function litToWire(v: Value): Value {
  if (v instanceof Map) return new Map<string, Value>([["object", new Map([...v].map(([k, x]) => [k, litToWire(x)]))]]);
  if (Array.isArray(v)) return v.map(litToWire);
  if (v instanceof PageV) {
    const m = new Map<string, Value>();
    if (v.before !== undefined) m.set("before", litToWire(v.before));
    if (v.after !== undefined) m.set("after", litToWire(v.after));
    m.set("data", litToWire(v.data));
    return new Map<string, Value>([["object", m]]);
  }
  if (v instanceof Ref || v instanceof TimeV || v instanceof DateV || v instanceof BytesV || v instanceof SetV || v instanceof LambdaV) return v;
  return v;
}

export function unparse(e: Expr): Value {
  switch (e.k) {
    case "lit":
      return litToWire(e.v);
    case "arr":
      return e.items.map(unparse);
    case "obj":
      return new Map<string, Value>([["object", new Map(e.fields.map(([k, x]) => [k, unparse(x)]))]]);
    case "var":
      return new Map<string, Value>([["var", e.name]]);
    case "let":
      return new Map<string, Value>([
        ["let", new Map(e.bindings.map(([k, x]) => [k, unparse(x)]))],
        ["in", unparse(e.body)],
      ]);
    case "lambda":
      return new Map<string, Value>([
        ["lambda", typeof e.params === "string" ? e.params : [...e.params]],
        ["expr", unparse(e.body)],
      ]);
    case "form": {
      const m = new Map<string, Value>();
      for (const k of e.keys) {
        const a = e.args.get(k)!;
        if (a.k === "varargs") m.set(k, a.bare ? unparse(a.items[0]!) : a.items.map(unparse));
        else m.set(k, unparse(a));
      }
      return m;
    }
  }
}

export function freeVars(e: Expr, bound: ReadonlySet<string>, out = new Set<string>()): Set<string> {
  switch (e.k) {
    case "var":
      if (!bound.has(e.name)) out.add(e.name);
      break;
    case "arr":
      e.items.forEach((x) => freeVars(x, bound, out));
      break;
    case "obj":
      e.fields.forEach(([, x]) => freeVars(x, bound, out));
      break;
    case "let": {
      const b = new Set(bound);
      for (const [k, x] of e.bindings) {
        freeVars(x, b, out);
        b.add(k);
      }
      freeVars(e.body, b, out);
      break;
    }
    case "lambda": {
      const b = new Set(bound);
      for (const p of typeof e.params === "string" ? [e.params] : e.params) b.add(p);
      freeVars(e.body, b, out);
      break;
    }
    case "form":
      for (const a of e.args.values()) {
        if (a.k === "varargs") a.items.forEach((x) => freeVars(x, bound, out));
        else freeVars(a, bound, out);
      }
      break;
    case "lit":
      break;
  }
  return out;
}
