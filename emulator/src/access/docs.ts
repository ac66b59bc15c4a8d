/**
 * Reading and writing documents of every kind (user documents, tokens, keys,
 * credentials, schema documents) with permission checks, ttl visibility,
 * patch semantics and unique-index enforcement (spec §5.4, §5.5).
 */
import { allowed, baselineAllows, type Action } from "../auth/permissions.ts";
import { err, type Pos, type ValidationFailure } from "../errors.ts";
import { compareEntryValues, docAsObject, entriesFor, isLive, termKey, type Database, type DocRecord } from "../storage/database.ts";
import { DocV, KIND_NAME, Ref, TimeV, typeName, type NativeName, type ObjectV, type Value } from "../values.ts";
import type { Ctx } from "../eval/context.ts";

/** Where a ref's document is stored. */
export interface Located {
  db: Database;
  collKey: string;
  id: string;
  /** Human kind for messages: "Document", "Collection", "Token", … */
  kind: string;
}


/** The database a ref's `database` part names, relative to the query's database. */
export function databaseOf(ctx: Ctx, r: Ref | undefined, pos: Pos): Database {
  if (!r) return ctx.db;
  const parent = databaseOf(ctx, r.db, pos);
  const child = parent.children.get(r.id);
  if (!child || !parent.live("#databases", r.id, ctx.snapshotNs)) throw err.invalidRef(pos, "database", r.id);
  return child;
}

/**
 * The database part of a ref: on a schema ref it sits on the ref itself
 * (`Collection("c", Database("x"))`), on a document ref on its collection.
 */
export function dbPartOf(r: Ref): Ref | undefined {
  return r.db ?? r.coll?.db;
}

/** A ref as seen from `ctx.db` when it was read inside `db` (a child): it gains a `database`. */
export function qualify(ctx: Ctx, db: Database, r: Ref): Ref {
  if (db === ctx.db) return r;
  const dbRef = db.refFrom(ctx.db);
  if (!dbRef || !r.coll) return r;
  if (r.coll.isNative) return r.coll.id === "tokens" || r.coll.id === "keys" || r.coll.id === "credentials" ? new Ref(r.id, new Ref(r.coll.id, undefined, dbRef)) : new Ref(r.id, r.coll, dbRef);
  return new Ref(r.id, new Ref(r.coll.id, r.coll.coll, dbRef));
}

/** Resolves a document ref; a ref into an undefined collection is `invalid ref` at `pos`. */
export function locate(ctx: Ctx, r: Ref, pos: Pos): Located {
  if (r.isNative) throw err.expected(pos, "Ref", "Set");
  const coll = r.coll!;
  if (coll.isNative) {
    const db = databaseOf(ctx, dbPartOf(r), pos);
    return { db, collKey: `#${coll.id}`, id: r.id, kind: KIND_NAME[coll.id as NativeName] ?? "Document" };
  }
  const db = databaseOf(ctx, coll.db, pos);
  if (!db.live("#collections", coll.id, ctx.snapshotNs)) throw err.invalidRef(pos, "collection", coll.id);
  return { db, collKey: coll.id, id: r.id, kind: "Document" };
}

/** How "Ref refers to undefined collection 'x'" names a kind (index, database, function, role, access_provider). */
const refKind = (kind: NativeName): string => (kind === "access_providers" ? "access_provider" : KIND_NAME[kind].toLowerCase());

/** Throws `invalid ref` when a schema ref (Collection('x'), Index('i'), …) names nothing. */
export function requireSchema(ctx: Ctx, r: Ref, pos: Pos): DocRecord {
  const kind = r.schemaKind;
  const db = databaseOf(ctx, dbPartOf(r), pos);
  const rec = kind ? db.live(`#${kind}`, r.id, ctx.snapshotNs) : undefined;
  if (!rec) throw err.invalidRef(pos, kind ? refKind(kind) : "collection", r.id);
  return rec;
}

function canRead(ctx: Ctx, loc: Located, rec: DocRecord | undefined): boolean {
  if (baselineAllows(ctx, "read", loc.collKey, rec?.fields)) return true;
  return allowed(ctx, "read", loc.collKey, () => rec?.ref ?? new Ref(loc.id));
}

/**
 * A schema object named by a ref (`Collection('x')`, `Index('x')`, `AccessProvider('x')`, …)
 * that does not exist is `invalid ref` at the argument, before any permission check: the
 * server's constructors leave such a ref unresolved, and Get, Update, Replace and Delete
 * refuse it at their cast (BasicFunctions.scala RefConstructFunction, Casts.scala).
 * Keys, tokens and credentials have ids, not names: a missing one is a 404.
 */
