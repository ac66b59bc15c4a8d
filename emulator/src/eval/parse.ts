/**
 * JSON request → expression tree. As in FaunaDB's parser, an object is matched
 * by its exact key set against the form table; unbound variables and malformed
 * lambdas are errors before anything is evaluated (spec §2.2).
 */
import { err, type Pos } from "../errors.ts";
import { parseDate, parseInstant } from "../time.ts";
import type { Json, JsonObject } from "../wire/json.ts";
import {
  BytesV,
  DateV,
  NATIVE_COLLECTIONS,
  type NativeName,
  Ref,
  TimeV,
  typeName,
  type LambdaParams,
  type Value,
  collectionRef,
  native,
} from "../values.ts";
import type { Expr, FormExpr, LambdaExpr, VarArgs } from "./ast.ts";
import { lookupForm } from "./registry.ts";

/** Variables in scope at a point of the tree (parse-time check only). */
type Scope = ReadonlySet<string>;

const ESCAPES = new Set(["@ref", "@ts", "@date", "@bytes", "@set", "@query", "@obj", "@uuid"]);

/** Resolves a `self` ref against the caller (`coll`: the native or user collection it names). */
export type SelfResolver = (coll: Ref, pos: Pos) => Ref;

/** The caller's resolver while a request is parsed; parsing is synchronous, so one slot is enough. */
let selfResolver: SelfResolver | undefined;

export function parseQuery(json: Json, self?: SelfResolver): Expr {
  const saved = selfResolver;
  selfResolver = self;
  try {
    return parseExpr(json, [], new Set());
  } finally {
    selfResolver = saved;
  }
}

/** A `self` ref: the caller's own token, credentials or identity; without a caller, `Invalid ref.` */
export function selfRef(coll: Ref, pos: Pos, resolve: SelfResolver | undefined = selfResolver): Ref {
  if (!resolve) throw err.invalidExpression(pos, "Invalid ref.");
  return resolve(coll, pos);
}

function jsonTypeName(j: Json): string {
  if (j instanceof Map) return "Object";
  return typeName(j as Value);
}

export function parseExpr(j: Json, pos: Pos, scope: Scope): Expr {
  if (j === null || typeof j !== "object") return { k: "lit", v: j, pos };
  if (Array.isArray(j)) return { k: "arr", items: j.map((x, i) => parseExpr(x, [...pos, i], scope)), pos };
  return parseObject(j, pos, scope);
}

function parseObject(o: JsonObject, pos: Pos, scope: Scope): Expr {
  const keys = [...o.keys()];
  if (keys.length === 1 && ESCAPES.has(keys[0]!)) return parseEscape(keys[0]!, o.get(keys[0]!)!, pos, scope);
  const has = (...ks: string[]) => keys.length === ks.length && ks.every((k) => o.has(k));

  if (has("object")) {
    const inner = o.get("object")!;
    if (!(inner instanceof Map)) throw err.invalidExpression(pos, `Object expected, ${jsonTypeName(inner)} provided.`);
    return { k: "obj", fields: [...inner].map(([k, v]) => [k, parseExpr(v, [...pos, "object", k], scope)]), pos };
  }
  if (has("quote")) return { k: "lit", v: decodeLiteral(o.get("quote")!, [...pos, "quote"]), pos };
  if (has("var")) {
    const name = o.get("var");
    if (typeof name !== "string") throw err.invalidExpression(pos, `String expected, ${jsonTypeName(name!)} provided.`);
    if (!scope.has(name)) throw err.invalidExpression(pos, `Variable '${name}' is not defined.`);
    return { k: "var", name, pos };
  }
  if (has("let", "in")) return parseLet(o, pos, scope);
  if (has("lambda", "expr") || has("api_version", "lambda", "expr")) return parseLambda(o, pos, scope);

  const def = lookupForm(keys);
  if (!def) throw err.invalidExpression(pos, `No form/function found, or invalid argument keys: { ${keys.join(", ")} }.`);
  const args = new Map<string, Expr | VarArgs>();
  for (const key of keys) {
    const raw = o.get(key)!;
    const p = [...pos, key];
    if (def.lambdas?.includes(key) || def.strictLambdas?.includes(key)) {
      args.set(key, parseLambdaArg(raw, p, scope, !!def.strictLambdas?.includes(key)));
    } else if (def.variadic?.includes(key)) {
      const bare = !Array.isArray(raw);
      const items = bare ? [parseExpr(raw, p, scope)] : (raw as Json[]).map((x, i) => parseExpr(x, [...p, i], scope));
      args.set(key, { k: "varargs", items, bare, pos: p });
    } else {
      args.set(key, parseExpr(raw, p, scope));
    }
  }
  const form: FormExpr = { k: "form", def, args, keys, pos };
  return form;
}

