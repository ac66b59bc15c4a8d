/** Argument checks with FaunaDB's "X expected, Y provided." errors. */
import { err, type Pos } from "../errors.ts";
import { LambdaV, Ref, typeName, type ObjectV, type Value } from "../values.ts";

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
export function asObject(v: Value, pos: Pos): ObjectV {
  if (!(v instanceof Map)) throw err.expected(pos, "Object", typeName(v));
  return v;
}
export function asRef(v: Value, pos: Pos): Ref {
  if (!(v instanceof Ref)) throw err.expected(pos, "Ref", typeName(v));
  return v;
}
export function asLambda(v: Value, pos: Pos): LambdaV {
  if (!(v instanceof LambdaV)) throw err.expected(pos, "Lambda", typeName(v));
  return v;
}