export function requireNamed(loc: Located, r: Ref, rec: DocRecord | undefined, refPos: Pos): void {
  const kind = r.schemaKind;
  if (rec || !kind || kind === "keys" || kind === "tokens" || kind === "credentials") return;
  throw err.invalidRef(refPos, refKind(kind), r.id);
}

/**
 * Get: the live record, or 404/403. An undefined collection is reported at the
 * argument (`refPos`); permission and absence at the form (`formPos`). The
 * permission check comes first, so a token without rights gets 403 even for a
 * missing document (spec §3.2).
 */
export function readDoc(ctx: Ctx, r: Ref, refPos: Pos, formPos: Pos): { loc: Located; rec: DocRecord } {
  const loc = locate(ctx, r, refPos);
  const rec = ctx.read(loc.db, loc.collKey, loc.id);
  if (!ctx.validTs) requireNamed(loc, r, rec, refPos);
  ctx.txn.read++;
  ctx.txn.meter.readDoc(rec);
  if (!canRead(ctx, loc, rec)) throw err.permissionDenied(formPos);
  if (!rec) throw err.notFound(formPos, loc.kind);
  return { loc, rec };
}

/** Get's answer: the document, its ref qualified when it was read in a child database. */
export function readAndRender(ctx: Ctx, r: Ref, refPos: Pos, formPos: Pos): DocV {
  const { loc, rec } = readDoc(ctx, r, refPos, formPos);
  const d = renderDoc(rec);
  if (loc.db !== ctx.db) d.set("ref", qualify(ctx, loc.db, rec.ref));
  return d;
}

/** Exists: false for missing, expired or unreadable documents; never an error but for undefined refs. */
export function docExists(ctx: Ctx, r: Ref, pos: Pos): boolean {
  if (r.isNative) return true;
  const coll = r.coll!;
  if (!coll.isNative) {
    const db = databaseOf(ctx, coll.db, pos);
    if (!db.live("#collections", coll.id, ctx.snapshotNs)) return false;
  } else if (r.schemaKind && r.schemaKind !== "tokens" && r.schemaKind !== "keys" && r.schemaKind !== "credentials") {
    // Exists(Collection("nope")) and Exists(Collection("c", Database("gone"))) are false, not errors.
    const dbRef = dbPartOf(r);
    try {
      databaseOf(ctx, dbRef, pos);
    } catch {
      return false;
    }
  }
  const loc = locate(ctx, r, pos);
  const rec = ctx.read(loc.db, loc.collKey, loc.id);
  ctx.txn.read++;
  ctx.txn.meter.readDoc(rec);
  return !!rec && canRead(ctx, loc, rec);
}

/** A stored record as Get shows it (a token's secret was never stored: it is shown once, by its creator). */
export function renderDoc(rec: DocRecord, extra?: [string, Value][]): DocV {
  const d = docAsObject(rec);
  if (extra) for (const [k, v] of extra) d.set(k, v);
  return d;
}

// ---- writes -------------------------------------------------------------------------------

export function check(ctx: Ctx, action: Action, loc: Located, arg: () => Value, pos: Pos, fields?: Map<string, Value>): void {
  if (action !== "read" && action !== "unrestricted_read" && action !== "history_read" && action !== "call") ctx.assertWritable(pos);
  if (baselineAllows(ctx, action, loc.collKey, fields)) return;
  if (!allowed(ctx, action, loc.collKey, arg)) throw err.permissionDenied(pos);
}

/** Patch semantics: objects merge recursively, null deletes a key, arrays are replaced (nulls dropped). */
export function mergePatch(base: Value | undefined, patch: Value): Value | undefined {
  if (patch === null) return undefined;
  if (patch instanceof Map) {
    const out: ObjectV = base instanceof Map ? new Map(base) : new Map();
    for (const [k, v] of patch) {
      const merged = mergePatch(out.get(k), v);
      if (merged === undefined) out.delete(k);
      else out.set(k, merged);
    }
    return out;
  }
  return clean(patch);
}

/** Removes null elements of arrays and null-valued keys of objects, recursively (what FaunaDB stores). */
export function clean(v: Value): Value {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map(clean);
  if (v instanceof Map) {
    const out: ObjectV = new Map();
    for (const [k, x] of v) if (x !== null) out.set(k, clean(x));
    return out;
  }
  return v;
}

