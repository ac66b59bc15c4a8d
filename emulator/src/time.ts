/** Instants (bigint nanoseconds) and dates (days since epoch) to and from ISO text. */
import { floorDiv } from "./values.ts";

const NS_PER_MS = 1_000_000n;
const NS_PER_DAY = 86_400_000_000_000n;

/** Java `Instant.toString`: UTC `Z`, fraction in groups of three digits, omitted when zero. */
export function formatInstant(ns: bigint): string {
  const ms = floorDiv(ns, NS_PER_MS);
  const subMs = ns - ms * NS_PER_MS; // 0..999999
  const iso = new Date(Number(ms)).toISOString(); // 2020-01-01T00:00:00.123Z
  const base = iso.slice(0, 19);
  const year = Number(base.slice(0, 4));
  const head = year > 9999 ? `+${base}` : base;
  const millis = Number(ms - floorDiv(ms, 1000n) * 1000n);
  let frac = "";
  if (millis !== 0 || subMs !== 0n) {
    const nine = `${String(millis).padStart(3, "0")}${String(subMs).padStart(6, "0")}`;
    frac = `.${nine.replace(/(000)+$/, "")}`;
    if (frac === ".") frac = "";
  }
  return `${head}${frac}Z`;
}

const INSTANT =
  /^\s*([+-]?\d{4,10})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)\s*$/;

/** ISO-8601 with `Z` or a numeric offset; null when it is not one. */
export function parseInstant(s: string): bigint | null {
  const m = INSTANT.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec ?? "0");
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const days = daysFromCivil(Number(y), month, day);
  if (days === null) return null;
  let ns = BigInt(days) * NS_PER_DAY + BigInt(hour * 3600 + minute * 60 + second) * 1_000_000_000n;
  if (frac) ns += BigInt(frac.padEnd(9, "0"));
  if (zone && zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    const offMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0");
    ns -= BigInt(sign * offMin * 60) * 1_000_000_000n;
  }
  return ns;
}

/** Days since 1970-01-01 for a proleptic Gregorian date; null when the day does not exist. */
export function daysFromCivil(y: number, m: number, d: number): number | null {
  const dt = new Date(0);
  dt.setUTCFullYear(y, m - 1, d);
  if (dt.getUTCFullYear() !== y || dt.getUTCMonth() !== m - 1 || dt.getUTCDate() !== d) return null;
  return Math.floor(dt.getTime() / 86_400_000);
}

export function formatDate(days: number): string {
  const dt = new Date(days * 86_400_000);
  const y = dt.getUTCFullYear();
  const ys = y > 9999 ? `+${y}` : y < 0 ? `-${String(-y).padStart(4, "0")}` : String(y).padStart(4, "0");
  return `${ys}-${String(dt.getUTCMonth() + 1).padStart(2, "0")}-${String(dt.getUTCDate()).padStart(2, "0")}`;
}

export function parseDate(s: string): number | null {
  const m = /^\s*([+-]?\d{4,9})-(\d{2})-(\d{2})\s*$/.exec(s);
  if (!m) return null;
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
}

export { NS_PER_DAY };
