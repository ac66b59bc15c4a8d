/**
 * String functions (spec S.5.1), Java regexes in JavaScript (S.5.2) and Format (S.4.7).
 * Lengths and offsets are in code points, as the server counts them.
 */
import { err, QueryErrors, type Pos, type QueryError } from "../errors.ts";
import { withOptional, type FormCall, type FormDef } from "../eval/registry.ts";
import { asBool, asInt, asString } from "../eval/casts.ts";
import { formatDate, formatInstant } from "../time.ts";
import { DateV, TimeV, type Value } from "../values.ts";
import { renderValue } from "../wire/render.ts";
import { stringOf, valueType } from "./types.ts";

const codePoints = (s: string): string[] => Array.from(s);
const cpLength = (s: string): number => codePoints(s).length;
/** Code points in `s` before UTF-16 offset `i`. */
const cpIndex = (s: string, i: number): number => cpLength(s.slice(0, i));
/** UTF-16 offset of code point `n` (clamped to the end). */
function utf16Offset(s: string, n: number): number {
  let off = 0;
  for (let k = 0; k < n && off < s.length; k++) off += s.codePointAt(off)! > 0xffff ? 2 : 1;
  return off;
}
/** Where FindStr/FindStrRegex start searching: `start` only counts when 0 < start < UTF-16 length. */
function searchStart(s: string, start: bigint | undefined): number {
  if (start === undefined || start <= 0n || start >= BigInt(s.length)) return 0;
  return utf16Offset(s, Number(start));
}

const stringArg = (c: FormCall, key: string): string => asString(c.arg(key), c.at(key));
const optInt = (c: FormCall, key: string): bigint | undefined => (c.has(key) ? asInt(c.arg(key), c.at(key)) : undefined);

/** Throws the collected errors: one as itself, several together. */
function throwAll(errors: QueryError[]): void {
  if (errors.length === 1) throw errors[0]!;
  if (errors.length) throw new QueryErrors(errors);
}

const NORMALIZERS = ["NFKCCaseFold", "NFC", "NFD", "NFKC", "NFKD"] as const;
type Normalizer = (typeof NORMALIZERS)[number];

/**
 * Unicode NFKC_Casefold: drop default-ignorables, fold case, NFKC. Folding
 * per code point through upper then lower case gives the full case folding
 * (ß → ss, ſ → s, ς → σ) without the context rules of toLowerCase.
 */
function nfkcCaseFold(s: string): string {
  const folded = codePoints(s.replace(/\p{Default_Ignorable_Code_Point}/gu, "").normalize("NFKC"))
    .map((ch) => (ch === "\u0130" ? "i\u0307" : ch.toUpperCase().toLowerCase()))
    .join("");
  return folded.normalize("NFKC");
}

function stringFn(name: string, fn: (s: string) => Value): FormDef {
  return { name, shapes: [[name]], eval: (c) => fn(stringArg(c, name)) };
}

const wordSegmenter = new Intl.Segmenter("und", { granularity: "word" });
/** Title case per word-break segment: its first letter-like character upper (title) case, the rest lower. */
function titleCase(s: string): string {
  let out = "";
  for (const { segment } of wordSegmenter.segment(s)) {
    const cps = codePoints(segment);
    // ICU's default break adjustment: title-case the first letter, number, symbol or private-use character.
    const first = cps.findIndex((ch) => /[\p{L}\p{N}\p{S}\p{Co}]/u.test(ch));
    if (first < 0) {
      out += segment.toLowerCase();
      continue;
    }
    // An upper-case expansion (ß → SS, ﬁ → FI) keeps only its first letter upper: "Ss", "Fi".
    const upper = codePoints(cps[first]!.toUpperCase());
    const title = upper[0]! + upper.slice(1).join("").toLowerCase();
    out += cps.slice(0, first).join("") + title + cps.slice(first + 1).join("").toLowerCase();
  }
  return out;
}

// Java's Character.isWhitespace, which String.strip uses: no non-breaking spaces.
const JAVA_SPACE = "[\\t\\n\\u000B\\f\\r\\u001C-\\u001F]|(?![\\u00A0\\u2007\\u202F])[\\p{Zs}\\p{Zl}\\p{Zp}]";
const LEADING = new RegExp(`^(?:${JAVA_SPACE})+`, "u");
const TRAILING = new RegExp(`(?:${JAVA_SPACE})+$`, "u");

