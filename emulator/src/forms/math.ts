/**
 * Arithmetic, bitwise, rounding and trigonometric functions (spec S.6).
 * Integers are Java Longs (bigint wrapped to 64 bits); any Double in a fold
 * turns the rest of the fold into Double arithmetic.
 */
import { err, type Pos } from "../errors.ts";
import { withOptional, type FormCall, type FormDef } from "../eval/registry.ts";
import { asInt } from "../eval/casts.ts";
import { int64, valueType, type Value } from "../values.ts";
import { numText, toLong } from "../java/conversions.ts";

type Num = bigint | number;

function asNumber(v: Value, pos: Pos): Num {
  if (typeof v !== "bigint" && typeof v !== "number") throw err.expected(pos, "Number", valueType(v));
  return v;
}

/** The arguments of a variadic form; the first one that is not a number fails (spec S.7.4 example). */
function numbersOf(c: FormCall, name: string): Num[] {
  const { items } = c.spread(name);
  return items.map(({ value, pos }) => asNumber(value, pos));
}

interface FoldOp {
  int(a: bigint, b: bigint): bigint;
  dbl(a: number, b: number): number;
  /** Division-like operations reject a zero right operand (Integer 0 or Double 0.0). */
  zeroCheck?: boolean;
}

const isZero = (n: Num): boolean => n === 0n || n === 0;

const FOLDS: Record<string, FoldOp> = {
  add: { int: (a, b) => int64(a + b), dbl: (a, b) => a + b },
  subtract: { int: (a, b) => int64(a - b), dbl: (a, b) => a - b },
  multiply: { int: (a, b) => int64(a * b), dbl: (a, b) => a * b },
  // BigInt division already truncates toward zero; int64 wraps Long.MIN_VALUE / -1 as Java does.
  divide: { int: (a, b) => int64(a / b), dbl: (a, b) => a / b, zeroCheck: true },
  // Both JS `%` operators take the dividend's sign, like Java's.
  modulo: { int: (a, b) => a % b, dbl: (a, b) => a % b, zeroCheck: true },
  // With a Double involved, both operands are truncated to Long and the result is a Double.
  bitand: { int: (a, b) => a & b, dbl: (a, b) => Number(toLong(a) & toLong(b)) },
  bitor: { int: (a, b) => a | b, dbl: (a, b) => Number(toLong(a) | toLong(b)) },
  bitxor: { int: (a, b) => a ^ b, dbl: (a, b) => Number(toLong(a) ^ toLong(b)) },
};

function unary(name: string, fn: (n: Num, c: FormCall) => Value): FormDef {
  return { name, shapes: [[name]], eval: (c) => fn(asNumber(c.arg(name), c.at(name)), c) };
}

/** Double functions with an optional domain check that reports at the form position. */
function doubleFn(name: string, fn: (x: number) => number, domain?: [(x: number) => boolean, string]): FormDef {
  return unary(name, (n, c) => {
    const x = Number(n);
    if (domain && !domain[0](x)) throw err.invalidArgument(c.pos, `${numText(n)} ${domain[1]}`);
    return fn(x);
  });
}

const unit: [(x: number) => boolean, string] = [(x) => !(x < -1 || x > 1), "must be between -1 and 1 inclusive"];
const positive: [(x: number) => boolean, string] = [(x) => !(x <= 0), "must be greater than 0"];

/**
 * The server's own rounding (S.6.2), reproduced operation by operation so
 * that its quirks survive: negative values are shifted rather than rounded.
 */
function roundTo(x: number, p: number, round: boolean): number {
  const half = round ? 0.5 : 0;
  if (p > 0) {
    const t = Number(toLong(Math.pow(10, p)));
    const w = Math.trunc(x);
    const f = Math.trunc((x - w + half / t) * t);
    return w + f / t;
  }
  const t = Math.pow(10, p);
  return round ? Math.trunc(Math.trunc(x * t + half) / t) : Math.trunc(x * t) / t;
}

export const forms: readonly FormDef[] = [
  ...Object.entries(FOLDS).map(
    ([name, op]): FormDef => ({
      name,
      shapes: [[name]],
      variadic: [name],
      eval(c) {
        const [first, ...rest] = numbersOf(c, name);
        let acc: Num = first!;
        for (const n of rest) {
          if (op.zeroCheck && isZero(n)) throw err.divisionByZero(c.pos);
          acc = typeof acc === "bigint" && typeof n === "bigint" ? op.int(acc, n) : op.dbl(Number(acc), Number(n));
        }
        return acc;
      },
    }),
  ),

  unary("abs", (n) => (typeof n === "bigint" ? (n < 0n ? int64(-n) : n) : Math.abs(n))),
  unary("ceil", (n) => (typeof n === "bigint" ? n : Math.ceil(n))),
  unary("floor", (n) => (typeof n === "bigint" ? n : Math.floor(n))),

  // Doubles: only negatives are -1; zero and NaN count as positive.
  unary("sign", (n) => (typeof n === "bigint" ? (n < 0n ? -1n : n > 0n ? 1n : 0n) : n < 0 ? -1n : 1n)),
  unary("bitnot", (n) => ~(typeof n === "bigint" ? n : toLong(n))),

  unary("sqrt", (n, c) => {
    if (n < 0) throw err.invalidArgument(c.pos, `${numText(n)} must be positive`);
    return Math.sqrt(Number(n));
  }),

  doubleFn("acos", Math.acos, unit),
  doubleFn("asin", Math.asin, unit),
  doubleFn("atan", Math.atan),
  doubleFn("cos", Math.cos),
  doubleFn("cosh", Math.cosh),
  doubleFn("sin", Math.sin),
  doubleFn("sinh", Math.sinh),
  doubleFn("tan", Math.tan),
  doubleFn("tanh", Math.tanh),
  doubleFn("exp", Math.exp),

  // Java's Math.toDegrees/toRadians multiply by these precomputed constants.
  doubleFn("degrees", (x) => x * 57.29577951308232),
  doubleFn("radians", (x) => x * 0.017453292519943295),
  doubleFn("ln", Math.log, positive),
  doubleFn("log", Math.log10, positive),

  withOptional({
    name: "pow",
    optional: ["exp"],
    eval(c) {
      const base = asNumber(c.arg("pow"), c.at("pow"));
      const e = c.has("exp") ? asNumber(c.arg("exp"), c.at("exp")) : 2n;
      return Math.pow(Number(base), Number(e));
    },
  }),

  withOptional({
    name: "hypot",
    optional: ["b"],
    eval(c) {
      const a = asNumber(c.arg("hypot"), c.at("hypot"));
      const b = c.has("b") ? asNumber(c.arg("b"), c.at("b")) : a;
      return Math.hypot(Number(a), Number(b));
    },
  }),

  ...([
    ["round", true],
    ["trunc", false],
  ] as const).map(
    ([name, round]): FormDef => withOptional({
      name,
      optional: ["precision"],
      eval(c) {
        const x = asNumber(c.arg(name), c.at(name));
        const p = c.has("precision") ? asInt(c.arg("precision"), c.at("precision")) : undefined;
        if (typeof x === "bigint") {
          if (p === undefined || p > 0n) return x;
          return toLong(roundTo(Number(x), Number(p), round));
        }
        return roundTo(x, Number(p ?? 2n), round);
      },
    }),
  ),
];
