/**
 * MoveDatabase(src, to): re-parents a child database, contents, keys and tokens inside
 * it included. Keys that the old parent holds *for* it (`CreateKey({database})`) stay
 * behind and stop authenticating (see the README's choices).
 */
import { err, QueryError, type Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { check, databaseOf, renderDoc, type Located } from "../access/docs.ts";
import type { Database } from "../storage/database.ts";
import { Ref, native, typeName, type Value } from "../values.ts";

function databaseArg(ctx: Ctx, v: Value, pos: Pos): Database {
  if (!(v instanceof Ref) || v.schemaKind !== "databases") throw err.expected(pos, "Database Ref", typeName(v));
  return databaseOf(ctx, v, pos);
}

export function moveDatabase(ctx: Ctx, srcV: Value, toV: Value, pos: Pos): Value {
  ctx.assertWritable(pos);
  const src = databaseArg(ctx, srcV, [...pos, "move_database"]);
  const to = databaseArg(ctx, toV, [...pos, "to"]);
  for (let d: Database | undefined = to; d; d = d.parent) {
    if (d === src) {
      throw new QueryError("move database error", `Cannot move database '${src.name}' into parent '${to.name}': Cannot move database from ancestor to descendant.`, pos);
    }
  }
  const from = src.parent!;
  const loc: Located = { db: from, collKey: "#databases", id: src.name, kind: "Database" };
  const prev = from.live("#databases", src.name, ctx.snapshotNs)!;
  check(ctx, "delete", loc, () => prev.ref, pos, prev.fields);
  if (to.live("#databases", src.name, ctx.snapshotNs)) throw err.alreadyExists(pos, "Database");
  from.put(ctx.txn, "#databases", src.name, undefined);
  from.children.delete(src.name);
  const rec = { ref: new Ref(src.name, native("databases")), ts: ctx.txn.tsMicros, fields: prev.fields };
  to.put(ctx.txn, "#databases", src.name, rec);
  to.children.set(src.name, src);
  src.parent = to;
  ctx.txn.onUndo(() => {
    src.parent = from;
    to.children.delete(src.name);
    from.children.set(src.name, src);
  });
  const doc = renderDoc(rec);
  doc.set("ref", src.refFrom(ctx.db) ?? rec.ref);
  return doc;
}