const MAX_REPEAT = 1024n;
const repeatCount = (n: bigint): number => Number(n <= 0n ? 0n : n > MAX_REPEAT ? MAX_REPEAT : n);

/** Lucene's n-gram tokenizer: every gram of every start position, shortest first. */
function ngrams(s: string, min: number, max: number): string[] {
  const cps = codePoints(s);
  const out: string[] = [];
  for (let i = 0; i < cps.length; i++) {
    for (let len = min; len <= max && i + len <= cps.length; len++) out.push(cps.slice(i, i + len).join(""));
  }
  return out;
}

// ---- Java regexes ---------------------------------------------------------------------------------

const LINE_END = "[\\n\\r\\u0085\\u2028\\u2029]";
const JAVA_S = "\\t\\n\\x0B\\f\\r ";
const JAVA_H = " \\t\\xA0\\u1680\\u180E\\u2000-\\u200A\\u202F\\u205F\\u3000";
const JAVA_V = "\\n\\x0B\\f\\r\\x85\\u2028\\u2029";

/** Java's POSIX and java.lang.Character classes, as bracket contents. */
const POSIX: Record<string, string> = {
  Lower: "a-z",
  Upper: "A-Z",
  ASCII: "\\x00-\\x7F",
  Alpha: "a-zA-Z",
  Digit: "0-9",
  Alnum: "a-zA-Z0-9",
  Punct: "!-\\/:-@\\[-`{-~",
  Graph: "!-~",
  Print: " -~",
  Blank: " \\t",
  Cntrl: "\\x00-\\x1F\\x7F",
  XDigit: "0-9a-fA-F",
  Space: JAVA_S,
  javaLowerCase: "\\p{Lowercase}",
  javaUpperCase: "\\p{Uppercase}",
  javaWhitespace: "\\t\\n\\x0B\\f\\r\\x1C-\\x1F\\p{Zl}\\p{Zp}\\u0020\\u1680\\u2000-\\u2006\\u2008-\\u200A\\u205F\\u3000",
  javaLetter: "\\p{L}",
  javaDigit: "\\p{Nd}",
  javaLetterOrDigit: "\\p{L}\\p{Nd}",
  javaAlphabetic: "\\p{Alphabetic}",
};
const UNICODE_BINARY: Record<string, string> = {
  ALPHABETIC: "Alphabetic",
  LETTER: "L",
  UPPERCASE: "Uppercase",
  LOWERCASE: "Lowercase",
  WHITE_SPACE: "White_Space",
  WHITESPACE: "White_Space",
  DIGIT: "Nd",
  PUNCTUATION: "P",
  CONTROL: "Cc",
  HEX_DIGIT: "Hex_Digit",
  HEXDIGIT: "Hex_Digit",
  IDEOGRAPHIC: "Ideographic",
  NONCHARACTER_CODE_POINT: "Noncharacter_Code_Point",
  ASSIGNED: "Assigned",
};

class BadPattern extends Error {}

/** A class escape that stands for one character (and so may start or end a range). */
const SINGLE_CHAR_ESCAPE = /^(?:\\[tnrf]|\\x[0-9a-fA-F]{2}|\\u[0-9a-fA-F]{4}|\\u\{[0-9a-fA-F]+\}|\\[^A-Za-z0-9]|[^\\])$/u;

/** A Java `\p{name}` (negated: `\P`) as JavaScript: bracket contents inside a class, an atom outside. */
function property(name: string, negated: boolean, inClass: boolean): string {
  const posix = POSIX[name] ?? (name.startsWith("Is") ? POSIX[name.slice(2)] : undefined);
  if (posix !== undefined) {
    if (!negated) return inClass ? posix : `[${posix}]`;
    if (inClass) throw new BadPattern("negated POSIX class inside a class");
    return `[^${posix}]`;
  }
  const P = negated ? "P" : "p";
  let js: string;
  const eq = name.indexOf("=");
  if (eq >= 0) {
    const key = name.slice(0, eq).toLowerCase();
    const val = name.slice(eq + 1);
    if (key === "sc" || key === "script") js = `Script=${val}`;
    else if (key === "gc" || key === "general_category") js = val;
    else throw new BadPattern(`unknown property ${name}`);
  } else if (name.startsWith("Is")) {
    const rest = name.slice(2);
    js = UNICODE_BINARY[rest.toUpperCase()] ?? (/^[A-Z][a-z]?$/.test(rest) ? rest : `Script=${rest}`);
  } else if (name.startsWith("In")) {
    throw new BadPattern("Unicode blocks are not supported");
  } else {
    js = name;
  }
  return `\\${P}{${js}}`;
}

