/**
 * Schema documents: collections, indexes, roles, user-defined functions and
 * child databases — their creation, the side effects of changing or deleting
 * them, and Call (spec §5.3, §6, S.7).
 */
import { err, QueryError, QueryErrors, type Pos, type ValidationFailure } from "../errors.ts";
import type { FormCall, FormDef } from "../eval/registry.ts";
import { asObject } from "../eval/casts.ts";
import { isBuiltinRole, type Ctx, type Principal } from "../eval/context.ts";
import { check, mergePatch, renderDoc, requireSchema, type Located } from "../access/docs.ts";
import { applyLambda, Closure, Env } from "../eval/evaluate.ts";
import { parseLambda } from "../eval/parse.ts";
import { allowed } from "../auth/permissions.ts";
import { Database, DEFAULT_HISTORY_DAYS, type DocRecord, type IndexField } from "../storage/database.ts";
import { parseJson } from "../wire/json.ts";
import { renderValue } from "../wire/render.ts";
import { KIND_NAME, LambdaV, Ref, native, typeName, type NativeName, type ObjectV, type Value } from "../values.ts";
import type { NativeHandler } from "./native-handlers.ts";
import { accessProviderFields } from "./access-providers.ts";
import { moveDatabase } from "./move-database.ts";

function nameOf(params: ObjectV, pos: Pos): string {
  const name = params.get("name");
  if (name === undefined || name === null) throw err.validation(pos, [{ field: ["name"], code: "value required", description: "Required value not found." }]);
  if (typeof name !== "string") throw err.validation(pos, [{ field: ["name"], code: "invalid type", description: `Invalid type ${typeName(name)}, expected type String.` }]);
  return name;
}

/** Shared start of every CreateX: permission, name, uniqueness. */
function begin(ctx: Ctx, kind: NativeName, params: ObjectV, pos: Pos): { name: string; loc: Located } {
  const loc: Located = { db: ctx.db, collKey: `#${kind}`, id: "", kind: KIND_NAME[kind] };
  check(ctx, "create", loc, () => params, pos);
  const name = nameOf(params, pos);
  if (ctx.db.live(`#${kind}`, name, ctx.snapshotNs)) throw err.alreadyExists(pos, KIND_NAME[kind]);
  loc.id = name;
  return { name, loc };
}

function store(ctx: Ctx, kind: NativeName, name: string, fields: Map<string, Value>): DocRecord {
  const rec: DocRecord = { ref: new Ref(name, native(kind)), ts: ctx.txn.tsMicros, fields };
  ctx.db.put(ctx.txn, `#${kind}`, name, rec);
  ctx.txn.created = true;
  return rec;
}

function copyOptional(params: ObjectV, fields: Map<string, Value>, keys: string[]): void {
  for (const k of keys) {
    const v = params.get(k);
    if (v !== undefined && v !== null) fields.set(k, v);
  }
}

// ---- collections -----------------------------------------------------------------------------

/** `history_days`: an Integer ≥ 0 (days of history kept), or null (all history); absent → 30. */
function historyDays(params: ObjectV, pos: Pos): bigint | null | undefined {
  if (!params.has("history_days")) return undefined;
  const v = params.get("history_days")!;
  if (v === null || (typeof v === "bigint" && v >= 0n)) return v;
  const description = typeof v === "bigint" ? "Value must be non-negative." : `Invalid type ${typeName(v)}, expected type Long.`;
  throw err.validation(pos, [{ field: ["history_days"], code: typeof v === "bigint" ? "invalid value" : "invalid type", description }]);
}

function createCollection(ctx: Ctx, params: ObjectV, pos: Pos): Value {
  const { name } = begin(ctx, "collections", params, pos);
  const days = historyDays(params, pos);
  const fields = new Map<string, Value>();
  // history_days: null keeps all history; the field is then not stored (nulls never are).
  if (days !== null) fields.set("history_days", days ?? DEFAULT_HISTORY_DAYS);
  fields.set("name", name);
  copyOptional(params, fields, ["data", "ttl_days"]);
  const rec = store(ctx, "collections", name, fields);
  ctx.db.addCollectionStore(ctx.txn, name, days === undefined ? DEFAULT_HISTORY_DAYS : days);
  return renderDoc(rec);
}

// ---- indexes ---------------------------------------------------------------------------------

