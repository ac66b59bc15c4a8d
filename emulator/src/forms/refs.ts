/** Ref constructors: pure, they build refs whether or not anything exists (spec §5.3). */
import { err } from "../errors.ts";
import { withOptional, type FormCall, type FormDef } from "../eval/registry.ts";
import { parseLegacyRef } from "../eval/parse.ts";
import { resolveSelf } from "../eval/self-refs.ts";
import { NATIVE_COLLECTIONS, Ref, native, typeName, type NativeName, type Value } from "../values.ts";

function scopeOf(c: FormCall): Ref | undefined {
  if (!c.has("scope")) return undefined;
  const s = c.arg("scope");
  if (s === null) return undefined;
  if (!(s instanceof Ref) || s.schemaKind !== "databases") throw err.expected(c.at("scope"), "Database Ref", typeName(s));
  return s;
}

const SCHEMA: [string, NativeName][] = [
  ["collection", "collections"],
  ["class", "collections"],
  ["index", "indexes"],
  ["database", "databases"],
  ["role", "roles"],
  ["function", "functions"],
  ["access_provider", "access_providers"],
];

export const forms: readonly FormDef[] = [
  ...SCHEMA.map(
    ([form, kind]): FormDef => withOptional({
      name: form,
      optional: ["scope"],
      eval(c) {
        const name = c.arg(form);
        if (typeof name !== "string") throw err.expected(c.at(form), "String", typeName(name));
        const scope = scopeOf(c);
        // A database scope sits on the schema ref itself (spec §2.3).
        return new Ref(name, native(kind), scope);
      },
    }),
  ),

  // Tokens(), Collections(), … : native collection refs (optionally inside a child database).
  ...NATIVE_COLLECTIONS.map(
    (n): FormDef => ({
      name: n,
      shapes: [[n]],
      eval(c) {
        const s = c.arg(n);
        if (s === null) return native(n);
        if (!(s instanceof Ref) || s.schemaKind !== "databases") throw err.expected(c.at(n), "Database Ref", typeName(s));
        return new Ref(n, undefined, s);
      },
    }),
  ),
  { name: "classes", shapes: [["classes"]], eval: () => native("collections") },

  {
    name: "ref",
    shapes: [["ref"], ["ref", "id"]],
    eval(c) {
      const base = c.arg("ref");
      if (!c.has("id")) {
        if (typeof base !== "string") throw err.expected(c.at("ref"), "String", typeName(base));
        return parseLegacyRef(base, c.at("ref"), (coll, pos) => resolveSelf(c.ctx, coll, pos));
      }
      let id: Value = c.arg("id");
      if (typeof id === "bigint") id = id.toString();
      if (typeof id !== "string") throw err.expected(c.at("id"), "String", typeName(id));
      if (!(base instanceof Ref)) throw err.expected(c.at("ref"), "Ref", typeName(base));
      if (id === "self" && (base.isNative || base.schemaKind === "collections")) return resolveSelf(c.ctx, base, c.pos);
      if (!base.isNative && base.schemaKind === "collections" && !/^\d+$/.test(id)) {
        throw err.invalidArgument(c.at("id"), `Number or numeric String expected, non-numeric '${id}' provided.`);
      }
      return new Ref(id, base);
    },
  },

  {
    name: "new_id",
    shapes: [["new_id"]],
    eval: (c) => c.ctx.host.newId(),
  },

  { name: "next_id", shapes: [["next_id"]], eval: (c) => c.ctx.host.newId() },
];