interface Translated {
  source: string;
  ignoreCase: boolean;
  groups: number;
}

const SYNTAX = new Set("^$\\.*+?()[]{}|/");
const literal = (ch: string): string => (SYNTAX.has(ch) ? `\\${ch}` : ch);
const classLiteral = (ch: string): string => ("\\]^-[".includes(ch) ? `\\${ch}` : ch);

/**
 * Java regex → JavaScript `u`-mode regex. Anchors, `.` and `\s` are expanded to
 * Java's meaning so that only the `i` flag is needed; inline flags apply from
 * where they appear (scoped `(?i:…)` case folding applies to the whole pattern,
 * a JavaScript limit); possessive quantifiers and atomic groups lose their
 * no-backtracking property.
 */
function translateJavaRegex(p: string): Translated {
  let i = 0;
  let out = "";
  let groups = 0;
  let ignoreCase = false;
  const flags = { m: false, s: false, x: false };

  const readUntil = (close: string): string => {
    const end = p.indexOf(close, i);
    if (end < 0) throw new BadPattern(`missing ${close}`);
    const body = p.slice(i, end);
    i = end + close.length;
    return body;
  };

  /** An escape after `\` (i points past the backslash); `inClass` selects bracket-content output. */
  const escape = (inClass: boolean): string => {
    const ch = p[i++];
    if (ch === undefined) throw new BadPattern("trailing backslash");
    switch (ch) {
      case "t":
      case "n":
      case "r":
      case "f":
      case "d":
      case "D":
      case "w":
      case "W":
        return `\\${ch}`;
      case "a":
        return "\\x07";
      case "e":
        return "\\x1B";
      case "s":
        return inClass ? JAVA_S : `[${JAVA_S}]`;
      case "S":
        if (inClass) return "\\S";
        return `[^${JAVA_S}]`;
      case "h":
        return inClass ? JAVA_H : `[${JAVA_H}]`;
      case "H":
        if (inClass) throw new BadPattern("\\H in a class");
        return `[^${JAVA_H}]`;
      case "v":
        return inClass ? JAVA_V : `[${JAVA_V}]`;
      case "V":
        if (inClass) throw new BadPattern("\\V in a class");
        return `[^${JAVA_V}]`;
      case "c": {
        const x = p[i++];
        if (x === undefined) throw new BadPattern("\\c");
        return `\\u{${((x.codePointAt(0)! ^ 64) >>> 0).toString(16)}}`;
      }
      case "x": {
        if (p[i] === "{") {
          i++;
          const hex = readUntil("}");
          if (!/^[0-9a-fA-F]+$/.test(hex)) throw new BadPattern("\\x{}");
          return `\\u{${hex}}`;
        }
        const hex = p.slice(i, i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new BadPattern("\\x");
        i += 2;
        return `\\x${hex}`;
      }
      case "u": {
        const hex = p.slice(i, i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new BadPattern("\\u");
        i += 4;
        return `\\u${hex}`;
      }
      case "0": {
        const m = /^(?:[0-3][0-7]{2}|[0-7]{1,2})/.exec(p.slice(i));
        if (!m) throw new BadPattern("octal escape");
        i += m[0].length;
        return `\\u{${parseInt(m[0], 8).toString(16)}}`;
      }
      case "p":
      case "P": {
        let name: string;
        if (p[i] === "{") {
          i++;
          name = readUntil("}");
        } else {
          name = p[i++] ?? "";
        }
        return property(name, ch === "P", inClass);
      }
    }
    if (inClass) {
      if (/[A-Za-z0-9]/.test(ch)) throw new BadPattern(`\\${ch} in a class`);
      return classLiteral(ch);
    }
    switch (ch) {
      case "b":
      case "B":
        return `\\${ch}`;
      case "A":
      case "G":
        return "(?<![\\s\\S])";
      case "z":
        return "(?![\\s\\S])";
      case "Z":
        return `(?=(?:\\r\\n|${LINE_END})?(?![\\s\\S]))`;
      case "R":
        return `(?:\\r\\n|[${JAVA_V}])`;
      case "Q": {
        const end = p.indexOf("\\E", i);
        const body = end < 0 ? p.slice(i) : p.slice(i, end);
        i = end < 0 ? p.length : end + 2;
        return codePoints(body).map(literal).join("");
      }
      case "k": {
        if (p[i] !== "<") throw new BadPattern("\\k");
        i++;
        return `\\k<${readUntil(">")}>`;
      }
    }
    if (/[1-9]/.test(ch)) {
      // Java reads further digits only while they still name an existing group.
      let n = Number(ch);
      while (/[0-9]/.test(p[i] ?? "") && n * 10 + Number(p[i]) <= groups) n = n * 10 + Number(p[i++]);
      return `(?:\\${n})`;
    }
    if (/[A-Za-z]/.test(ch)) throw new BadPattern(`\\${ch}`);
    return literal(ch);
  };

  /** A character class starting after `[`; returns a JavaScript atom. */
  const charClass = (): string => {
    const negated = p[i] === "^";
    if (negated) i++;
    let simple = "";
    const nested: string[] = [];
    const intersections: string[] = [];
    let first = true;
    let rangeStart = false;
    for (;;) {
      const ch = p[i];
      if (ch === undefined) throw new BadPattern("unclosed class");
      if (ch === "]" && !first) {
        i++;
        break;
      }
      first = false;
      if (ch === "[") {
        i++;
        nested.push(charClass());
      } else if (ch === "&" && p[i + 1] === "&") {
        i += 2;
        // The rest of the class (up to and including its closing bracket) is intersected with what came before.
        intersections.push(charClass());
        break;
      } else if (ch === "\\") {
        i++;
        const e = escape(true);
        simple += e;
        rangeStart = SINGLE_CHAR_ESCAPE.test(e);
      } else {
        i++;
        // A dash makes a range only between two single characters; elsewhere it is literal.
        const isRange: boolean = ch === "-" && rangeStart && p[i] !== "]";
        simple += isRange ? "-" : classLiteral(ch);
        rangeStart = !isRange;
      }
    }
    const parts = [...(simple ? [`[${simple}]`] : []), ...nested];
    let atom = parts.length === 1 ? parts[0]! : `(?:${parts.join("|") || "[^\\s\\S]"})`;
    if (intersections.length) atom = `(?:${intersections.map((x) => `(?=${x})`).join("")}${atom})`;
    if (negated) atom = parts.length === 1 && !intersections.length && simple && !nested.length ? `[^${simple}]` : `(?:(?!${atom})[\\s\\S])`;
    return atom;
  };

  const applyFlags = (spec: string): void => {
    const [on, off = ""] = spec.split("-");
    for (const f of on!) {
      if (f === "i") ignoreCase = true;
      else if (f === "m" || f === "s" || f === "x") flags[f] = true;
      else if (!"duU".includes(f)) throw new BadPattern(`flag ${f}`);
    }
    for (const f of off) if (f === "m" || f === "s" || f === "x") flags[f] = false;
  };

  while (i < p.length) {
    const ch = p[i]!;
    if (flags.x && /\s/.test(ch)) {
      i++;
      continue;
    }
    if (flags.x && ch === "#") {
      while (i < p.length && p[i] !== "\n") i++;
      continue;
    }
    i++;
    switch (ch) {
      case "\\":
        out += escape(false);
        break;
      case "[":
        out += charClass();
        break;
      case ".":
        out += flags.s ? "[\\s\\S]" : `(?:(?!${LINE_END})[\\s\\S])`;
        break;
      case "^":
        out += flags.m ? `(?:(?<![\\s\\S])|(?<=${LINE_END})(?=[\\s\\S]))` : "(?<![\\s\\S])";
        break;
      case "$":
        out += flags.m ? `(?=${LINE_END}|(?![\\s\\S]))` : `(?=(?:\\r\\n|${LINE_END})?(?![\\s\\S]))`;
        break;
      case "(": {
        if (p[i] !== "?") {
          groups++;
          out += "(";
          break;
        }
        const m = /^\?([idmsuxU]*(?:-[idmsuxU]*)?)([:)])/.exec(p.slice(i));
        if (m && (m[1] || m[2] === ":")) {
          applyFlags(m[1]!);
          i += m[0].length;
          if (m[2] === ":") out += "(?:";
          break;
        }
        if (p.startsWith("?>", i)) {
          i += 2;
          out += "(?:";
          break;
        }
        if (/^\?<[A-Za-z]/.test(p.slice(i, i + 3))) groups++;
        out += "(";
        break;
      }
      case "{": {
        const m = /^(\d+)(,(\d*))?\}/.exec(p.slice(i));
        if (!m) throw new BadPattern("illegal repetition");
        i += m[0].length;
        out += `{${m[1]}${m[2] ?? ""}}`;
        if (p[i] === "+") i++;
        break;
      }
      case "*":
      case "+":
      case "?":
        out += ch;
        // Possessive quantifiers behave like greedy ones here.
        if (p[i] === "+") i++;
        break;
      case "]":
      case "}":
        out += `\\${ch}`;
        break;
      default:
        out += ch;
    }
  }
  return { source: out, ignoreCase, groups };
}