function fieldPath(entry: Value): (string | number)[] | undefined {
  if (!(entry instanceof Map)) return undefined;
  const f = entry.get("field");
  if (typeof f === "string") return [f];
  if (Array.isArray(f) && f.every((x) => typeof x === "string" || typeof x === "bigint")) {
    return f.map((x) => (typeof x === "bigint" ? Number(x) : (x as string)));
  }
  return undefined;
}

function indexFields(v: Value | undefined, key: "terms" | "values", failures: ValidationFailure[]): IndexField[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((e, i) => {
    const path = fieldPath(e);
    if (!path) {
      failures.push({ field: [key, i], code: "invalid type", description: "Invalid type, expected type Map with field." });
      return [];
    }
    return [{ path, reverse: e instanceof Map && e.get("reverse") === true }];
  });
}

/**
 * The store an index source reads: a user collection that exists, or a public native
 * collection such as `Tokens()` (the server indexes those too: an index over `Tokens()` by
 * `instance` finds a user's live tokens). `Databases()` is refused, as the server refuses it.
 */
function sourceKey(ctx: Ctx, ref: Value | undefined): string | undefined {
  if (!(ref instanceof Ref)) return undefined;
  if (ref.isNative) return ref.id !== "databases" && !ref.db && ctx.db.store(`#${ref.id}`) ? `#${ref.id}` : undefined;
  return ref.schemaKind === "collections" && ctx.db.live("#collections", ref.id, ctx.snapshotNs) ? ref.id : undefined;
}

/**
 * Whether a new index over these collections builds in the background: the server builds
 * in the creating transaction only when the sources hold at most `Index.BuildSyncSize`
 * (128) live documents and those have at most 128 versions; the host says the limit
 * (none on the default profile, which always builds at once).
 */
function buildsInBackground(ctx: Ctx, sourceKeys: string[]): boolean {
  const limit = ctx.host.indexBuildSyncSize;
  if (limit === Infinity) return false;
  let docs = 0;
  let versions = 0;
  for (const key of sourceKeys) {
    const store = ctx.db.store(key);
    if (!store) continue;
    docs += store.docs.size;
    if (docs > limit) return true;
    for (const id of store.docs.keys()) if ((versions += store.versions(id).length) > limit) return true;
  }
  return false;
}

function createIndex(ctx: Ctx, params: ObjectV, pos: Pos): Value {
  const { name } = begin(ctx, "indexes", params, pos);
  const source = params.get("source");
  const sources = Array.isArray(source) ? source : [source ?? null];
  const failures: ValidationFailure[] = [];
  if (source === undefined || source === null) failures.push({ field: ["source"], code: "value required", description: "Required value not found." });
  const sourceKeys: string[] = [];
  for (const s of sources) {
    if (s === null) continue;
    const key = sourceKey(ctx, s instanceof Map ? s.get("collection") : s);
    if (key === undefined) {
      throw err.validation(pos.slice(0, -1), [{ field: ["source"], code: "invalid reference", description: "Cannot read reference." }]);
    }
    sourceKeys.push(key);
  }
  const terms = indexFields(params.get("terms"), "terms", failures);
  const values = indexFields(params.get("values"), "values", failures);
  const unique = params.get("unique");
  if (unique !== undefined && unique !== null && typeof unique !== "boolean") failures.push({ field: ["unique"], code: "invalid type", description: `Invalid type ${typeName(unique)}, expected type Boolean.` });
  if (failures.length) throw err.validation(pos, failures);
  // A background build starts inactive, unless the caller sets `active: true` (the server then serves what is built).
  const active = !buildsInBackground(ctx, sourceKeys) || params.get("active") === true;
  const fields = new Map<string, Value>([
    ["active", active],
    ["serialized", params.get("serialized") ?? true],
    ["name", name],
    ["source", source!],
  ]);
  copyOptional(params, fields, ["terms", "values", "unique"]);
  fields.set("partitions", params.get("partitions") ?? (terms.length ? 1n : 8n));
  copyOptional(params, fields, ["data"]);
  const rec = store(ctx, "indexes", name, fields);
  ctx.db.addIndex(ctx.txn, { name, sources: sourceKeys, terms, values, unique: unique === true });
  return renderDoc(rec);
}

// ---- roles, functions, databases --------------------------------------------------------------

function createRole(ctx: Ctx, params: ObjectV, pos: Pos): Value {
  const { name } = begin(ctx, "roles", params, pos);
  const fields = new Map<string, Value>([["name", name]]);
  copyOptional(params, fields, ["membership", "privileges", "data"]);
  return renderDoc(store(ctx, "roles", name, fields));
}

