/** Conversions (ToString, ToNumber, ToInteger, ToDouble; spec S.5.3) and the type predicates (S.4.6). */
import { err, QueryError, type Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { locate, requireSchema } from "../access/docs.ts";
import type { FormDef } from "../eval/registry.ts";
import { formatDate, formatInstant } from "../time.ts";
import { BytesV, DateV, DocV, LambdaV, PageV, Ref, SetV, TimeV, typeName, type NativeName, type Value } from "../values.ts";
import { javaDouble } from "../wire/json.ts";

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Java's `(long) d`: truncation toward zero, NaN → 0, saturating at the Long range. */
export function toLong(d: number): bigint {
  if (Number.isNaN(d)) return 0n;
  if (d >= 2 ** 63) return LONG_MAX;
  if (d <= -(2 ** 63)) return LONG_MIN;
  return BigInt(Math.trunc(d));
}

/** A number as the server prints it inside error messages (`-1`, `-1.5`). */
export const numText = (n: bigint | number): string => (typeof n === "bigint" ? n.toString() : javaDouble(n));

/** ToString's text for a value, or undefined for the types it refuses. Shared with Format's %s. */
export function stringOf(v: Value): string | undefined {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return v;
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "number":
      return javaDouble(v);
  }
  if (v instanceof TimeV) return formatInstant(v.ns);
  if (v instanceof DateV) return formatDate(v.days);
  return undefined;
}

/**
 * The type name for messages. Native collection refs (`Collections()`, `Tokens()`…)
 * are sets to the server, so they are reported as "Set".
 */
export const valueType = (v: Value): string => (v instanceof Ref && v.isNative ? "Set" : typeName(v));

const cannotCast = (pos: Pos, v: Value, to: string) => err.invalidArgument(pos, `Cannot cast ${valueType(v)} to ${to}.`);

const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= "0" && ch <= "9";

/**
 * Java `NumberFormat.getInstance(Locale.ENGLISH).parse(s.trim())`: the longest
 * valid prefix (optional `-`, digits with grouping commas, one `.`, an `E`
 * exponent whose sign may only be `-`), a Long when the value is integral and
 * fits, otherwise a Double. Undefined when no digits could be read.
 */
export function parseJavaNumber(text: string): bigint | number | undefined {
  // String.trim removes every char up to U+0020.
  const s = text.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
  if (s === "NaN") return NaN;
  let i = 0;
  const negative = s[0] === "-";
  if (negative) i++;
  let intDigits = "";
  let fracDigits = "";
  let sawDigit = false;
  for (; i < s.length; i++) {
    const ch = s[i]!;
    if (isDigit(ch)) {
      intDigits += ch;
      sawDigit = true;
    } else if (ch === "," && sawDigit) {
      continue;
    } else break;
  }
  if (s[i] === ".") {
    let j = i + 1;
    while (isDigit(s[j])) fracDigits += s[j++];
    if (fracDigits || sawDigit) {
      i = j;
      sawDigit = true;
    }
  }
  if (!sawDigit) return undefined;
  let exponent = 0;
  if (s[i] === "E") {
    let j = i + 1;
    const expNeg = s[j] === "-";
    if (expNeg) j++;
    let digits = "";
    while (isDigit(s[j])) digits += s[j++];
    if (digits) exponent = (expNeg ? -1 : 1) * Math.min(Number(digits), 1e6);
  }
  const d = Number(`${negative ? "-" : ""}${intDigits || "0"}.${fracDigits || "0"}e${exponent}`);
  if (Object.is(d, -0)) return -0;
  const whole = integralValue(intDigits + fracDigits, exponent - fracDigits.length);
  if (whole !== undefined) {
    const signed = negative ? -whole : whole;
    if (signed >= LONG_MIN && signed <= LONG_MAX) return signed;
  }
  return d;
}

/** digits × 10^scale when that is a whole number (so "1.0" and "1E3" parse as Longs), else undefined. */
function integralValue(digits: string, scale: number): bigint | undefined {
  const n = BigInt(digits || "0");
  if (n === 0n) return 0n;
  // Beyond these bounds the value is either fractional or far outside the Long range.
  if (scale > 40 || -scale > digits.length) return undefined;
  if (scale >= 0) return n * 10n ** BigInt(scale);
  const div = 10n ** BigInt(-scale);
  return n % div === 0n ? n / div : undefined;
}

// ---- type predicates ---------------------------------------------------------------------------

