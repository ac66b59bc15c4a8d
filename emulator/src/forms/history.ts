/**
 * Reading and writing history: At, Events, Singleton, Insert, Remove (Get's and
 * Paginate's `ts` and Paginate's `events` live with Get and Paginate).
 */
import { err, type Pos } from "../errors.ts";
import type { FormCall, FormDef } from "../eval/registry.ts";
import { asObject } from "../eval/casts.ts";
import { check, locate, qualify, userFields, checkRefs } from "../access/docs.ts";
import type { DocRecord, Version, VersionAction } from "../storage/database.ts";
import { DocSet } from "../sets/doc-set.ts";
import { eventsOf, SingletonSet } from "../sets/events.ts";
import { asFSet } from "../sets/sets.ts";
import { Ref, SetV, TimeV, collectionRef, floorDiv, native, typeName, valueType, type NativeName, type Value } from "../values.ts";

/** A valid time: a Time, or an Integer of µs since the epoch (as FaunaDB's casts accept). */
export function validTime(v: Value, pos: Pos): bigint {
  if (v instanceof TimeV) return floorDiv(v.ns, 1000n);
  if (typeof v === "bigint") return v;
  throw err.expected(pos, "Time", typeName(v));
}

/** The events set of a ref or a set. */
function eventsArg(v: Value, pos: Pos) {
  if (v instanceof Ref && !v.isNative) return eventsOf(new DocSet(v));
  if (v instanceof SetV || v instanceof Ref) return eventsOf(asFSet(v, pos));
  throw err.expected(pos, "Ref or Set", typeName(v));
}

function docAction(v: Value, pos: Pos): VersionAction {
  if (v === "create" || v === "update" || v === "delete") return v;
  throw err.expected(pos, "String 'create', 'update', or 'delete'", valueType(v));
}

/** The document an Insert or Remove rewrites: a user document (and, for Insert, a key). */
function historyTarget(c: FormCall, key: "insert" | "remove") {
  const ref = c.arg(key);
  if (!(ref instanceof Ref) || ref.isNative) throw err.expected(c.at(key), "Ref", typeName(ref));
  const userDoc = !!ref.coll && !ref.coll.isNative;
  if (!userDoc && !(key === "insert" && ref.schemaKind === "keys")) {
    throw err.invalidArgument(c.pos, `Cannot ${key} event for specified ref.`);
  }
  const loc = locate(c.ctx, ref, c.at(key));
  return { ref, loc };
}

/** The event an Insert answers with: the version it wrote, as `Events` shows it. */
function eventValue(v: Version, ref: Ref): Value {
  return new Map<string, Value>([
    ["ts", v.ts],
    ["action", v.action],
    ["document", ref],
    ["data", v.rec?.fields.get("data") ?? null],
  ]);
}

export const forms: readonly FormDef[] = [
  {
    name: "at",
    shapes: [["at", "expr"]],
    eval: (c) => c.ctx.at(validTime(c.arg("at"), c.at("at")), () => c.arg("expr")),
  },

  {
    name: "events",
    shapes: [["events"]],
    eval: (c) => eventsArg(c.arg("events"), c.at("events")),
  },

  {
    name: "singleton",
    shapes: [["singleton"]],
    eval(c) {
      const ref = c.arg("singleton");
      if (!(ref instanceof Ref) || ref.isNative) throw err.expected(c.at("singleton"), "Ref", typeName(ref));
      return new SingletonSet(ref);
    },
  },

  {
    name: "insert",
    shapes: [["insert", "ts", "action", "params"]],
    eval(c) {
      const ctx = c.ctx;
      const ts = validTime(c.arg("ts"), c.at("ts"));
      const action = docAction(c.arg("action"), c.at("action"));
      const paramsV = c.arg("params");
      const params = paramsV === null ? new Map<string, Value>() : asObject(paramsV, c.at("params"));
      const { ref, loc } = historyTarget(c, "insert");
      if (ts > ctx.snapshotNs / 1000n) throw err.invalidWriteTime(c.pos);
      check(ctx, "history_write", loc, () => ref, c.pos);
      const store = loc.db.store(loc.collKey)!;
      const fields = action === "delete" ? undefined : userFields(params, undefined, c.at("params"), true);
      if (fields) checkRefs(ctx, fields.get("data"), ["data"], c.pos);
      const stored = new Ref(loc.id, loc.collKey.startsWith("#") ? native(loc.collKey.slice(1) as NativeName) : collectionRef(loc.collKey));
      const rec: DocRecord | undefined = fields ? { ref: stored, ts, fields } : undefined;
      const version: Version = { ts, action, rec };
      const versions = store.versions(loc.id).filter((v) => v.ts !== ts);
      versions.push(version);
      versions.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
      loc.db.rewrite(ctx.txn, loc.collKey, loc.id, versions);
      return eventValue(version, qualify(ctx, loc.db, stored));
    },
  },

  {
    name: "remove",
    shapes: [["remove", "ts", "action"]],
    eval(c) {
      const ctx = c.ctx;
      const ts = validTime(c.arg("ts"), c.at("ts"));
      const action = docAction(c.arg("action"), c.at("action"));
      const { ref, loc } = historyTarget(c, "remove");
      check(ctx, "history_write", loc, () => ref, c.pos);
      const store = loc.db.store(loc.collKey)!;
      const all = store.versions(loc.id);
      // FaunaDB stores an update as a create (a live version after a live one): removing
      // either action removes the live version at `ts` (WriteAdaptor.removeVersion).
      const live = (a: string) => a !== "delete";
      const kept = all.filter((v) => !(v.ts === ts && live(v.action) === live(action)));
      if (kept.length !== all.length) loc.db.rewrite(ctx.txn, loc.collKey, loc.id, kept);
      return null;
    },
  },
];