function createFunction(ctx: Ctx, params: ObjectV, pos: Pos): Value {
  const { name } = begin(ctx, "functions", params, pos);
  const body = params.get("body");
  if (body === undefined || body === null) throw err.validation(pos, [{ field: ["body"], code: "value required", description: "Required value not found." }]);
  if (!(body instanceof LambdaV)) throw new QueryError("schema validation failed", "Invalid type provided for field `body`.", pos);
  checkFunctionRole(ctx, params.get("role"), pos);
  const fields = new Map<string, Value>([
    ["name", name],
    ["body", body],
  ]);
  copyOptional(params, fields, ["role", "data"]);
  return renderDoc(store(ctx, "functions", name, fields));
}

function createDatabase(ctx: Ctx, params: ObjectV, pos: Pos): Value {
  const { name } = begin(ctx, "databases", params, pos);
  const fields = new Map<string, Value>([["name", name]]);
  copyOptional(params, fields, ["data", "priority"]);
  const rec = store(ctx, "databases", name, fields);
  const child = new Database(name, ctx.db);
  ctx.db.children.set(name, child);
  ctx.txn.onUndo(() => ctx.db.children.delete(name));
  return renderDoc(rec);
}

function createAccessProvider(ctx: Ctx, params: ObjectV, pos: Pos): Value {
  const { name } = begin(ctx, "access_providers", params, pos);
  return renderDoc(store(ctx, "access_providers", name, accessProviderFields(ctx, name, params, pos)));
}

const CREATORS: [string, (ctx: Ctx, p: ObjectV, pos: Pos) => Value][] = [
  ["create_access_provider", createAccessProvider],
  ["create_collection", createCollection],
  ["create_class", createCollection],
  ["create_index", createIndex],
  ["create_role", createRole],
  ["create_function", createFunction],
  ["create_database", createDatabase],
];

/** A function's `role`: a built-in name, or existing custom roles (by name or ref, alone or in an array). */
function checkFunctionRole(ctx: Ctx, role: Value | undefined, pos: Pos): void {
  if (role === undefined || role === null || isBuiltinRole(role)) return;
  const names = (Array.isArray(role) ? role : [role]).map((r) => (r instanceof Ref && r.schemaKind === "roles" ? r.id : r));
  if (names.every((n) => isBuiltinRole(n) || (typeof n === "string" && ctx.db.live("#roles", n, ctx.snapshotNs)))) return;
  throw err.validation(pos, [{ field: ["role"], code: "invalid reference", description: "Cannot read reference." }]);
}

/** Update/Replace of a schema document: `data` merges, other fields are set (null removes). */
function schemaUpdate(ctx: Ctx, loc: Located, prev: DocRecord, params: ObjectV, replace: boolean, pos: Pos): Map<string, Value> {
  if (loc.collKey === "#functions") {
    const body = params.get("body");
    if (body !== undefined && body !== null && !(body instanceof LambdaV)) {
      throw new QueryError("schema validation failed", "Invalid type provided for field `body`.", pos);
    }
    checkFunctionRole(ctx, params.get("role"), pos);
  }
  const fields = new Map(prev.fields);
  for (const [k, v] of params) {
    if (k === "name" && v !== prev.fields.get("name")) throw err.invalidArgument(pos, "Renaming schema documents is not supported by the emulator.");
    if (k === "data") {
      const merged = mergePatch(replace ? undefined : fields.get("data"), v);
      if (merged === undefined) fields.delete("data");
      else fields.set("data", merged);
    } else if (v === null) fields.delete(k);
    else fields.set(k, v);
  }
  if (loc.collKey === "#collections" && params.has("history_days")) {
    const days = historyDays(params, pos);
    const store = loc.db.store(loc.id);
    if (store) {
      const before = store.historyDays;
      store.historyDays = days === undefined ? before : days;
      ctx.txn.onUndo(() => (store.historyDays = before));
    }
  }
  if (loc.collKey === "#indexes") {
    // `active` latches: once an index is active, no update makes it inactive (the server's ActiveValidator).
    if (prev.fields.get("active") === true) fields.set("active", true);
    const idx = loc.db.indexes.get(loc.id);
    if (idx && params.has("unique")) idx.def.unique = params.get("unique") === true;
  }
  return fields;
}

/** Deleting a collection: indexes whose only source it was go with it. */
function removeCollection(ctx: Ctx, loc: Located, prev: DocRecord): void {
  for (const [name, idx] of [...loc.db.indexes]) {
    if (idx.def.sources.length === 1 && idx.def.sources[0] === prev.ref.id) {
      loc.db.removeIndex(ctx.txn, name);
      if (loc.db.raw("#indexes", name)) loc.db.put(ctx.txn, "#indexes", name, undefined);
    }
  }
  loc.db.removeCollectionStore(ctx.txn, prev.ref.id);
}