interface JavaRegex {
  re: RegExp;
  groups: number;
}

/** Compiles a Java pattern; any failure is the server's "not a valid regular expression" at `pos`. */
function javaRegex(pattern: string, pos: Pos): JavaRegex {
  try {
    const t = translateJavaRegex(pattern);
    return { re: new RegExp(t.source, `gu${t.ignoreCase ? "i" : ""}`), groups: t.groups };
  } catch (e) {
    if (!(e instanceof BadPattern) && !(e instanceof SyntaxError)) throw e;
    throw err.invalidArgument(pos, `Search pattern /${pattern}/ is not a valid regular expression.`);
  }
}

/** Every match from UTF-16 offset `from`, stepping past empty matches by a code point. */
function* matches(s: string, { re }: JavaRegex, from: number): Generator<RegExpExecArray> {
  re.lastIndex = from;
  while (re.lastIndex <= s.length) {
    const m = re.exec(s);
    if (!m) return;
    yield m;
    if (m[0] === "") re.lastIndex = m.index + (s.codePointAt(m.index)! > 0xffff ? 2 : 1);
  }
}

/** Java `Matcher.appendReplacement` syntax: `$n`, `${name}`, and `\` quoting the next character. */
function javaReplacement(rep: string, groups: number, pos: Pos): (m: RegExpExecArray) => string {
  const parts: ((m: RegExpExecArray) => string)[] = [];
  let lit = "";
  const flush = () => {
    const text = lit;
    if (text) parts.push(() => text);
    lit = "";
  };
  for (let i = 0; i < rep.length; i++) {
    const ch = rep[i]!;
    if (ch === "\\") {
      if (i + 1 >= rep.length) throw err.invalidArgument(pos, "character to be escaped is missing");
      lit += rep[++i];
    } else if (ch === "$") {
      flush();
      const next = rep[i + 1];
      if (next === "{") {
        const end = rep.indexOf("}", i);
        if (end < 0) throw err.invalidArgument(pos, "named capturing group is missing trailing '}'");
        const name = rep.slice(i + 2, end);
        parts.push((m) => m.groups?.[name] ?? "");
        i = end;
      } else if (next !== undefined && /[0-9]/.test(next)) {
        let n = Number(next);
        if (n > groups) throw err.invalidArgument(pos, `No group ${n}`);
        i++;
        while (/[0-9]/.test(rep[i + 1] ?? "") && n * 10 + Number(rep[i + 1]) <= groups) n = n * 10 + Number(rep[++i]);
        const g = n;
        parts.push((m) => m[g] ?? "");
      } else {
        throw err.invalidArgument(pos, "Illegal group reference");
      }
    } else {
      lit += ch;
    }
  }
  flush();
  return (m) => parts.map((f) => f(m)).join("");
}

