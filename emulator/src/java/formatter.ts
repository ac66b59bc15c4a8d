/**
 * Java's `java.util.Formatter`, as FQL's Format applies it (spec S.4.7): specifiers with
 * explicit and relative indexes, flags, width and precision checked per conversion,
 * HALF_UP rounding on the shortest decimal, 64-bit two's complement for `%x`/`%o`, and
 * the `%t` date/time conversions in UTC.
 */
import { err, type Pos } from "../errors.ts";
import { formatDate, formatInstant } from "../time.ts";
import { DateV, TimeV, valueType, type Value } from "../values.ts";
import { renderValue } from "../wire/render.ts";
import { stringOf } from "./conversions.ts";

/** One `%…` specifier of a format string. */
export interface Spec {
  text: string;
  /** 1-based explicit index, "<" for the previous argument, undefined for the next ordinary one. */
  index?: number | "<";
  flags: string;
  width?: number;
  precision?: number;
  /** Date/time prefix (`t` or `T`) and the conversion character. */
  dt?: string;
  conv: string;
}

const SPEC_RE = /%(?:(\d+)\$)?([-#+ 0,(<]*)(\d+)?(?:\.(\d+))?([tT])?([a-zA-Z%@])/y;
const DATE_CONVERSIONS = "HIklMSLNpzZsQBbhAaCYyjmdeRTrDFc";

export type Piece = string | Spec;

/** Splits a format string into text and specifiers, applying Java's flag/precision/width rules. */
export function parseFormat(fmt: string, pos: Pos): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let text = "";
  while (i < fmt.length) {
    const pct = fmt.indexOf("%", i);
    if (pct < 0) break;
    text += fmt.slice(i, pct);
    SPEC_RE.lastIndex = pct;
    const m = SPEC_RE.exec(fmt);
    const invalid = (t: string) => err.invalidArgument(pos, `Invalid conversion format '${t}'.`);
    if (!m) throw invalid(fmt.slice(pct, pct + 2));
    const [whole, idx, rawFlags = "", width, precision, dt, conv] = m;
    const flags = rawFlags.replace("<", "");
    const spec: Spec = {
      text: whole,
      index: rawFlags.includes("<") ? "<" : idx !== undefined ? Number(idx) : undefined,
      flags,
      width: width === undefined ? undefined : Number(width),
      precision: precision === undefined ? undefined : Number(precision),
      dt,
      conv: conv!,
    };
    if (!validSpec(spec)) throw invalid(whole);
    if (text) pieces.push(text);
    text = "";
    pieces.push(spec);
    i = pct + whole.length;
  }
  text += fmt.slice(i);
  if (text) pieces.push(text);
  return pieces;
}

/** Java's checks for flag, width and precision combinations per conversion. */
function validSpec(s: Spec): boolean {
  const has = (f: string) => s.flags.includes(f);
  const only = (allowed: string) => [...s.flags].every((f) => allowed.includes(f));
  if (new Set(s.flags).size !== s.flags.length) return false;
  if ((has("-") || has("0")) && s.width === undefined) return false;
  if (has("-") && has("0")) return false;
  if (has("+") && has(" ")) return false;
  const c = s.conv;
  if (s.dt) return DATE_CONVERSIONS.includes(c) && s.precision === undefined && only("-");
  switch (c) {
    case "t":
    case "T":
    case "c":
    case "C":
      return s.precision === undefined && only("-");
    case "s":
    case "S":
    case "b":
    case "B":
    case "@":
      return only("-");
    case "d":
      return s.precision === undefined && !has("#");
    case "o":
    case "x":
    case "X":
      return s.precision === undefined && only("-#0");
    case "f":
      return true;
    case "e":
    case "E":
      return !has(",");
    case "g":
    case "G":
      return !has("#");
    case "%":
      return s.precision === undefined && only("-");
    case "n":
      return s.flags === "" && s.width === undefined && s.precision === undefined;
    default:
      return false;
  }
}

function justify(s: string, spec: Spec): string {
  if (spec.width === undefined || s.length >= spec.width) return s;
  const pad = " ".repeat(spec.width - s.length);
  return spec.flags.includes("-") ? s + pad : pad + s;
}

const group3 = (digits: string): string => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

/**
 * Sign, grouping, zero padding and parentheses around the magnitude `mag`
 * (already without sign), as Formatter does for d, f, e and g.
 */
function signed(mag: string, negative: boolean, spec: Spec): string {
  const f = spec.flags;
  const lead = negative ? (f.includes("(") ? "(" : "-") : f.includes("+") ? "+" : f.includes(" ") ? " " : "";
  const trail = negative && f.includes("(") ? ")" : "";
  let body = mag;
  if (f.includes("0") && spec.width !== undefined) body = body.padStart(spec.width - lead.length - trail.length, "0");
  return justify(lead + body + trail, spec);
}

/** Shortest round-trip decimal digits of |x| and the exponent of the first digit (x = 0.d1d2… × 10^(exp+1)). */
function decimalDigits(x: number): { digits: string; exp: number } {
  const [mant, e] = Math.abs(x).toExponential().split("e") as [string, string];
  return { digits: mant.replace(".", ""), exp: Number(e) };
}

/** Rounds digits (first digit at 10^exp) HALF_UP to `keep` digits; returns the new digits and exponent. */
function roundDigits(digits: string, exp: number, keep: number): { digits: string; exp: number } {
  if (keep < 0) return { digits: "0", exp };
  if (digits.length <= keep) return { digits: digits.padEnd(keep, "0"), exp };
  let head = keep === 0 ? 0n : BigInt(digits.slice(0, keep));
  if (Number(digits[keep]) >= 5) head += 1n;
  let s = head.toString().padStart(keep, "0");
  if (s.length > keep) {
    // Carry into a new leading digit (9.99 → 10.0).
    exp += 1;
    s = s.slice(0, keep || 1);
  }
  return { digits: s, exp };
}

/** Fixed notation with `prec` decimals, rounded HALF_UP on the shortest decimal representation. */
function fixed(x: number, prec: number): string {
  if (x === 0) return prec ? `0.${"0".repeat(prec)}` : "0";
  const { digits, exp } = decimalDigits(x);
  const keep = exp + 1 + prec;
  let d: string;
  let e: number;
  if (keep <= 0) {
    // Only the rounding of the first digit can reach the kept positions.
    const up = keep === 0 && Number(digits[0]) >= 5;
    d = up ? "1" : "0";
    e = up ? exp + 1 : exp;
    if (!up) return prec ? `0.${"0".repeat(prec)}` : "0";
  } else {
    ({ digits: d, exp: e } = roundDigits(digits, exp, keep));
    if (e !== exp) d = d.padEnd(e + 1 + prec, "0");
  }
  const intLen = e + 1;
  const all = intLen > 0 ? d : "0".repeat(-intLen) + d;
  const whole = intLen > 0 ? all.slice(0, intLen).padEnd(intLen, "0") : "0";
  const frac = (intLen > 0 ? all.slice(intLen) : all).padEnd(prec, "0").slice(0, prec);
  return prec ? `${whole}.${frac}` : whole;
}

/** Scientific notation `d.ddde+xx` with `prec` decimals. */
function scientific(x: number, prec: number): string {
  if (x === 0) return `${prec ? `0.${"0".repeat(prec)}` : "0"}e+00`;
  const r = roundDigits(decimalDigits(x).digits, decimalDigits(x).exp, prec + 1);
  const mant = prec ? `${r.digits[0]}.${r.digits.slice(1)}` : r.digits[0]!;
  const e = Math.abs(r.exp).toString().padStart(2, "0");
  return `${mant}e${r.exp < 0 ? "-" : "+"}${e}`;
}

function formatDouble(x: number, spec: Spec): string {
  const c = spec.conv.toLowerCase();
  const upper = spec.conv !== c;
  if (!Number.isFinite(x)) {
    const neg = x < 0;
    const text = Number.isNaN(x) ? "NaN" : "Infinity";
    const f = spec.flags;
    const lead = Number.isNaN(x) ? "" : neg ? (f.includes("(") ? "(" : "-") : f.includes("+") ? "+" : f.includes(" ") ? " " : "";
    const s = justify(lead + text + (neg && f.includes("(") ? ")" : ""), spec);
    return upper ? s.toUpperCase() : s;
  }
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let mag: string;
  if (c === "f") {
    mag = fixed(a, spec.precision ?? 6);
    if (spec.flags.includes("#") && spec.precision === 0) mag += ".";
  } else if (c === "e") {
    mag = scientific(a, spec.precision ?? 6);
  } else {
    const prec = spec.precision === undefined ? 6 : spec.precision === 0 ? 1 : spec.precision;
    if (a === 0) mag = fixed(0, prec - 1);
    else {
      const r = roundDigits(decimalDigits(a).digits, decimalDigits(a).exp, prec);
      const rounded = Number(`0.${r.digits}e${r.exp + 1}`);
      mag = rounded >= 1e-4 && rounded < 10 ** prec ? fixed(a, prec - 1 - r.exp) : scientific(a, prec - 1);
    }
  }
  if (spec.flags.includes(",") && c !== "e") {
    const dot = mag.indexOf(".");
    mag = dot < 0 ? group3(mag) : group3(mag.slice(0, dot)) + mag.slice(dot);
  }
  const s = signed(mag, neg, spec);
  return upper ? s.toUpperCase() : s;
}

function formatInteger(n: bigint, spec: Spec): string {
  const c = spec.conv;
  if (c === "d") {
    const mag = (n < 0n ? -n : n).toString();
    return signed(spec.flags.includes(",") ? group3(mag) : mag, n < 0n, spec);
  }
  // Octal and hex print the 64-bit two's complement of negative values.
  const u = BigInt.asUintN(64, n);
  let digits = c === "o" ? u.toString(8) : u.toString(16);
  const prefix = spec.flags.includes("#") ? (c === "o" ? "0" : "0x") : "";
  if (spec.flags.includes("0") && spec.width !== undefined) digits = digits.padStart(spec.width - prefix.length, "0");
  const s = justify(prefix + digits, spec);
  return c === "X" ? s.toUpperCase() : s;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const pad = (n: number | bigint, w: number): string => String(n).padStart(w, "0");

/** One `%t` conversion of an instant in UTC. */
function dateField(ns: bigint, conv: string): string {
  const ms = Number(ns / 1_000_000n - (ns % 1_000_000n < 0n ? 1n : 0n));
  const d = new Date(ms);
  const nanos = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const h = d.getUTCHours();
  const year = d.getUTCFullYear();
  switch (conv) {
    case "H": return pad(h, 2);
    case "I": return pad(h % 12 || 12, 2);
    case "k": return String(h);
    case "l": return String(h % 12 || 12);
    case "M": return pad(d.getUTCMinutes(), 2);
    case "S": return pad(d.getUTCSeconds(), 2);
    case "L": return pad(nanos / 1_000_000n, 3);
    case "N": return pad(nanos, 9);
    case "p": return h < 12 ? "am" : "pm";
    case "z": return "+0000";
    case "Z": return "UTC";
    case "s": return String(ns / 1_000_000_000n - (ns % 1_000_000_000n < 0n ? 1n : 0n));
    case "Q": return String(ms);
    case "B": return MONTHS[d.getUTCMonth()]!;
    case "b":
    case "h": return MONTHS[d.getUTCMonth()]!.slice(0, 3);
    case "A": return DAYS[d.getUTCDay()]!;
    case "a": return DAYS[d.getUTCDay()]!.slice(0, 3);
    case "C": return pad(Math.floor(year / 100), 2);
    case "Y": return pad(year, 4);
    case "y": return pad(((year % 100) + 100) % 100, 2);
    case "j": return pad(Math.floor((Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(year, 0, 1)) / 86_400_000) + 1, 3);
    case "m": return pad(d.getUTCMonth() + 1, 2);
    case "d": return pad(d.getUTCDate(), 2);
    case "e": return String(d.getUTCDate());
    case "R": return `${dateField(ns, "H")}:${dateField(ns, "M")}`;
    case "T": return `${dateField(ns, "H")}:${dateField(ns, "M")}:${dateField(ns, "S")}`;
    case "r": return `${dateField(ns, "I")}:${dateField(ns, "M")}:${dateField(ns, "S")} ${dateField(ns, "p").toUpperCase()}`;
    case "D": return `${dateField(ns, "m")}/${dateField(ns, "d")}/${dateField(ns, "y")}`;
    case "F": return `${dateField(ns, "Y")}-${dateField(ns, "m")}-${dateField(ns, "d")}`;
    case "c": return `${dateField(ns, "a")} ${dateField(ns, "b")} ${dateField(ns, "d")} ${dateField(ns, "T")} ${dateField(ns, "Z")} ${dateField(ns, "Y")}`;
  }
  throw new Error(`unchecked date conversion ${conv}`);
}

/** Formats one value for its specifier, type-checking it at `pos`. */
export function formatValue(spec: Spec, v: Value, pos: Pos): string {
  const c = spec.conv;
  const upper = c === c.toUpperCase();
  const cut = (s: string) => (spec.precision === undefined ? s : s.slice(0, spec.precision));
  if (spec.dt || c === "t" || c === "T") {
    if (!(v instanceof TimeV) && !(v instanceof DateV)) throw err.expected(pos, "Date or Time", valueType(v));
    let s: string;
    if (spec.dt) {
      const ns = v instanceof TimeV ? v.ns : BigInt(v.days) * 86_400_000_000_000n;
      s = dateField(ns, c);
    } else {
      s = v instanceof TimeV ? formatInstant(v.ns) : formatDate(v.days);
    }
    s = justify(s, spec);
    return (spec.dt ?? c) === "T" ? s.toUpperCase() : s;
  }
  switch (c) {
    case "s":
    case "S": {
      const s = stringOf(v);
      if (s === undefined) throw err.invalidArgument(pos, `Cannot cast ${valueType(v)} to String.`);
      const out = justify(cut(s), spec);
      return upper ? out.toUpperCase() : out;
    }
    case "b":
    case "B": {
      const out = justify(cut(v === null || v === false ? "false" : "true"), spec);
      return upper ? out.toUpperCase() : out;
    }
    case "@":
      return justify(cut(renderValue(v)), spec);
    case "c":
    case "C": {
      if (typeof v !== "bigint") throw err.expected(pos, "Integer", valueType(v));
      if (v < 0n || v > 0x10ffffn) throw err.invalidArgument(pos, `Invalid code point ${v}.`);
      const out = justify(String.fromCodePoint(Number(v)), spec);
      return upper ? out.toUpperCase() : out;
    }
    case "d":
    case "o":
    case "x":
    case "X":
      if (typeof v !== "bigint") throw err.expected(pos, "Integer", valueType(v));
      return formatInteger(v, spec);
    default:
      if (typeof v !== "number") throw err.expected(pos, "Number", valueType(v));
      return formatDouble(v, spec);
  }
}

/** One value for Format, with the position its errors are reported at. */
export interface FormatArg {
  v: Value;
  pos: Pos;
}

/**
 * `String.format(fmt, values…)`. Every argument index is resolved before anything is
 * formatted, as the server validates counts first; errors about the format string are
 * reported at `fmtPos`, errors about a value at that value's position.
 */
export function javaFormat(fmt: string, values: FormatArg[], fmtPos: Pos): string {
  const pieces = parseFormat(fmt, fmtPos);
  let ordinary = 0;
  let previous = -1;
  const indexes = pieces.map((p): number | undefined => {
    if (typeof p === "string" || p.conv === "%" || p.conv === "n") return undefined;
    let idx: number;
    if (p.index === "<") idx = previous;
    else if (p.index !== undefined) {
      idx = p.index - 1;
      if (idx < 0 || idx >= values.length) throw err.invalidArgument(fmtPos, "index must be >= 1 and <= arguments size");
    } else {
      idx = ordinary++;
      if (idx >= values.length) throw err.invalidArgument(fmtPos, "format specifiers count must be <= arguments size");
    }
    if (idx < 0) throw err.invalidArgument(fmtPos, "index must be >= 1 and <= arguments size");
    previous = idx;
    return idx;
  });
  return pieces
    .map((p, k) => {
      if (typeof p === "string") return p;
      if (p.conv === "%") return justify("%", p);
      if (p.conv === "n") return "\n";
      const { v, pos } = values[indexes[k]!]!;
      return formatValue(p, v, pos);
    })
    .join("");
}
