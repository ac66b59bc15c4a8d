/**
 * Opening a stream (`POST /stream`): the `fields` it asks for, and what its body
 * names — a user document (by ref, or a document read with Get), an index match, or
 * a collection's documents — checked against the caller's read permissions.
 */
import { baselineAllows, allowed } from "../../auth/permissions.ts";
import { err, QueryError } from "../../errors.ts";
import type { Ctx } from "../../eval/context.ts";
import { databaseOf, dbPartOf, locate } from "../../access/docs.ts";
import { termKey, type Database, type IndexStore } from "../../storage/database.ts";
import { DocumentsSet, indexStore, MatchSet } from "../../sets/sets.ts";
import { DocV, Ref, typeName, type Value } from "../../values.ts";
import { DEFAULT_FIELDS, EVENT_FIELDS, type EventField } from "./events.ts";

export type Target =
  | { kind: "doc"; db: Database; collKey: string; id: string }
  | { kind: "index"; db: Database; idx: IndexStore; termKey: string; terms: Value[]; indexRef: Ref }
  | { kind: "docs"; db: Database; collKey: string; collRef: Ref };

/** `?fields=action,document,…`: the event parts to send, or the description of a bad name. */
export function parseFields(param: string | null): Set<EventField> | { error: string } {
  if (param === null) return new Set(DEFAULT_FIELDS);
  const out = new Set<EventField>();
  for (const raw of param.split(",")) {
    const name = raw.trim();
    if (!(EVENT_FIELDS as readonly string[]).includes(name)) return { error: `Invalid url parameter fields. Invalid field name '${name}'.` };
    out.add(name as EventField);
  }
  return out;
}

/** The type a non-streamable value is reported as (a native collection is a Collection Ref to the server). */
const typeOf = (v: Value): string => (v instanceof Ref && v.isNative ? "Collection Ref" : v instanceof DocV ? "Object" : typeName(v));

/** What the stream's expression evaluated to, as something to watch; or the error to answer with. */
export function streamTarget(ctx: Ctx, value: Value): Target | QueryError {
  const notStreamable = () => err.invalidArgument([], `Expected a Document Ref or Version, or a Set Ref, got ${typeOf(value)}.`);
  const ref = value instanceof DocV ? value.get("ref") : value;
  if (ref instanceof Ref && !ref.isNative && ref.coll && !ref.coll.isNative) {
    const loc = locate(ctx, ref, []);
    const rec = ctx.read(loc.db, loc.collKey, loc.id);
    const readable = baselineAllows(ctx, "read", loc.collKey, rec?.fields) || allowed(ctx, "read", loc.collKey, () => rec?.ref ?? ref);
    if (!readable) return err.permissionDenied([]);
    return { kind: "doc", db: loc.db, collKey: loc.collKey, id: loc.id };
  }
  if (value instanceof MatchSet) {
    const idx = indexStore(ctx, value.index, []);
    if (!value.readable(ctx, [])) return err.permissionDenied([]);
    const db = databaseOf(ctx, dbPartOf(value.index), []);
    return { kind: "index", db, idx, termKey: termKey(value.terms), terms: value.terms, indexRef: value.index };
  }
  if (value instanceof DocumentsSet && !value.coll.isNative) {
    if (!value.readable(ctx)) return err.permissionDenied([]);
    const db = databaseOf(ctx, dbPartOf(value.coll), []);
    return { kind: "docs", db, collKey: value.coll.id, collRef: value.coll };
  }
  return notStreamable();
}