const IR_TYPE: Record<string, string> = { Integer: "Long", Object: "Map" };
export const irType = (v: Value): string => IR_TYPE[typeName(v)] ?? typeName(v);

/** Validates the user-writable fields of a document and returns them as stored. */
export function userFields(params: ObjectV | undefined, base: Map<string, Value> | undefined, pos: Pos, replace: boolean): Map<string, Value> {
  const failures: ValidationFailure[] = [];
  const out = new Map<string, Value>(replace || !base ? [] : base);
  if (params) {
    if (params.has("data")) {
      const d = params.get("data")!;
      if (d !== null && !(d instanceof Map)) failures.push({ field: ["data"], code: "invalid type", description: `Invalid type ${irType(d)}, expected type Map.` });
      else {
        const merged = mergePatch(replace ? undefined : out.get("data"), d);
        if (merged === undefined || (merged instanceof Map && merged.size === 0 && d === null)) out.delete("data");
        else out.set("data", merged);
      }
    }
    if (params.has("ttl")) {
      const t = params.get("ttl")!;
      if (t === null) out.delete("ttl");
      else if (!(t instanceof TimeV)) failures.push({ field: ["ttl"], code: "invalid type", description: `Invalid type ${irType(t)}, expected type Time.` });
      else out.set("ttl", t);
    }
  }
  if (failures.length) throw err.validation(pos, failures);
  return out;
}

/** An undefined ref anywhere inside written data is `validation failed` at the function (spec §5.3). */
export function checkRefs(ctx: Ctx, v: Value | undefined, path: (string | number)[], formPos: Pos): void {
  const failures: ValidationFailure[] = [];
  const walk = (x: Value, p: (string | number)[]) => {
    if (x instanceof Ref) {
      if (!refDefined(ctx, x)) failures.push({ field: p, code: "invalid reference", description: "Cannot read reference." });
    } else if (Array.isArray(x)) x.forEach((y, i) => walk(y, [...p, i]));
    else if (x instanceof Map) for (const [k, y] of x) walk(y, [...p, k]);
  };
  if (v !== undefined) walk(v, path);
  if (failures.length) throw err.validation(formPos, failures);
}

/** Whether a ref's collection (or schema object, or database) exists; documents themselves need not. */
function refDefined(ctx: Ctx, r: Ref): boolean {
  if (r.isNative) return true;
  try {
    const db = databaseOf(ctx, dbPartOf(r), []);
    const coll = r.coll!;
    if (!coll.isNative) return !!db.live("#collections", coll.id, ctx.snapshotNs);
    if (r.schemaKind === "tokens" || r.schemaKind === "keys" || r.schemaKind === "credentials") return true;
    return !!db.live(`#${coll.id}`, r.id, ctx.snapshotNs);
  } catch {
    return false;
  }
}

/** Rejects a write that would give a unique index a second identical live (terms, values) tuple. */
export function enforceUnique(ctx: Ctx, db: Database, collKey: string, rec: DocRecord, pos: Pos): void {
  for (const idx of db.indexesOf(collKey)) {
    if (!idx.def.unique) continue;
    for (const e of entriesFor(idx.def, rec)) {
      ctx.txn.reads?.index(db, idx, termKey(e.terms));
      const part = idx.partition(termKey(e.terms), false);
      if (!part) continue;
      const rev = idx.def.values.map((v) => v.reverse);
      for (const other of part.ascendFrom((x) => compareEntryValues(x.values, e.values, rev))) {
        if (compareEntryValues(other.values, e.values, rev) !== 0) break;
        if (other.ref.equals(rec.ref)) continue;
        if (other.ttl !== undefined && other.ttl <= ctx.snapshotNs) continue;
        throw err.notUnique(pos);
      }
    }
  }
}


/** Writes a document record (create/update/replace) and enforces unique indexes. */
export function writeRecord(ctx: Ctx, loc: Located, rec: DocRecord, uniquePos: Pos): void {
  loc.db.put(ctx.txn, loc.collKey, loc.id, rec);
  enforceUnique(ctx, loc.db, loc.collKey, rec, uniquePos);
}

export function liveRecord(ctx: Ctx, loc: Located): DocRecord | undefined {
  const r = loc.db.raw(loc.collKey, loc.id);
  return r && isLive(r, ctx.snapshotNs) ? r : undefined;
}

