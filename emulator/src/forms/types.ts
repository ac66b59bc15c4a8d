/** Conversions (ToString, ToNumber, ToInteger, ToDouble; spec S.5.3) and the type predicates (S.4.6). */
import { err, QueryError, type Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { locate, requireSchema } from "../access/docs.ts";
import type { FormDef } from "../eval/registry.ts";
import { parseJavaNumber, stringOf, toLong } from "../java/conversions.ts";
import { BytesV, DateV, DocV, LambdaV, PageV, Ref, SetV, TimeV, valueType, type NativeName, type Value } from "../values.ts";

const cannotCast = (pos: Pos, v: Value, to: string) => err.invalidArgument(pos, `Cannot cast ${valueType(v)} to ${to}.`);

// ---- type predicates ---------------------------------------------------------------------------

/**
 * Throws `invalid ref` at `pos` unless a ref's database and collection (for a
 * document ref) or schema object (Collection('c'), Index('i'), …) exist. Keys,
 * tokens and credentials are not named schema, so only their database counts.
 */
export function resolveRef(ctx: Ctx, r: Ref, pos: Pos): void {
  if (r.isNative) return;
  const kind = r.schemaKind;
  if (kind && kind !== "keys" && kind !== "tokens" && kind !== "credentials") requireSchema(ctx, r, pos);
  else locate(ctx, r, pos);
}

function defined(ctx: Ctx, r: Ref): boolean {
  try {
    resolveRef(ctx, r, []);
    return true;
  } catch (e) {
    if (e instanceof QueryError) return false;
    throw e;
  }
}

/** The ref a value stands for when asking "is this a collection/index/… ?": a ref, or a document's `ref`. */
function refOf(v: Value): Ref | undefined {
  if (v instanceof Ref) return v;
  if (v instanceof DocV) {
    const r = v.get("ref");
    return r instanceof Ref ? r : undefined;
  }
  return undefined;
}

const PREDICATES: Record<string, (v: Value, ctx: Ctx) => boolean> = {
  is_number: (v) => typeof v === "bigint" || typeof v === "number",
  is_integer: (v) => typeof v === "bigint",
  is_double: (v) => typeof v === "number",
  is_boolean: (v) => typeof v === "boolean",
  is_null: (v) => v === null,
  is_string: (v) => typeof v === "string",
  is_bytes: (v) => v instanceof BytesV,
  is_timestamp: (v) => v instanceof TimeV,
  is_date: (v) => v instanceof DateV,
  is_array: (v) => Array.isArray(v),
  is_object: (v) => v instanceof Map || v instanceof PageV,
  // Native collection refs (Collections(), Tokens(), …) are sets to the server, not refs.
  is_ref: (v) => v instanceof Ref && !v.isNative,
  is_set: (v) => v instanceof SetV || (v instanceof Ref && v.isNative),
  is_doc: (v, ctx) => v instanceof DocV || (v instanceof Ref && !v.isNative && defined(ctx, v)),
  is_lambda: (v) => v instanceof LambdaV,
  // UUIDs arrive as plain strings in this emulator; there is no UUID value to recognise.
  is_uuid: () => false,
};

const KIND_PREDICATES: [string, NativeName][] = [
  ["is_collection", "collections"],
  ["is_database", "databases"],
  ["is_index", "indexes"],
  ["is_function", "functions"],
  ["is_key", "keys"],
  ["is_token", "tokens"],
  ["is_credentials", "credentials"],
  ["is_role", "roles"],
];
for (const [name, kind] of KIND_PREDICATES) {
  PREDICATES[name] = (v, ctx) => {
    const r = refOf(v);
    return r !== undefined && r.schemaKind === kind && (v instanceof DocV || defined(ctx, r));
  };
}

export const forms: readonly FormDef[] = [
  {
    name: "to_string",
    shapes: [["to_string"]],
    eval(c) {
      const v = c.arg("to_string");
      const s = stringOf(v);
      if (s === undefined) throw cannotCast(c.pos, v, "String");
      return s;
    },
  },

  {
    name: "to_number",
    shapes: [["to_number"]],
    eval(c) {
      const v = c.arg("to_number");
      if (typeof v === "bigint" || typeof v === "number") return v;
      const n = typeof v === "string" ? parseJavaNumber(v) : undefined;
      if (n === undefined) throw cannotCast(c.pos, v, "Number");
      return n;
    },
  },

  {
    name: "to_integer",
    shapes: [["to_integer"]],
    eval(c) {
      const v = c.arg("to_integer");
      const n = typeof v === "string" ? parseJavaNumber(v) : typeof v === "bigint" || typeof v === "number" ? v : undefined;
      if (n === undefined) throw cannotCast(c.at("to_integer"), v, "Integer");
      return typeof n === "bigint" ? n : toLong(n);
    },
  },

  {
    name: "to_double",
    shapes: [["to_double"]],
    eval(c) {
      const v = c.arg("to_double");
      const n = typeof v === "string" ? parseJavaNumber(v) : typeof v === "bigint" || typeof v === "number" ? v : undefined;
      if (n === undefined) throw cannotCast(c.at("to_double"), v, "Double");
      return Number(n);
    },
  },

  ...Object.entries(PREDICATES).map(
    ([name, test]): FormDef => ({ name, shapes: [[name]], eval: (c) => test(c.arg(name), c.ctx) }),
  ),
];