function parseLambdaArg(raw: Json, pos: Pos, scope: Scope, strict: boolean): Expr {
  if (raw instanceof Map && raw.has("lambda") && raw.has("expr") && (raw.size === 2 || (raw.size === 3 && raw.has("api_version")))) {
    return parseLambda(raw, pos, scope);
  }
  if (strict && !(raw instanceof Map)) throw err.invalidExpression(pos, `Lambda expected, ${jsonTypeName(raw)} provided.`);
  if (raw instanceof Map) {
    // A lambda value (a variable or a @query) is also accepted where evaluation can check it.
    const e = parseExpr(raw, pos, scope);
    if (strict && e.k !== "var" && e.k !== "lit") {
      throw err.invalidExpression(pos, `No form/function found, or invalid argument keys: { ${[...raw.keys()].join(", ")} }.`);
    }
    return e;
  }
  return parseExpr(raw, pos, scope);
}

function parseParams(raw: Json, pos: Pos): LambdaParams {
  if (typeof raw === "string") return raw;
  if (Array.isArray(raw) && raw.every((x) => typeof x === "string")) return raw as string[];
  throw err.invalidExpression([...pos, "lambda"], `String or Array expected, ${jsonTypeName(raw)} provided.`);
}

/**
 * A lambda. `defaultVersion` is the API version it was written for when it names none:
 * "4" for a Lambda in a query, "2.12" for a `@query` value without `api_version`.
 */
export function parseLambda(o: JsonObject, pos: Pos, scope: Scope, defaultVersion = "4"): LambdaExpr {
  const params = parseParams(o.get("lambda")!, pos);
  const inner = new Set(scope);
  for (const p of typeof params === "string" ? [params] : params) if (p !== "_") inner.add(p);
  const v = o.get("api_version");
  const apiVersion = typeof v === "string" ? v : defaultVersion;
  return { k: "lambda", params, body: parseExpr(o.get("expr")!, [...pos, "expr"], inner), pos, apiVersion };
}

function parseLet(o: JsonObject, pos: Pos, scope: Scope): Expr {
  const raw = o.get("let")!;
  const inner = new Set(scope);
  const bindings: [string, Expr][] = [];
  const bind = (name: string, value: Json, p: Pos) => {
    bindings.push([name, parseExpr(value, p, inner)]);
    inner.add(name);
  };
  if (Array.isArray(raw)) {
    raw.forEach((b, i) => {
      if (!(b instanceof Map)) throw err.invalidExpression([...pos, "let", i], `Object expected, ${jsonTypeName(b)} provided.`);
      for (const [k, v] of b) bind(k, v, [...pos, "let", i, k]);
    });
  } else if (raw instanceof Map) {
    for (const [k, v] of raw) bind(k, v, [...pos, "let", k]);
  } else {
    throw err.invalidExpression([...pos, "let"], `Object expected, ${jsonTypeName(raw)} provided.`);
  }
  return { k: "let", bindings, body: parseExpr(o.get("in")!, [...pos, "in"], inner), pos };
}

function parseEscape(tag: string, body: Json, pos: Pos, scope: Scope): Expr {
  switch (tag) {
    case "@set":
      // A set description sent back by the driver is the set's constructor expression.
      return parseExpr(body, pos, scope);
    case "@query": {
      if (!(body instanceof Map)) throw err.invalidExpression(pos, `Lambda expected, ${jsonTypeName(body)} provided.`);
      return parseLambda(body, pos, new Set(), "2.12");
    }
    case "@obj": {
      if (!(body instanceof Map)) throw err.invalidExpression(pos, `Object expected, ${jsonTypeName(body)} provided.`);
      return { k: "lit", v: decodeLiteral(body, pos), pos };
    }
    default:
      return { k: "lit", v: decodeLiteral(new Map([[tag, body]]), pos), pos };
  }
}

