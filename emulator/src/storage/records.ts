/**
 * Documents as stored: the current record of each document, its versions when it has
 * history, and the projections index maintenance reads (field values, ttl).
 */
import { DocV, Ref, TimeV, type Value } from "../values.ts";

export interface DocRecord {
  ref: Ref;
  /** Commit time of the write that made this version, µs. */
  ts: bigint;
  /** Stored top-level fields other than ref and ts (data, ttl, instance, name, …). */
  fields: Map<string, Value>;
}

export type VersionAction = "create" | "update" | "delete";

/** One version in a document's history; a deletion has no record. */
export interface Version {
  /** µs */
  ts: bigint;
  action: VersionAction;
  rec?: DocRecord;
}

/** Whether a record's ttl is still ahead of `atNs`. */
export function isLive(r: DocRecord, atNs: bigint): boolean {
  const ttl = r.fields.get("ttl");
  return !(ttl instanceof TimeV) || ttl.ns > atNs;
}

export function ttlOf(r: DocRecord): bigint | undefined {
  const ttl = r.fields.get("ttl");
  return ttl instanceof TimeV ? ttl.ns : undefined;
}

/** A document's fields as FaunaDB renders them: ref, ts, then the stored fields. */
export function docAsObject(rec: DocRecord): DocV {
  const m = new DocV();
  m.set("ref", rec.ref);
  m.set("ts", rec.ts);
  for (const [k, v] of rec.fields) m.set(k, v);
  return m;
}

/** The value(s) a term or value path yields for a document (arrays fan out; missing → [null]). */
export function fieldValues(rec: DocRecord, path: (string | number)[]): Value[] {
  if (path.length === 1 && path[0] === "ref") return [rec.ref];
  if (path.length === 1 && path[0] === "ts") return [rec.ts];
  let cur: Value | undefined = docAsObject(rec);
  for (const p of path) {
    if (cur instanceof Map && typeof p === "string") cur = cur.get(p);
    else if (Array.isArray(cur) && typeof p === "number") cur = cur[p];
    else cur = undefined;
    if (cur === undefined) return [null];
  }
  if (Array.isArray(cur)) {
    const flat = cur.flat(Infinity as 1) as Value[];
    return flat.length ? flat : [null];
  }
  return [cur ?? null];
}

/**
 * One write as a commit reports it (to open streams): a document's current record
 * before and after, or, for Insert and Remove, its versions before and after.
 * `db` is the Database written (typed loosely: records know nothing of databases).
 */
export interface Change {
  db: unknown;
  collKey: string;
  id: string;
  prev?: DocRecord;
  next?: DocRecord;
  /** Set for a rewrite of the history (Insert, Remove). */
  versions?: { from: readonly Version[]; to: readonly Version[] };
}