const MAX_RESULTS = 1024n;

// ---- Format (java.util.Formatter) -------------------------------------------------------------------

/** One `%…` specifier of a format string. */
interface Spec {
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

type Piece = string | Spec;

/** Splits a format string into text and specifiers, applying Java's flag/precision/width rules. */
function parseFormat(fmt: string, pos: Pos): Piece[] {
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
function formatValue(spec: Spec, v: Value, pos: Pos): string {
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

export const forms: readonly FormDef[] = [
  // ---- simple string functions --------------------------------------------------------------------
  withOptional({
    name: "concat",
    optional: ["separator"],
    variadic: ["concat"],
    eval(c) {
      const { items, bare } = c.args("concat");
      // A bare value that evaluates to an array (a Var, a Map result…) is the list itself.
      const list =
        bare && Array.isArray(items[0]!.value) ? items[0]!.value.map((value, i) => ({ value, pos: [...c.at("concat"), i] })) : items;
      const sep = c.has("separator") ? stringArg(c, "separator") : "";
      return list.map(({ value, pos }) => asString(value, pos)).join(sep);
    },
  }),

  withOptional({
    name: "casefold",
    optional: ["normalizer"],
    eval(c) {
      let norm: Normalizer = "NFKCCaseFold";
      if (c.has("normalizer")) {
        const n = c.arg("normalizer");
        if (typeof n !== "string" || !(NORMALIZERS as readonly string[]).includes(n)) {
          throw err.expected(c.at("normalizer"), "String 'NFKCCaseFold', 'NFC', 'NFD', 'NFKC', or 'NFKD'", valueType(n));
        }
        norm = n as Normalizer;
      }
      const fold = (v: Value): Value => (typeof v !== "string" ? v : norm === "NFKCCaseFold" ? nfkcCaseFold(v) : v.normalize(norm));
      const v = c.arg("casefold");
      if (!Array.isArray(v)) return fold(v);
      return v.length === 1 ? fold(v[0]!) : v.map(fold);
    },
  }),

  stringFn("lowercase", (s) => s.toLowerCase()),
  stringFn("uppercase", (s) => s.toUpperCase()),
  stringFn("length", (s) => BigInt(cpLength(s))),
  stringFn("titlecase", titleCase),
  stringFn("trim", (s) => s.replace(LEADING, "").replace(TRAILING, "")),
  stringFn("ltrim", (s) => s.replace(LEADING, "")),
  stringFn("rtrim", (s) => s.replace(TRAILING, "")),
  stringFn("regexescape", (s) => `\\Q${s.split("\\E").join("\\E\\\\E\\Q")}\\E`),

  ...([
    ["containsstr", (s: string, x: string) => s.includes(x)],
    ["startswith", (s: string, x: string) => s.startsWith(x)],
    ["endswith", (s: string, x: string) => s.endsWith(x)],
  ] as const).map(
    ([name, test]): FormDef => ({
      name,
      shapes: [[name, "search"]],
      eval: (c) => test(stringArg(c, name), stringArg(c, "search")),
    }),
  ),

  withOptional({
    name: "findstr",
    required: ["find"],
    optional: ["start"],
    eval(c) {
      const s = stringArg(c, "findstr");
      const find = stringArg(c, "find");
      const i = s.indexOf(find, searchStart(s, optInt(c, "start")));
      return BigInt(i < 0 ? -1 : cpIndex(s, i));
    },
  }),

  {
    name: "replacestr",
    shapes: [["replacestr", "find", "replace"]],
    eval(c) {
      const s = stringArg(c, "replacestr");
      const find = stringArg(c, "find");
      const rep = stringArg(c, "replace");
      // A function replacer keeps `$` in the replacement literal.
      return s.replaceAll(find, () => rep);
    },
  },

  withOptional({
    name: "repeat",
    optional: ["number"],
    eval(c) {
      const s = stringArg(c, "repeat");
      return s.repeat(repeatCount(optInt(c, "number") ?? 2n));
    },
  }),

  {
    name: "space",
    shapes: [["space"]],
    eval: (c) => " ".repeat(repeatCount(asInt(c.arg("space"), c.at("space")))),
  },

  withOptional({
    name: "substring",
    optional: ["start", "length"],
    eval(c) {
      const cps = codePoints(stringArg(c, "substring"));
      const start = optInt(c, "start") ?? 0n;
      const length = optInt(c, "length");
      const n = BigInt(cps.length);
      const from = start < 0n ? n + start : start;
      if (from < 0n || from > n) throw err.invalidArgument(c.pos, "start must be less than or equal to the string length");
      if (length !== undefined && length < 0n) throw err.invalidArgument(c.pos, "length must be positive");
      const to = length === undefined || from + length > n ? n : from + length;
      return cps.slice(Number(from), Number(to)).join("");
    },
  }),

  withOptional({
    name: "ngram",
    optional: ["min", "max"],
    eval(c) {
      const v = c.arg("ngram");
      const min = optInt(c, "min") ?? 1n;
      const max = optInt(c, "max") ?? 2n;
      const errors: QueryError[] = [];
      const bad = (msg: string) => errors.push(err.invalidArgument(c.pos, msg));
      if (min <= 0n || min > max) bad("min ngram size must be > 0 and <= max");
      else if (min < max - 1n) bad("min ngram size must be >= max - 1");
      if (max <= 0n) bad("max ngram size must be > 0");
      else if (max < min) bad("max ngram size must be > 0 and >= min");
      else if (max > min + 1n) bad("max ngram size must be <= min + 1");
      throwAll(errors);
      const items = Array.isArray(v) ? v : [v];
      return items.flatMap((x): Value[] => (typeof x === "string" ? ngrams(x, Number(min), Number(max)) : [x]));
    },
  }),

  {
    name: "containsstrregex",
    shapes: [["containsstrregex", "pattern"]],
    eval(c) {
      const s = stringArg(c, "containsstrregex");
      const re = javaRegex(stringArg(c, "pattern"), c.at("pattern"));
      return !matches(s, re, 0).next().done;
    },
  },

  withOptional({
    name: "findstrregex",
    required: ["pattern"],
    optional: ["start", "num_results"],
    eval(c) {
      const s = stringArg(c, "findstrregex");
      const re = javaRegex(stringArg(c, "pattern"), c.at("pattern"));
      const start = optInt(c, "start");
      const num = optInt(c, "num_results") ?? MAX_RESULTS;
      const limit = Number(num > MAX_RESULTS ? MAX_RESULTS : num);
      const out: Value[] = [];
      if (limit <= 0) return out;
      for (const m of matches(s, re, searchStart(s, start))) {
        const from = cpIndex(s, m.index);
        const len = cpLength(m[0]);
        out.push(
          new Map<string, Value>([
            ["start", BigInt(from)],
            ["end", BigInt(len ? from + len - 1 : from)],
            ["data", m[0]],
          ]),
        );
        if (out.length >= limit) break;
      }
      return out;
    },
  }),

  withOptional({
    name: "replacestrregex",
    required: ["pattern", "replace"],
    optional: ["first"],
    eval(c) {
      const s = stringArg(c, "replacestrregex");
      const re = javaRegex(stringArg(c, "pattern"), c.at("pattern"));
      const replace = javaReplacement(stringArg(c, "replace"), re.groups, c.at("replace"));
      const first = c.has("first") ? asBool(c.arg("first"), c.at("first")) : false;
      let out = "";
      let last = 0;
      for (const m of matches(s, re, 0)) {
        out += s.slice(last, m.index) + replace(m);
        last = m.index + m[0].length;
        if (first) break;
      }
      return out + s.slice(last);
    },
  }),

  {
    name: "format",
    shapes: [["format", "values"]],
    eval(c) {
      const fmt = stringArg(c, "format");
      const raw = c.arg("values");
      const values = Array.isArray(raw) ? raw.map((v, i) => ({ v, pos: [...c.at("values"), i] })) : [{ v: raw, pos: c.at("values") }];
      const pieces = parseFormat(fmt, c.at("format"));
      // Resolve every argument index before formatting, as the server validates counts first.
      let ordinary = 0;
      let previous = -1;
      const indexes = pieces.map((p): number | undefined => {
        if (typeof p === "string" || p.conv === "%" || p.conv === "n") return undefined;
        let idx: number;
        if (p.index === "<") idx = previous;
        else if (p.index !== undefined) {
          idx = p.index - 1;
          if (idx < 0 || idx >= values.length) throw err.invalidArgument(c.at("format"), "index must be >= 1 and <= arguments size");
        } else {
          idx = ordinary++;
          if (idx >= values.length) throw err.invalidArgument(c.at("format"), "format specifiers count must be <= arguments size");
        }
        if (idx < 0) throw err.invalidArgument(c.at("format"), "index must be >= 1 and <= arguments size");
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
    },
  },
];
