/** Argument checks with FaunaDB's "X expected, Y provided." errors. */
import { err, type Pos } from "../errors.ts";
import { DateV, LambdaV, PageV, Ref, SetV, TimeV, typeName, type ObjectV, type Value } from "../values.ts";

export function asString(v: Value, pos: Pos): string {
  if (typeof v !== "string") throw err.expected(pos, "String", typeName(v));
  return v;
}
export function asInt(v: Value, pos: Pos): bigint {
  if (typeof v !== "bigint") throw err.expected(pos, "Integer", typeName(v));
  return v;
}
export function asNumber(v: Value, pos: Pos): bigint | number {
  if (typeof v !== "bigint" && typeof v !== "number") throw err.expected(pos, "Number", typeName(v));
  return v;
}
export function asBool(v: Value, pos: Pos): boolean {
  if (typeof v !== "boolean") throw err.expected(pos, "Boolean", typeName(v));
  return v;
}
export function asArray(v: Value, pos: Pos): Value[] {
  if (!Array.isArray(v)) throw err.expected(pos, "Array", typeName(v));
  return v;
}
export function asObject(v: Value, pos: Pos): ObjectV {
  if (!(v instanceof Map)) throw err.expected(pos, "Object", typeName(v));
  return v;
}
export function asRef(v: Value, pos: Pos): Ref {
  if (!(v instanceof Ref)) throw err.expected(pos, "Ref", typeName(v));
  return v;
}
export function asTime(v: Value, pos: Pos): TimeV {
  if (!(v instanceof TimeV)) throw err.expected(pos, "Time", typeName(v));
  return v;
}
export function asDate(v: Value, pos: Pos): DateV {
  if (!(v instanceof DateV)) throw err.expected(pos, "Date", typeName(v));
  return v;
}
export function asSet(v: Value, pos: Pos): SetV {
  if (!(v instanceof SetV)) throw err.expected(pos, "Set", typeName(v));
  return v;
}
export function asLambda(v: Value, pos: Pos): LambdaV {
  if (!(v instanceof LambdaV)) throw err.expected(pos, "Lambda", typeName(v));
  return v;
}
export function asArrayOrPage(v: Value, pos: Pos): Value[] | PageV {
  if (Array.isArray(v) || v instanceof PageV) return v;
  throw err.expected(pos, "Array or Page", typeName(v));
}
/** Numbers as JS numbers for code that needs int-ness only to pick the result type. */
export const toNum = (v: bigint | number): number => (typeof v === "bigint" ? Number(v) : v);
