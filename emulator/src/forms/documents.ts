/** Get, Exists, Create, Update, Replace, Delete for every kind of document. */
import { err } from "../errors.ts";
import type { FormCall, FormDef } from "../eval/registry.ts";
import { asObject } from "../eval/casts.ts";
import type { Ctx } from "../eval/context.ts";
import {
  requireNamed,
  check,
  checkRefs,
  qualify,
  docExists,
  liveRecord,
  locate,
  readAndRender,
  renderDoc,
  userFields,
  writeRecord,
  type Located,
} from "../access/docs.ts";
import type { DocRecord } from "../storage/database.ts";
import { firstOfSet, setExists } from "../sets/read.ts";
import { asFSet } from "../sets/sets.ts";
import { Ref, SetV, TimeV, collectionRef, typeName, type NativeName, type ObjectV, type Value } from "../values.ts";
import { writeCredentials } from "./credentials.ts";
import { authHandlers } from "./auth.ts";
import { credentialsHandlers } from "./credentials.ts";
import type { NativeHandler } from "./native-handlers.ts";
import { schemaHandlers } from "./schema.ts";
import { NS_PER_DAY } from "../time.ts";
import { validTime } from "./history.ts";

const ID = /^\d+$/;

/** How Create, Update/Replace and Delete treat each native collection, from the families that own them. */
const nativeHandlers: ReadonlyMap<NativeName, NativeHandler> = new Map([...schemaHandlers, ...authHandlers, ...credentialsHandlers]);

function userCreate(c: FormCall, loc: Located, params: ObjectV | undefined, explicitId: boolean): Value {
  const ctx = c.ctx;
  const pos = c.at("create");
  if (explicitId && !ID.test(loc.id)) {
    throw err.invalidArgument([...pos, "id"], `Number or numeric String expected, non-numeric '${loc.id}' provided.`);
  }
  // Permission before validation: a caller who may not create learns nothing about the data rules.
  const rawData = params?.get("data");
  check(ctx, explicitId ? "create_with_id" : "create", loc, () => new Map<string, Value>([["data", rawData instanceof Map ? rawData : new Map()]]), pos);
  const fields = userFields(params, undefined, pos, true);
  checkRefs(ctx, fields.get("data"), ["data"], c.pos);
  if (!fields.has("ttl")) {
    const coll = loc.db.live("#collections", loc.collKey, ctx.snapshotNs);
    const ttlDays = coll?.fields.get("ttl_days");
    if (typeof ttlDays === "bigint") fields.set("ttl", timeAfterDays(ctx, ttlDays));
  }
  const ref = new Ref(loc.id, collectionRef(loc.collKey));
  if (loc.db.raw(loc.collKey, loc.id) && liveRecord(ctx, loc)) throw err.alreadyExists(pos, "Document");
  const rec: DocRecord = { ref, ts: ctx.txn.tsMicros, fields };
  writeRecord(ctx, loc, rec, pos);
  ctx.txn.created = true;
  const creds = params?.get("credentials");
  if (creds !== undefined && creds !== null) writeCredentials(ctx, loc.db, ref, creds, pos);
  return renderIn(ctx, loc, rec);
}

/** A written document as the caller sees it: its ref qualified when it lives in a child database. */
function renderIn(ctx: Ctx, loc: Located, rec: DocRecord): Value {
  const d = renderDoc(rec);
  if (loc.db !== ctx.db) d.set("ref", qualify(ctx, loc.db, rec.ref));
  return d;
}

function timeAfterDays(ctx: Ctx, days: bigint): TimeV {
  return new TimeV(ctx.txn.tsMicros * 1000n + days * NS_PER_DAY);
}

function change(c: FormCall, key: "update" | "replace"): Value {
  const ctx = c.ctx;
  const target = c.arg(key);
  if (!(target instanceof Ref) || target.isNative) throw err.expected(c.at(key), "Ref", typeName(target));
  const paramsV = c.opt("params");
  const params = paramsV === undefined || paramsV === null ? new Map<string, Value>() : asObject(paramsV, c.at("params"));
  const loc = locate(ctx, target, c.at(key));
  const prev = liveRecord(ctx, loc);
  requireNamed(loc, target, prev, c.at(key));
  ctx.txn.read++;
  ctx.txn.meter.peek(prev);
  const replace = key === "replace";
  let fields: Map<string, Value>;
  const nativeKind = target.coll!.isNative ? (target.coll!.id as NativeName) : undefined;
  const handler = nativeKind ? nativeHandlers.get(nativeKind) : undefined;
  if (prev && handler?.update) fields = handler.update(ctx, loc, prev, params, replace, c.at(key));
  else if (prev) {
    fields = userFields(params, prev.fields, c.at(key), replace);
    checkRefs(ctx, params.get("data"), ["data"], c.pos);
    // Native documents keep their system fields through a replace.
    if (replace && nativeKind) for (const [k, v] of prev.fields) if (k !== "data" && k !== "ttl") fields.set(k, v);
  } else fields = new Map();
  // Write predicates receive the old and new documents (as FaunaDB's role docs show: Select(["data", …], Var("oldData"))).
  check(
    ctx,
    "write",
    loc,
    () => [prev ? renderDoc(prev) : new Map(), prev ? renderDoc({ ref: prev.ref, ts: ctx.txn.tsMicros, fields }) : new Map(), target],
    c.pos,
    prev?.fields,
  );
  if (!prev) throw err.notFound(c.at(key), loc.kind);
  const rec: DocRecord = { ref: prev.ref, ts: ctx.txn.tsMicros, fields };
  writeRecord(ctx, loc, rec, c.pos);
  const creds = params.get("credentials");
  if (!nativeKind && creds !== undefined && creds !== null) writeCredentials(ctx, loc.db, prev.ref, creds, c.at(key));
  return renderIn(ctx, loc, rec);
}