/** Deleting a child database: its keys go with it, or a database created later under the same name would accept them. */
function removeDatabase(ctx: Ctx, loc: Located, prev: DocRecord): void {
  for (const key of [...loc.db.store("#keys")!.docs.values()]) {
    const target = key.fields.get("database");
    if (target instanceof Ref && target.id === prev.ref.id) loc.db.put(ctx.txn, "#keys", key.ref.id, undefined);
  }
  const child = loc.db.children.get(prev.ref.id);
  if (!child) return;
  loc.db.children.delete(prev.ref.id);
  child.detached = true;
  ctx.txn.onUndo(() => {
    child.detached = false;
    loc.db.children.set(prev.ref.id, child);
  });
}

/** How Create, Update/Replace and Delete treat schema documents, by kind (the documents family applies them). */
export const schemaHandlers: readonly (readonly [NativeName, NativeHandler])[] = [
  ["collections", { create: createCollection, update: schemaUpdate, remove: removeCollection }],
  ["indexes", { create: createIndex, update: schemaUpdate, remove: (ctx, loc, prev) => loc.db.removeIndex(ctx.txn, prev.ref.id) }],
  ["roles", { create: createRole, update: schemaUpdate }],
  ["functions", { create: createFunction, update: schemaUpdate }],
  ["databases", { create: createDatabase, update: schemaUpdate, remove: removeDatabase }],
  ["access_providers", { create: createAccessProvider, update: schemaUpdate }],
];

// ---- Call ------------------------------------------------------------------------------------

const compiled = new WeakMap<DocRecord, Closure>();

/** The function body re-parsed at position [], so errors inside are relative to its lambda. */
function bodyOf(rec: DocRecord): Closure {
  let fn = compiled.get(rec);
  if (!fn) {
    const lam = rec.fields.get("body") as LambdaV;
    const json = parseJson(renderValue(lam.renderBody()));
    fn = new Closure(parseLambda(json as Map<string, never>, [], new Set()), Env.empty);
    compiled.set(rec, fn);
  }
  return fn;
}

function roleOf(role: Value | undefined, caller: Principal): Principal | undefined {
  if (role === undefined || role === null) return undefined;
  const base = { identity: caller.identity, token: caller.token, key: caller.key, baseline: false };
  if (isBuiltinRole(role)) return { kind: "key", builtin: role, roles: [], ...base };
  const names = (Array.isArray(role) ? role : [role]).flatMap((r) => (r instanceof Ref ? [r.id] : typeof r === "string" ? [r] : []));
  return { kind: "key", builtin: null, roles: names, ...base };
}

export const forms: readonly FormDef[] = [
  ...CREATORS.map(
    ([form, create]): FormDef => ({
      name: form,
      shapes: [[form]],
      eval: (c: FormCall) => create(c.ctx, asObject(c.arg(form), c.at(form)), c.at(form)),
    }),
  ),

  {
    name: "move_database",
    shapes: [["move_database", "to"]],
    eval: (c) => moveDatabase(c.ctx, c.arg("move_database"), c.arg("to"), c.pos),
  },

  {
    name: "call",
    shapes: [["call", "arguments"]],
    eval(c) {
      const ctx = c.ctx;
      let target = c.arg("call");
      if (typeof target === "string") target = new Ref(target, native("functions"));
      if (!(target instanceof Ref) || target.schemaKind !== "functions") throw err.expected(c.at("call"), "Identifier", typeName(target));
      const rec = requireSchema(ctx, target, c.at("call"));
      const args = c.arg("arguments");
      if (!allowed(ctx, "call", `fn:${target.id}`, () => args)) throw err.permissionDenied(c.pos);
      const fn = bodyOf(rec);
      const as = roleOf(rec.fields.get("role"), ctx.principal);
      try {
        const run = () => applyLambda(ctx, fn, args, c.pos);
        return as ? ctx.as(as, run) : run();
      } catch (e) {
        if (e instanceof QueryError && e.code === "stack overflow") throw e;
        const cause = e instanceof QueryErrors ? e.errors : e instanceof QueryError ? [e] : undefined;
        if (!cause) throw e;
        throw new QueryError("call error", "Calling the function resulted in an error.", c.pos, { cause });
      }
    },
  },
];
