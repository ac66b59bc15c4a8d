/** Merge, ToObject, ToArray (spec S.4.4). Documents count as objects of their rendered fields. */
import { err, QueryErrors, type QueryError } from "../errors.ts";
import { withOptional, type FormDef } from "../eval/registry.ts";
import { valueType, type ObjectV, type Value } from "../values.ts";

export const forms: readonly FormDef[] = [
  withOptional({
    name: "merge",
    required: ["with"],
    optional: ["lambda"],
    strictLambdas: ["lambda"],
    eval(c) {
      const left = c.arg("merge");
      const w = c.arg("with");
      const lam = c.has("lambda") ? c.lambda("lambda") : undefined;
      // Every bad argument is reported, not only the first.
      const errors: QueryError[] = [];
      if (!(left instanceof Map)) errors.push(err.expected(c.at("merge"), "Object", valueType(left)));
      const rights = Array.isArray(w) ? w.map((v, i) => ({ v, pos: [...c.at("with"), i] })) : [{ v: w, pos: c.at("with") }];
      for (const { v, pos } of rights) if (!(v instanceof Map)) errors.push(err.expected(pos, "Object", valueType(v)));
      if (errors.length === 1) throw errors[0]!;
      if (errors.length) throw new QueryErrors(errors);

      const out: ObjectV = new Map(left as ObjectV);
      for (const { v } of rights) {
        for (const [key, right] of v as ObjectV) {
          const resolved = lam ? c.apply(lam, [key, out.get(key) ?? null, right], "lambda") : right;
          // A null result removes the key.
          if (resolved === null) out.delete(key);
          else out.set(key, resolved);
        }
      }
      return out;
    },
  }),

  {
    name: "to_object",
    shapes: [["to_object"]],
    eval(c) {
      const v = c.arg("to_object");
      if (v instanceof Map) return new Map(v);
      if (!Array.isArray(v)) throw err.invalidArgument(c.at("to_object"), `Cannot cast ${valueType(v)} to Object.`);
      const out: ObjectV = new Map();
      v.forEach((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") {
          throw err.expected([...c.at("to_object"), i], "Field/Value", valueType(pair));
        }
        out.set(pair[0], pair[1]!);
      });
      return out;
    },
  },

  {
    name: "to_array",
    shapes: [["to_array"]],
    eval(c) {
      const v = c.arg("to_array");
      if (Array.isArray(v)) return v;
      if (v instanceof Map) return [...v].map(([k, x]): Value => [k, x]);
      throw err.invalidArgument(c.at("to_array"), `Cannot cast ${valueType(v)} to Array.`);
    },
  },
];
