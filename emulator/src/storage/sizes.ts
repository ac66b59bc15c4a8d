/**
 * How many bytes a write or a read moves in FaunaDB's storage, estimated: the server
 * derives its billed byte ops from these (metrics.ts), and caps a transaction's writes
 * at 16 MiB (limits.ts). The server stores CBOR; these mirror CBOR's sizes for values and
 * charge fixed overheads for row keys and cell names (UNCONFIRMED: the exact encodings
 * are the server's, so a figure may be off by a few bytes, never by an order).
 */
import { BytesV, DateV, Ref, TimeV, type Value } from "../values.ts";
import type { DocRecord } from "./records.ts";

/** A version cell: row key (scope, document id) and cell name (valid ts, action, txn ts). */
const VERSION_OVERHEAD = 40;
/** An index cell's key beside its terms and values: index id, scope, document id, ts, action. */
const ENTRY_OVERHEAD = 32;
/** Index rows are written to two column families (sorted and historical). */
const INDEX_FAMILIES = 2;
/**
 * What every document write adds beside its own indexes: the entry of the native
 * documents-by-collection index (both families) and the lookup row.
 */
const NATIVE_ROWS = INDEX_FAMILIES * (ENTRY_OVERHEAD + 12) + 40;

/** CBOR's head for a length or an unsigned integer. */
const head = (n: number): number => (n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n < 4294967296 ? 5 : 9);

export function valueBytes(v: Value): number {
  switch (typeof v) {
    case "string":
      return head(v.length) + v.length;
    case "bigint":
      return v >= -24n && v < 24n ? 1 : v >= -256n && v < 256n ? 2 : v >= -65536n && v < 65536n ? 3 : v >= -4294967296n && v < 4294967296n ? 5 : 9;
    case "number":
      return 9;
    case "boolean":
      return 1;
  }
  if (v === null) return 1;
  if (Array.isArray(v)) {
    let n = head(v.length);
    for (const x of v) n += valueBytes(x);
    return n;
  }
  if (v instanceof Map) {
    let n = head(v.size);
    for (const [k, x] of v) n += head(k.length) + k.length + valueBytes(x);
    return n;
  }
  if (v instanceof Ref) return 12;
  if (v instanceof TimeV) return 10;
  if (v instanceof DateV) return 5;
  if (v instanceof BytesV) return head(v.bytes.length) + v.bytes.length;
  // Lambdas (function bodies, role predicates) and sets are stored as expressions.
  return 64;
}

/**
 * A stored version: its cell and its fields. Measured each time (no cache: a table of
 * every record's size costs the collector more than measuring a record costs).
 */
export function recordBytes(rec: DocRecord): number {
  let n = VERSION_OVERHEAD + head(rec.fields.size);
  for (const [k, x] of rec.fields) n += head(k.length) + k.length + valueBytes(x);
  return n;
}

/** One index entry written or removed, in both column families. */
export function entryBytes(terms: readonly Value[], values: readonly Value[]): number {
  let n = ENTRY_OVERHEAD;
  for (const t of terms) n += valueBytes(t);
  for (const x of values) n += valueBytes(x);
  return INDEX_FAMILIES * n;
}

/** A document write beside its user indexes' entries: the new version (or the deletion's) and the native rows. */
export function versionWriteBytes(next: DocRecord | undefined): number {
  return (next ? recordBytes(next) : VERSION_OVERHEAD) + NATIVE_ROWS;
}

/**
 * The partitions a read of an index goes through: a term-less index is split into 8
 * (`Index.MaxIndexPartitions`, its default `partitions`), an index with terms reads one.
 */
export const indexPartitions = (def: { terms: readonly unknown[] }): number => (def.terms.length === 0 ? 8 : 1);

/** An index page read: an entry it went through (its key, values and document ref). */
export function scannedEntryBytes(values: readonly Value[]): number {
  let n = ENTRY_OVERHEAD + 12;
  for (let i = 0; i < values.length; i++) n += valueBytes(values[i]!);
  return n;
}