/**
 * Throws `invalid ref` at `pos` unless a ref's database and collection (for a
 * document ref) or schema object (Collection('c'), Index('i'), …) exist. Keys,
 * tokens and credentials are not named schema, so only their database counts.
 */
export function resolveRef(ctx: Ctx, r: Ref, pos: Pos): void {
  if (r.isNative) return;
  const kind = r.schemaKind;
  if (kind && kind !== "keys" && kind !== "tokens" && kind !== "credentials") requireSchema(ctx, r, pos);
  else locate(ctx, r, pos);
}

function defined(ctx: Ctx, r: Ref): boolean {
  try {
    resolveRef(ctx, r, []);
    return true;
  } catch (e) {
    if (e instanceof QueryError) return false;
    throw e;
  }
}

/** The ref a value stands for when asking "is this a collection/index/… ?": a ref, or a document's `ref`. */
function refOf(v: Value): Ref | undefined {
  if (v instanceof Ref) return v;
  if (v instanceof DocV) {
    const r = v.get("ref");
    return r instanceof Ref ? r : undefined;
  }
  return undefined;
}

const PREDICATES: Record<string, (v: Value, ctx: Ctx) => boolean> = {
  is_number: (v) => typeof v === "bigint" || typeof v === "number",
  is_integer: (v) => typeof v === "bigint",
  is_double: (v) => typeof v === "number",
  is_boolean: (v) => typeof v === "boolean",
  is_null: (v) => v === null,
  is_string: (v) => typeof v === "string",
  is_bytes: (v) => v instanceof BytesV,
  is_timestamp: (v) => v instanceof TimeV,
  is_date: (v) => v instanceof DateV,
  is_array: (v) => Array.isArray(v),
  is_object: (v) => v instanceof Map || v instanceof PageV,
  // Native collection refs (Collections(), Tokens(), …) are sets to the server, not refs.
  is_ref: (v) => v instanceof Ref && !v.isNative,
  is_set: (v) => v instanceof SetV || (v instanceof Ref && v.isNative),
  is_doc: (v, ctx) => v instanceof DocV || (v instanceof Ref && !v.isNative && defined(ctx, v)),
  is_lambda: (v) => v instanceof LambdaV,
  // UUIDs arrive as plain strings in this emulator; there is no UUID value to recognise.
  is_uuid: () => false,
};

const KIND_PREDICATES: [string, NativeName][] = [
  ["is_collection", "collections"],
  ["is_database", "databases"],
  ["is_index", "indexes"],
  ["is_function", "functions"],
  ["is_key", "keys"],
  ["is_token", "tokens"],
  ["is_credentials", "credentials"],
  ["is_role", "roles"],
];
for (const [name, kind] of KIND_PREDICATES) {
  PREDICATES[name] = (v, ctx) => {
    const r = refOf(v);
    return r !== undefined && r.schemaKind === kind && (v instanceof DocV || defined(ctx, r));
  };
}

export const forms: readonly FormDef[] = [
  {
    name: "to_string",
    shapes: [["to_string"]],
    eval(c) {
      const v = c.arg("to_string");
      const s = stringOf(v);
      if (s === undefined) throw cannotCast(c.pos, v, "String");
      return s;
    },
  },

  {
    name: "to_number",
    shapes: [["to_number"]],
    eval(c) {
      const v = c.arg("to_number");
      if (typeof v === "bigint" || typeof v === "number") return v;
      const n = typeof v === "string" ? parseJavaNumber(v) : undefined;
      if (n === undefined) throw cannotCast(c.pos, v, "Number");
      return n;
    },
  },

  {
    name: "to_integer",
    shapes: [["to_integer"]],
    eval(c) {
      const v = c.arg("to_integer");
      const n = typeof v === "string" ? parseJavaNumber(v) : typeof v === "bigint" || typeof v === "number" ? v : undefined;
      if (n === undefined) throw cannotCast(c.at("to_integer"), v, "Integer");
      return typeof n === "bigint" ? n : toLong(n);
    },
  },

  {
    name: "to_double",
    shapes: [["to_double"]],
    eval(c) {
      const v = c.arg("to_double");
      const n = typeof v === "string" ? parseJavaNumber(v) : typeof v === "bigint" || typeof v === "number" ? v : undefined;
      if (n === undefined) throw cannotCast(c.at("to_double"), v, "Double");
      return Number(n);
    },
  },

  ...Object.entries(PREDICATES).map(
    ([name, test]): FormDef => ({ name, shapes: [[name]], eval: (c) => test(c.arg(name), c.ctx) }),
  ),
];
