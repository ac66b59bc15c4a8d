/**
 * A JSON reader that keeps what `JSON.parse` throws away: an integer literal
 * (`1`) and a double literal (`1.0`) are different FQL types, and integers are
 * 64-bit. Integers become `bigint`, everything else with a fraction or exponent
 * a `number`; objects become `Map` so key order and exact key sets survive.
 */
export type Json = null | boolean | string | bigint | number | Json[] | JsonObject;
export type JsonObject = Map<string, Json>;

export class JsonSyntaxError extends Error {}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function parseJson(text: string): Json {
  let i = 0;
  const n = text.length;

  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const fail = (): never => {
    throw new JsonSyntaxError(`Unexpected input at offset ${i}`);
  };

  const value = (): Json => {
    ws();
    if (i >= n) fail();
    const c = text[i];
    if (c === "{") {
      i++;
      const m: JsonObject = new Map();
      ws();
      if (text[i] === "}") {
        i++;
        return m;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = str();
        ws();
        if (text[i] !== ":") fail();
        i++;
        m.set(k, value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return m;
        }
        fail();
      }
    }
    if (c === "[") {
      i++;
      const a: Json[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return a;
        }
        fail();
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) {
      i += 4;
      return true;
    }
    if (text.startsWith("false", i)) {
      i += 5;
      return false;
    }
    if (text.startsWith("null", i)) {
      i += 4;
      return null;
    }
    return num();
  };

  const str = (): string => {
    // Fast path: no escapes.
    const start = ++i;
    let j = start;
    while (j < n) {
      const ch = text.charCodeAt(j);
      if (ch === 0x22) {
        i = j + 1;
        return text.slice(start, j);
      }
      if (ch === 0x5c || ch < 0x20) break;
      j++;
    }
    let out = text.slice(start, j);
    i = j;
    while (i < n) {
      const ch = text[i]!;
      if (ch === '"') {
        i++;
        return out;
      }
      if (ch.charCodeAt(0) < 0x20) fail();
      if (ch === "\\") {
        const e = text[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "/":
            out += "/";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            const hex = text.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail();
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            fail();
        }
      } else {
        out += ch;
        i++;
      }
    }
    return fail();
  };

  const num = (): Json => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail();
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const b = BigInt(m[0]);
      // Beyond a Long the server falls back to a double.
      if (b < INT64_MIN || b > INT64_MAX) return Number(m[0]);
      return b;
    }
    return Number(m[0]);
  };

  const v = value();
  ws();
  if (i !== n) fail();
  return v;
}

/** Java's `Double.toString`, which is how FaunaDB writes doubles (`3.0`, `1.0E-4`). */
export function javaDouble(d: number): string {
  if (Number.isNaN(d)) return "NaN";
  if (d === Infinity) return "Infinity";
  if (d === -Infinity) return "-Infinity";
  if (d === 0) return Object.is(d, -0) ? "-0.0" : "0.0";
  const a = Math.abs(d);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(d);
    return s.includes(".") || s.includes("e") ? s : `${s}.0`;
  }
  const [mant, exp] = d.toExponential().split("e") as [string, string];
  const m = mant.includes(".") ? mant : `${mant}.0`;
  return `${m}E${exp!.startsWith("+") ? exp!.slice(1) : exp}`;
}

/** Writes a JSON string literal. */
export function quoteJson(s: string): string {
  return JSON.stringify(s);
}
