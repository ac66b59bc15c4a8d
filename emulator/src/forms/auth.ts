/**
 * Tokens, keys and identity: Create(Tokens()), CreateKey, Login, Logout,
 * Identify, Identity/CurrentIdentity/CurrentToken and friends, KeyFromSecret
 * (spec §4.3–4.4, S.2).
 */
import { err, QueryError, type Pos } from "../errors.ts";
import { asBool, asObject, asString } from "../eval/casts.ts";
import { isBuiltinRole, type Ctx } from "../eval/context.ts";
import { check, databaseOf, readDoc, renderDoc, userFields, type Located } from "../access/docs.ts";
import type { FormDef } from "../eval/registry.ts";
import { firstOfSet } from "../sets/read.ts";
import { asFSet } from "../sets/sets.ts";
import { Ref, SetV, native, typeName, type NativeName, type ObjectV, type Value } from "../values.ts";
import { credentialsOf, passwordMatches } from "./credentials.ts";
import type { NativeHandler } from "./native-handlers.ts";

/** Creates a token for `instance` (Create(Tokens()) and Login share it). */
function issueToken(ctx: Ctx, instance: Ref, params: ObjectV, pos: Pos): Value {
  ctx.assertWritable(pos);
  const fields = userFields(params, undefined, pos, true);
  const id = ctx.host.newId();
  const { secret, hashed } = ctx.host.newSecret("token", { db: ctx.db, collKey: "#tokens", id });
  const stored = new Map<string, Value>([["instance", instance]]);
  if (fields.has("ttl")) stored.set("ttl", fields.get("ttl")!);
  if (fields.has("data")) stored.set("data", fields.get("data")!);
  stored.set("hashed_secret", hashed);
  const rec = { ref: new Ref(id, native("tokens")), ts: ctx.txn.tsMicros, fields: stored };
  ctx.db.put(ctx.txn, "#tokens", id, rec);
  ctx.txn.created = true;
  const out = renderDoc(rec);
  out.delete("hashed_secret");
  out.set("secret", secret);
  return out;
}

function requireInstance(ctx: Ctx, params: ObjectV, pos: Pos): Ref {
  const instance = params.get("instance");
  if (instance === undefined || instance === null) {
    throw err.validation(pos, [{ field: ["instance"], code: "value required", description: "Required value not found." }]);
  }
  if (!(instance instanceof Ref) || instance.isNative) {
    throw err.validation(pos, [{ field: ["instance"], code: "invalid type", description: `Invalid type ${typeName(instance)}, expected type Ref.` }]);
  }
  const coll = instance.coll!;
  if (!coll.isNative && !databaseOf(ctx, coll.db, pos).live("#collections", coll.id, ctx.snapshotNs)) {
    throw err.validation(pos.slice(0, -1), [{ field: ["instance"], code: "invalid reference", description: "Cannot read reference." }]);
  }
  return instance;
}

const tokensHandler: NativeHandler = {
  create(ctx, params, pos) {
    const instance = requireInstance(ctx, params, pos);
    const loc: Located = { db: ctx.db, collKey: "#tokens", id: "", kind: "Token" };
    check(ctx, "create", loc, () => params, pos);
    return issueToken(ctx, instance, params, pos);
  },
};

function createKey(ctx: Ctx, params: ObjectV, pos: Pos): Value {
  const loc: Located = { db: ctx.db, collKey: "#keys", id: "", kind: "Key" };
  check(ctx, "create", loc, () => params, pos);
  const role = params.get("role");
  const roleOk = (r: Value) => (typeof r === "string" && (isBuiltinRole(r) || !!ctx.db.live("#roles", r, ctx.snapshotNs))) || (r instanceof Ref && r.schemaKind === "roles" && !!ctx.db.live("#roles", r.id, ctx.snapshotNs));
  if (role === undefined || role === null) throw err.validation(pos, [{ field: ["role"], code: "value required", description: "Required value not found." }]);
  if (!roleOk(role)) throw err.validation(pos, [{ field: ["role"], code: "invalid reference", description: "Cannot read reference." }]);
  const database = params.get("database");
  const fields = new Map<string, Value>([["role", role]]);
  if (database !== undefined && database !== null) {
    if (!(database instanceof Ref) || database.schemaKind !== "databases" || !ctx.db.live("#databases", database.id, ctx.snapshotNs)) {
      throw err.validation(pos.slice(0, -1), [{ field: ["database"], code: "invalid reference", description: "Cannot read reference." }]);
    }
    fields.set("database", database);
  }
  for (const [k, v] of userFields(params, undefined, pos, true)) fields.set(k, v); // data and ttl
  const id = ctx.host.newId();
  const { secret, hashed } = ctx.host.newSecret("key", { db: ctx.db, collKey: "#keys", id });
  fields.set("hashed_secret", hashed);
  const rec = { ref: new Ref(id, native("keys")), ts: ctx.txn.tsMicros, fields };
  ctx.db.put(ctx.txn, "#keys", id, rec);
  ctx.txn.created = true;
  const out = renderDoc(rec);
  out.delete("hashed_secret");
  out.set("secret", secret);
  out.set("hashed_secret", hashed);
  return out;
}

