/** Per-kind behaviour of native collections: each family that owns a kind exports its handler as data. */
import type { Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import type { Located } from "../access/docs.ts";
import type { DocRecord } from "../storage/database.ts";
import type { ObjectV, Value } from "../values.ts";

/** How a native collection's documents are created, changed and removed (schema, tokens, keys, …). */
export interface NativeHandler {
  create(ctx: Ctx, params: ObjectV, pos: Pos): Value;
  /** Adjusts the merged fields of an update/replace, or rejects it. */
  update?(ctx: Ctx, loc: Located, prev: DocRecord, params: ObjectV, replace: boolean, pos: Pos): Map<string, Value>;
  /** Side effects of deleting (a collection's documents, a database's contents, …). */
  remove?(ctx: Ctx, loc: Located, prev: DocRecord): void;
}

