/**
 * Java's conversions as the server applies them (spec S.5.3): `(long)` casts,
 * `NumberFormat` parsing, and the text ToString and Format's `%s` give a value.
 */
import { formatDate, formatInstant } from "../time.ts";
import { DateV, TimeV, type Value } from "../values.ts";
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