/** Create(Tokens()) and Create(Keys()) (the documents family applies these). */
export const authHandlers: readonly (readonly [NativeName, NativeHandler])[] = [
  ["tokens", tokensHandler],
  ["keys", { create: createKey }],
];

/** The identity named by Login/Identify's first argument: a ref, or the first document of a readable set. */
function identityArg(ctx: Ctx, v: Value, pos: Pos): Ref | undefined {
  if (v instanceof SetV) return firstOfSet(ctx, asFSet(v, pos), pos, pos);
  if (v instanceof Ref && !v.isNative) return v;
  throw err.expected(pos, "Ref or Set", typeName(v));
}

export const forms: readonly FormDef[] = [
  {
    name: "create_key",
    shapes: [["create_key"]],
    eval: (c) => createKey(c.ctx, asObject(c.arg("create_key"), c.at("create_key")), c.at("create_key")),
  },

  // ---- identity ---------------------------------------------------------------------------------
  ...["identity", "current_identity"].map(
    (name): FormDef => ({
      name,
      shapes: [[name]],
      eval(c) {
        const id = c.ctx.principal.identity;
        if (!id) throw err.missingIdentity(c.pos);
        return id;
      },
    }),
  ),

  ...["has_identity", "has_current_identity"].map(
    (name): FormDef => ({ name, shapes: [[name]], eval: (c) => !!c.ctx.principal.identity }),
  ),

  {
    name: "current_token",
    shapes: [["current_token"]],
    eval(c) {
      const p = c.ctx.principal;
      const t = p.token ?? p.key;
      if (!t) throw err.invalidToken(c.pos);
      return t;
    },
  },

  { name: "has_current_token", shapes: [["has_current_token"]], eval: (c) => !!(c.ctx.principal.token ?? c.ctx.principal.key) },

  {
    name: "login",
    shapes: [["login", "params"]],
    eval(c) {
      const ctx = c.ctx;
      const who = identityArg(ctx, c.arg("login"), c.at("login"));
      const params = asObject(c.arg("params"), c.at("params"));
      const pw = params.get("password");
      const creds = who ? credentialsOf(ctx.db, who, ctx.snapshotNs) : undefined;
      // The credentials are found through an index: a billed read (MetricsSpec 'login').
      ctx.txn.meter.readDoc(creds);
      const docLive = who?.collKey ? ctx.db.live(who.collKey, who.id, ctx.snapshotNs) : undefined;
      if (!who || !creds || !docLive || typeof pw !== "string" || !passwordMatches(creds.fields.get("hashed_password"), pw)) {
        throw err.authenticationFailed(c.pos);
      }
      const tokenParams = new Map<string, Value>();
      if (params.has("ttl")) tokenParams.set("ttl", params.get("ttl")!);
      if (params.has("data")) tokenParams.set("data", params.get("data")!);
      return issueToken(ctx, who, tokenParams, c.at("login"));
    },
  },

  {
    name: "logout",
    shapes: [["logout"]],
    eval(c) {
      const ctx = c.ctx;
      const all = asBool(c.arg("logout"), c.at("logout"));
      ctx.assertWritable(c.pos);
      const p = ctx.principal;
      if (!p.identity) return false;
      const store = ctx.db.store("#tokens")!;
      const victims = all
        ? [...store.docs.values()].filter((t) => {
            const inst = t.fields.get("instance");
            return inst instanceof Ref && inst.equals(p.identity!);
          })
        : p.token
          ? [store.docs.get(p.token.id)].filter((x) => x !== undefined)
          : [];
      for (const t of victims) ctx.db.put(ctx.txn, "#tokens", t.ref.id, undefined);
      return true;
    },
  },

  {
    name: "identify",
    shapes: [["identify", "password"]],
    eval(c) {
      const ctx = c.ctx;
      const pw = asString(c.arg("password"), c.at("password"));
      const who = identityArg(ctx, c.arg("identify"), c.at("identify"));
      if (!who) return false;
      const creds = credentialsOf(ctx.db, who, ctx.snapshotNs);
      ctx.txn.meter.readDoc(creds);
      return !!creds && passwordMatches(creds.fields.get("hashed_password"), pw);
    },
  },

  {
    name: "key_from_secret",
    shapes: [["key_from_secret"]],
    eval(c) {
      const ctx = c.ctx;
      const raw = asString(c.arg("key_from_secret"), c.at("key_from_secret"));
      const notFound = () => new QueryError("instance not found", `No key found for secret ${raw}.`, c.pos, {}, 400);
      // The server decodes the string as a whole (AuthLike.fromBase64): with a `:db:role`
      // suffix it is no secret at all, and a token is one only while it authenticates.
      const rec = ctx.host.lookupSecret(raw);
      if (!rec || rec.db !== ctx.db) throw notFound();
      try {
        const ref = new Ref(rec.id, native(rec.collKey === "#keys" ? "keys" : "tokens"));
        const doc = readDoc(ctx, ref, c.pos, c.pos).rec;
        const identity = doc.fields.get("instance");
        const orphan = rec.collKey === "#tokens" && !(identity instanceof Ref && identity.collKey && ctx.db.live(identity.collKey, identity.id, ctx.snapshotNs));
        if (orphan) throw notFound();
        return renderDoc(doc);
      } catch (e) {
        if (e instanceof QueryError) throw notFound();
        throw e;
      }
    },
  },
];