/** Get: a document, or the first document of a set. */
function get(c: FormCall, target: Value): Value {
  if (target instanceof SetV) {
    const ref = firstOfSet(c.ctx, asFSet(target, c.at("get")), c.at("get"), c.at("get"));
    if (!ref) throw err.notFound(c.pos, "Set");
    return readAndRender(c.ctx, ref, c.at("get"), c.pos);
  }
  if (!(target instanceof Ref)) throw err.expected(c.at("get"), "Ref or Set", typeName(target));
  if (target.isNative) throw err.expected(c.at("get"), "Ref or Set", "Set");
  return readAndRender(c.ctx, target, c.at("get"), c.pos);
}

function exists(c: FormCall, target: Value): boolean {
  if (target instanceof SetV) return setExists(c.ctx, asFSet(target, c.at("exists")), c.at("exists"));
  if (!(target instanceof Ref)) throw err.expected(c.at("exists"), "Ref or Set", typeName(target));
  return docExists(c.ctx, target, c.at("exists"));
}

export const forms: readonly FormDef[] = [
  {
    name: "get",
    shapes: [["get"], ["get", "ts"]],
    eval(c) {
      const target = c.arg("get");
      if (c.has("ts")) return c.ctx.at(validTime(c.arg("ts"), c.at("ts")), () => get(c, target));
      return get(c, target);
    },
  },

  {
    name: "exists",
    shapes: [["exists"], ["exists", "ts"]],
    eval(c) {
      const target = c.arg("exists");
      if (c.has("ts")) return c.ctx.at(validTime(c.arg("ts"), c.at("ts")), () => exists(c, target));
      return exists(c, target);
    },
  },

  {
    name: "create",
    shapes: [["create"], ["create", "params"]],
    eval(c) {
      const target = c.arg("create");
      const paramsV = c.opt("params");
      const params = paramsV === undefined || paramsV === null ? undefined : asObject(paramsV, c.at("params"));
      if (!(target instanceof Ref)) throw err.expected(c.at("create"), "Ref", typeName(target));
      if (target.isNative) {
        const h = nativeHandlers.get(target.id as NativeName);
        if (!h) throw err.invalidArgument(c.at("create"), `Cannot create documents in ${target.id}.`);
        return h.create(c.ctx, params ?? new Map(), c.at("create"));
      }
      if (target.schemaKind === "collections") {
        return userCreate(c, locate(c.ctx, new Ref(c.ctx.host.newId(), target), c.at("create")), params, false);
      }
      if (target.coll && !target.coll.isNative) {
        const loc = locate(c.ctx, target, c.at("create"));
        return userCreate(c, loc, params, true);
      }
      throw err.expected(c.at("create"), "Collection Ref", typeName(target));
    },
  },

  { name: "update", shapes: [["update"], ["update", "params"]], eval: (c) => change(c, "update") },
  { name: "replace", shapes: [["replace"], ["replace", "params"]], eval: (c) => change(c, "replace") },

  {
    name: "delete",
    shapes: [["delete"]],
    eval(c) {
      const ctx = c.ctx;
      const target = c.arg("delete");
      if (!(target instanceof Ref) || target.isNative) throw err.expected(c.at("delete"), "Ref", typeName(target));
      const loc = locate(ctx, target, c.at("delete"));
      const prev = liveRecord(ctx, loc);
      requireNamed(loc, target, prev, c.at("delete"));
      ctx.txn.read++;
      ctx.txn.meter.peek(prev);
      check(ctx, "delete", loc, () => target, c.pos, prev?.fields);
      if (!prev) throw err.notFound(c.pos, loc.kind);
      const nativeKind = target.coll!.isNative ? (target.coll!.id as NativeName) : undefined;
      nativeHandlers.get(nativeKind as NativeName)?.remove?.(ctx, loc, prev);
      loc.db.put(ctx.txn, loc.collKey, loc.id, undefined);
      return renderIn(ctx, loc, prev);
    },
  },
];
