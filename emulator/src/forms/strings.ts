/**
 * String functions (spec S.5.1), the regex functions (S.5.2) and Format (S.4.7). The Java
 * dialects they speak live in java/regex.ts and java/formatter.ts; lengths and offsets are
 * in code points, as the server counts them.
 */
import { err, QueryErrors, type QueryError } from "../errors.ts";
import { withOptional, type FormCall, type FormDef } from "../eval/registry.ts";
import { asBool, asInt, asString } from "../eval/casts.ts";
import { javaFormat } from "../java/formatter.ts";
import { javaRegex, javaReplacement, matches } from "../java/regex.ts";
import { valueType, type Value } from "../values.ts";

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

/** FindStrRegex returns at most this many matches. */
const MAX_RESULTS = 1024n;

export const forms: readonly FormDef[] = [
  // ---- simple string functions --------------------------------------------------------------------
  withOptional({
    name: "concat",
    optional: ["separator"],
    variadic: ["concat"],
    eval(c) {
      // Zero strings are allowed: Concat([]) is "" (the server's StringFunctionsSpec).
      const list = c.spread("concat", true).items;
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
      return javaFormat(fmt, values, c.at("format"));
    },
  },
];
