/**
 * Java regular expressions in JavaScript (spec S.5.2): a Java pattern translated to a
 * `u`-mode RegExp with Java's meaning of anchors, `.`, `\s`, POSIX and Unicode classes,
 * quoting, inline flags and class intersections; Java's match stepping; and
 * `Matcher.appendReplacement`'s replacement syntax.
 */
import { err, type Pos } from "../errors.ts";

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

/** A pattern Java would refuse, or one this translation cannot express. */
export class BadPattern extends Error {}

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

export interface Translated {
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
export function translateJavaRegex(p: string): Translated {
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
        return Array.from(body).map(literal).join("");
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

export interface JavaRegex {
  re: RegExp;
  groups: number;
}

/** Compiles a Java pattern; any failure is the server's "not a valid regular expression" at `pos`. */
export function javaRegex(pattern: string, pos: Pos): JavaRegex {
  try {
    const t = translateJavaRegex(pattern);
    return { re: new RegExp(t.source, `gu${t.ignoreCase ? "i" : ""}`), groups: t.groups };
  } catch (e) {
    if (!(e instanceof BadPattern) && !(e instanceof SyntaxError)) throw e;
    throw err.invalidArgument(pos, `Search pattern /${pattern}/ is not a valid regular expression.`);
  }
}

/** Every match from UTF-16 offset `from`, stepping past empty matches by a code point. */
export function* matches(s: string, { re }: JavaRegex, from: number): Generator<RegExpExecArray> {
  re.lastIndex = from;
  while (re.lastIndex <= s.length) {
    const m = re.exec(s);
    if (!m) return;
    yield m;
    if (m[0] === "") re.lastIndex = m.index + (s.codePointAt(m.index)! > 0xffff ? 2 : 1);
  }
}

/** Java `Matcher.appendReplacement` syntax: `$n`, `${name}`, and `\` quoting the next character. */
export function javaReplacement(rep: string, groups: number, pos: Pos): (m: RegExpExecArray) => string {
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
