/** Time and date functions (spec §5.8, S.3). Times are nanoseconds; `ts` integers are microseconds. */
import { err, type Pos } from "../errors.ts";
import type { FormCall, FormDef } from "../eval/registry.ts";
import { asInt } from "../eval/casts.ts";
import { NS_PER_DAY, parseDate, parseInstant } from "../time.ts";
import { DateV, TimeV, floorDiv, typeName, type Value } from "../values.ts";

const UNITS: Record<string, bigint> = {
  day: NS_PER_DAY,
  "half day": NS_PER_DAY / 2n,
  hour: 3_600_000_000_000n,
  minute: 60_000_000_000n,
  second: 1_000_000_000n,
  millisecond: 1_000_000n,
  microsecond: 1_000n,
  nanosecond: 1n,
};

/** ns per unit, accepting singular and plural; the error FaunaDB gives otherwise. */
export function unitNs(unit: Value, pos: Pos): bigint {
  if (typeof unit === "string") {
    const u = unit.endsWith("s") ? unit.slice(0, -1) : unit;
    const ns = UNITS[u];
    if (ns !== undefined) return ns;
  }
  throw err.expected(pos, "Time Unit", typeName(unit));
}

const MIN_NS = -31557014167219200n * 1_000_000_000n;
const MAX_NS = 31556889864403199n * 1_000_000_000n + 999_999_999n;
function bounded(ns: bigint, pos: Pos): TimeV {
  if (ns < MIN_NS || ns > MAX_NS) {
    throw err.invalidArgument(pos, "dates and times must be between -1000000000-01-01T00:00:00Z and +1000000000-12-31T23:59:59.999999999Z");
  }
  return new TimeV(ns);
}

export function castTime(v: Value, pos: Pos, now: bigint): TimeV {
  if (typeof v !== "string") throw err.expected(pos, "String", typeName(v));
  if (v === "now") return new TimeV(now);
  const ns = parseInstant(v);
  if (ns === null) throw err.invalidArgument(pos, `Cannot cast '${v}' to a time.`);
  return new TimeV(ns);
}

function shift(c: FormCall, name: "time_add" | "time_subtract", sign: bigint): Value {
  const base = c.arg(name);
  const offset = asInt(c.arg("offset"), c.at("offset"));
  const unit = c.arg("unit");
  if (base instanceof DateV) {
    const ns = unitNs(unit, c.at("unit"));
    if (ns !== NS_PER_DAY) throw err.invalidArgument(c.at("unit"), `Invalid time unit '${String(unit)}'.`);
    return new DateV(base.days + Number(sign * offset));
  }
  if (!(base instanceof TimeV)) throw err.expected(c.at(name), "Time or Date", typeName(base));
  return bounded(base.ns + sign * offset * unitNs(unit, c.at("unit")), c.at("offset"));
}

// Date-part functions take a Time or an Integer of microseconds, evaluated in UTC.
const PARTS: [string, (d: Date) => number][] = [
  ["second", (d) => d.getUTCSeconds()],
  ["minute", (d) => d.getUTCMinutes()],
  ["hour", (d) => d.getUTCHours()],
  ["day_of_month", (d) => d.getUTCDate()],
  ["day_of_week", (d) => ((d.getUTCDay() + 6) % 7) + 1],
  ["day_of_year", (d) => Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1],
  ["month", (d) => d.getUTCMonth() + 1],
  ["year", (d) => d.getUTCFullYear()],
];

