/**
 * The one total order over FQL values, shared by LT/GT, Max/Min, index entries,
 * cursors and Range bounds, so that a page boundary and a comparison can never
 * disagree. Cross-type ranks follow FaunaDB's CBOR major types (spec §5.5).
 * Emulator choice (spec UNCONFIRMED): among tagged values, refs < times < dates
 * < sets < lambdas.
 */
import { BytesV, DateV, LambdaV, PageV, Ref, SetV, TimeV, type Value } from "./values.ts";

// The ICU root collator at tertiary strength: case-insensitive first
// ("apple" < "Banana" < "cherry"), lowercase before uppercase on ties.
const collator = new Intl.Collator("und", { sensitivity: "variant", usage: "sort" });

function rank(v: Value): number {
  if (v === null) return 90;
  switch (typeof v) {
    case "bigint":
    case "number":
      return 0;
    case "string":
      return 20;
    case "boolean":
      return 80;
  }
  if (v instanceof BytesV) return 10;
  if (Array.isArray(v)) return 30;
  if (v instanceof Map || v instanceof PageV) return 40;
  if (v instanceof Ref) return 50;
  if (v instanceof TimeV) return 51;
  if (v instanceof DateV) return 52;
  if (v instanceof SetV) return 53;
  if (v instanceof LambdaV) return 54;
  return 99;
}

export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const c = collator.compare(a, b);
  if (c !== 0) return c;
  return a < b ? -1 : 1;
}

function compareNumbers(a: bigint | number, b: bigint | number): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
  if (x < y) return -1;
  if (x > y) return 1;
  // Equal as doubles but one is a bigint beyond 2^53: settle exactly.
  if (typeof a === "bigint" && typeof b === "number" && Number.isInteger(b)) {
    const bb = BigInt(b);
    return a < bb ? -1 : a > bb ? 1 : 0;
  }
  if (typeof b === "bigint" && typeof a === "number" && Number.isInteger(a)) {
    const aa = BigInt(a);
    return aa < b ? -1 : aa > b ? 1 : 0;
  }
  return 0;
}

const NUMERIC_ID = /^-?\d+$/;

export function compareRefs(a: Ref, b: Ref): number {
  const an = NUMERIC_ID.test(a.id);
  const bn = NUMERIC_ID.test(b.id);
  let c: number;
  if (an && bn) {
    const x = BigInt(a.id);
    const y = BigInt(b.id);
    c = x < y ? -1 : x > y ? 1 : 0;
  } else if (an !== bn) {
    c = an ? -1 : 1;
  } else {
    c = compareStrings(a.id, b.id);
  }
  if (c !== 0) return c;
  if (a.coll && b.coll) {
    c = compareRefs(a.coll, b.coll);
    if (c !== 0) return c;
  } else if (a.coll || b.coll) {
    return a.coll ? 1 : -1;
  }
  if (a.db && b.db) return compareRefs(a.db, b.db);
  if (a.db || b.db) return a.db ? 1 : -1;
  return 0;
}

export function compareValues(a: Value, b: Value): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return compareNumbers(a as bigint | number, b as bigint | number);
    case 10:
      return compareBytes((a as BytesV).bytes, (b as BytesV).bytes);
    case 20:
      return compareStrings(a as string, b as string);
    case 30:
      return compareArrays(a as Value[], b as Value[]);
    case 40:
      return compareObjects(a as Map<string, Value> | PageV, b as Map<string, Value> | PageV);
    case 50:
      return compareRefs(a as Ref, b as Ref);
    case 51: {
      const x = (a as TimeV).ns;
      const y = (b as TimeV).ns;
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 52:
      return Math.sign((a as DateV).days - (b as DateV).days);
    case 80:
      return a === b ? 0 : a === false ? -1 : 1;
    default:
      return 0;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return Math.sign(a.length - b.length);
}