/** A literal (quoted or escaped) JSON value: tags decoded, nothing evaluated. */
export function decodeLiteral(j: Json, pos: Pos): Value {
  if (j === null || typeof j !== "object") return j;
  if (Array.isArray(j)) return j.map((x) => decodeLiteral(x, pos));
  if (j.size === 1) {
    const [tag, body] = [...j][0]!;
    switch (tag) {
      case "@ref":
        return decodeRef(body, pos);
      case "@ts": {
        const ns = typeof body === "string" ? parseInstant(body) : null;
        if (ns === null) throw err.invalidArgument(pos, `Cannot cast '${String(body)}' to a time.`);
        return new TimeV(ns);
      }
      case "@date": {
        const d = typeof body === "string" ? parseDate(body) : null;
        if (d === null) throw err.invalidArgument(pos, `Cannot cast '${String(body)}' to a date.`);
        return new DateV(d);
      }
      case "@bytes":
        if (typeof body !== "string") throw err.expected(pos, "String", jsonTypeName(body));
        return new BytesV(new Uint8Array(Buffer.from(body, "base64")));
      case "@uuid":
        if (typeof body !== "string") throw err.expected(pos, "String", jsonTypeName(body));
        return body;
      case "@obj":
        if (!(body instanceof Map)) throw err.expected(pos, "Object", jsonTypeName(body));
        return new Map([...body].map(([k, v]) => [k, decodeLiteral(v, pos)]));
    }
  }
  return new Map([...j].map(([k, v]) => [k, decodeLiteral(v, pos)]));
}

function decodeRef(body: Json, pos: Pos): Ref {
  if (typeof body === "string") return parseLegacyRef(body, pos);
  if (!(body instanceof Map) || typeof body.get("id") !== "string") throw err.invalidExpression(pos, "Invalid ref.");
  const id = body.get("id") as string;
  const coll = body.get("collection") ?? body.get("class");
  const db = body.get("database");
  const collRef = coll === undefined || coll === null ? undefined : asRef(decodeLiteral(coll, pos), pos);
  const dbRef = db === undefined || db === null ? undefined : asRef(decodeLiteral(db, pos), pos);
  if (!collRef && !dbRef) {
    if (!(NATIVE_COLLECTIONS as readonly string[]).includes(id)) throw err.invalidExpression(pos, `Invalid ref '${id}'.`);
    return native(id as NativeName);
  }
  if (id === "self" && collRef && !dbRef) return selfRef(collRef, pos);
  return new Ref(id, collRef, dbRef);
}

function asRef(v: Value, pos: Pos): Ref {
  if (!(v instanceof Ref)) throw err.invalidExpression(pos, "Invalid ref.");
  return v;
}

/**
 * `"collections/users/1"`, `"classes/users/1"`, `"indexes/i"`, `"tokens/123"`, `"collections"`;
 * `"tokens/self"`, `"credentials/self"`, `"collections/users/self"` through `resolve`.
 */
export function parseLegacyRef(s: string, pos: Pos, resolve: SelfResolver | undefined = selfResolver): Ref {
  const parts = s.split("/");
  const head = parts[0] === "classes" ? "collections" : parts[0]!;
  if (!(NATIVE_COLLECTIONS as readonly string[]).includes(head)) throw err.invalidExpression(pos, `Invalid ref '${s}'.`);
  const nat = native(head as NativeName);
  if (parts.length === 1) return nat;
  if (parts.length === 2 && parts[1] === "self") return selfRef(nat, pos, resolve);
  if (parts.length === 2) return new Ref(parts[1]!, nat);
  if (parts.length === 3 && head === "collections" && parts[2] === "self") return selfRef(collectionRef(parts[1]!), pos, resolve);
  if (parts.length === 3 && head === "collections") return new Ref(parts[2]!, collectionRef(parts[1]!));
  throw err.invalidExpression(pos, `Invalid ref '${s}'.`);
}