export const forms: readonly FormDef[] = [
  { name: "now", shapes: [["now"]], eval: (c) => new TimeV(c.ctx.snapshotNs) },

  {
    name: "time",
    shapes: [["time"]],
    eval(c) {
      const v = c.arg("time");
      if (typeof v !== "string") throw err.expected(c.at("time"), "String", typeName(v));
      return castTime(v, c.pos, c.ctx.snapshotNs);
    },
  },

  {
    name: "epoch",
    shapes: [["epoch", "unit"]],
    eval(c) {
      const n = asInt(c.arg("epoch"), c.at("epoch"));
      const unit = c.arg("unit");
      return bounded(n * unitNs(unit, c.at("unit")), c.pos);
    },
  },

  { name: "time_add", shapes: [["time_add", "offset", "unit"]], eval: (c) => shift(c, "time_add", 1n) },
  { name: "time_subtract", shapes: [["time_subtract", "offset", "unit"]], eval: (c) => shift(c, "time_subtract", -1n) },

  {
    name: "time_diff",
    shapes: [["time_diff", "other", "unit"]],
    eval(c) {
      const a = c.arg("time_diff");
      const b = c.arg("other");
      const unit = c.arg("unit");
      const temporal = (v: Value, key: string) => {
        if (!(v instanceof TimeV) && !(v instanceof DateV)) throw err.expected(c.at(key), "Temporal", typeName(v));
        return v;
      };
      const x = temporal(a, "time_diff");
      const y = temporal(b, "other");
      if ((x instanceof DateV) !== (y instanceof DateV)) throw err.invalidArgument(c.at("time_diff"), "Incompatible time arguments.");
      const ns = unitNs(unit, c.at("unit"));
      if (x instanceof DateV && y instanceof DateV) {
        if (ns !== NS_PER_DAY) throw err.invalidArgument(c.at("unit"), `Invalid time unit '${String(unit)}'.`);
        return BigInt(y.days - x.days);
      }
      return ((y as TimeV).ns - (x as TimeV).ns) / ns; // bigint division truncates toward zero
    },
  },

  {
    name: "to_time",
    shapes: [["to_time"]],
    eval(c) {
      const v = c.arg("to_time");
      if (v instanceof TimeV) return v;
      if (v instanceof DateV) return new TimeV(BigInt(v.days) * NS_PER_DAY);
      if (typeof v === "bigint") return new TimeV(v * 1_000_000n); // integers are milliseconds here
      if (typeof v === "string") return castTime(v, c.pos, c.ctx.snapshotNs);
      throw err.invalidArgument(c.pos, `Cannot cast ${typeName(v)} to Time.`);
    },
  },

  ...([
    ["to_millis", 1_000_000n],
    ["to_seconds", 1_000_000_000n],
    ["to_micros", 1_000n],
    ["to_nanos", 1n],
  ] as const).map(
    ([name, div]): FormDef => ({
      name,
      shapes: [[name]],
      eval(c) {
        const v = c.arg(name);
        const ns = v instanceof TimeV ? v.ns : typeof v === "bigint" ? v * 1_000n : undefined;
        if (ns === undefined) throw err.expected(c.at(name), "Time", typeName(v));
        return floorDiv(ns, div);
      },
    }),
  ),

  {
    name: "date",
    shapes: [["date"]],
    eval(c) {
      const v = c.arg("date");
      if (typeof v !== "string") throw err.expected(c.at("date"), "String", typeName(v));
      const d = parseDate(v);
      if (d === null) throw err.invalidArgument(c.pos, `Cannot cast '${v}' to a date.`);
      return new DateV(d);
    },
  },

  {
    name: "to_date",
    shapes: [["to_date"]],
    eval(c) {
      const v = c.arg("to_date");
      if (v instanceof DateV) return v;
      if (v instanceof TimeV) return new DateV(Number(floorDiv(v.ns, NS_PER_DAY)));
      if (typeof v === "string") {
        const d = parseDate(v);
        if (d === null) throw err.invalidArgument(c.pos, `Cannot cast '${v}' to a date.`);
        return new DateV(d);
      }
      throw err.invalidArgument(c.pos, `Cannot cast ${typeName(v)} to Date.`);
    },
  },

  ...PARTS.map(
    ([name, part]): FormDef => ({
      name,
      shapes: [[name]],
      eval(c) {
        const v = c.arg(name);
        const ns = v instanceof TimeV ? v.ns : typeof v === "bigint" ? v * 1_000n : undefined;
        if (ns === undefined) throw err.expected(c.at(name), "Time", typeName(v));
        return BigInt(part(new Date(Number(floorDiv(ns, 1_000_000n)))));
      },
    }),
  ),
];