export function compareArrays(a: readonly Value[], b: readonly Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

function objectEntries(o: Map<string, Value> | PageV): [string, Value][] {
  if (o instanceof PageV) {
    const e: [string, Value][] = [];
    if (o.before !== undefined) e.push(["before", o.before]);
    if (o.after !== undefined) e.push(["after", o.after]);
    e.push(["data", o.data]);
    return e;
  }
  return [...o.entries()];
}

function compareObjects(a: Map<string, Value> | PageV, b: Map<string, Value> | PageV): number {
  const ea = objectEntries(a).sort((x, y) => compareStrings(x[0], y[0]));
  const eb = objectEntries(b).sort((x, y) => compareStrings(x[0], y[0]));
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    const c = compareStrings(ea[i]![0], eb[i]![0]) || compareValues(ea[i]![1], eb[i]![1]);
    if (c !== 0) return c;
  }
  return Math.sign(ea.length - eb.length);
}

/** `Equals`: structural, with 1 equal to 1.0. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (typeof a === "bigint" || typeof a === "number") {
    return (typeof b === "bigint" || typeof b === "number") && compareNumbers(a, b) === 0;
  }
  return strictEqual(a, b, true);
}

/**
 * Literal equality (Integer 1 ≠ Double 1.0), the rule for array set algebra and
 * for index term lookup.
 */
export function strictEqual(a: Value, b: Value, looseNumbers = false): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (typeof a !== "object" || typeof b !== "object") {
    if (looseNumbers && (typeof a === "bigint" || typeof a === "number") && (typeof b === "bigint" || typeof b === "number"))
      return compareNumbers(a, b) === 0;
    return false;
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => (looseNumbers ? valuesEqual(x, b[i]!) : strictEqual(x, b[i]!)));
  }
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) {
      if (!b.has(k)) return false;
      const w = b.get(k)!;
      if (!(looseNumbers ? valuesEqual(v, w) : strictEqual(v, w))) return false;
    }
    return true;
  }
  if (a instanceof PageV) {
    return b instanceof PageV && compareObjects(a, b) === 0;
  }
  if (a instanceof Ref) return b instanceof Ref && a.equals(b);
  if (a instanceof TimeV) return b instanceof TimeV && a.ns === b.ns;
  if (a instanceof DateV) return b instanceof DateV && a.days === b.days;
  if (a instanceof BytesV) return b instanceof BytesV && compareBytes(a.bytes, b.bytes) === 0;
  if (a instanceof SetV) return b instanceof SetV && keyOf(a) === keyOf(b);
  if (a instanceof LambdaV) return b instanceof LambdaV && keyOf(a) === keyOf(b);
  return false;
}

/**
 * A canonical string for a value, equal exactly when two values are strictly
 * equal: the key of index terms and of uniqueness checks.
 */
export function keyOf(v: Value): string {
  if (v === null) return "n";
  switch (typeof v) {
    case "boolean":
      return v ? "T" : "F";
    case "string":
      return `s${JSON.stringify(v)}`;
    case "bigint":
      return `i${v}`;
    case "number":
      return `d${Object.is(v, -0) ? "-0" : String(v)}`;
  }
  if (Array.isArray(v)) return `[${v.map(keyOf).join(",")}]`;
  if (v instanceof PageV) return `p{${objectEntries(v).map(([k, x]) => `${JSON.stringify(k)}:${keyOf(x)}`).join(",")}}`;
  if (v instanceof Map) return `{${[...v.entries()].map(([k, x]) => `${JSON.stringify(k)}:${keyOf(x)}`).join(",")}}`;
  if (v instanceof Ref) return `r(${refKey(v)})`;
  if (v instanceof TimeV) return `t${v.ns}`;
  if (v instanceof DateV) return `D${v.days}`;
  if (v instanceof BytesV) return `b${Buffer.from(v.bytes).toString("hex")}`;
  if (v instanceof SetV) return `S${keyOf(v.describe())}`;
  if (v instanceof LambdaV) return `L${keyOf(v.renderBody())}`;
  return "?";
}

export function refKey(r: Ref): string {
  return `${r.db ? `${refKey(r.db)}|` : ""}${r.coll ? `${refKey(r.coll)}/` : ""}${r.id}`;
}
