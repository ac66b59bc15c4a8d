/**
 * Credentials: a user document's password lives in a hidden Credentials
 * document, never in the document itself (spec S.2.3).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { err, type Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { check, locate, renderDoc } from "../access/docs.ts";
import type { Database, DocRecord } from "../storage/database.ts";
import { Ref, native, type NativeName, type Value } from "../values.ts";
import type { NativeHandler } from "./native-handlers.ts";

function hashPassword(pw: string): string {
  const salt = randomBytes(8).toString("hex");
  return `$emu$${salt}$${createHash("sha256").update(salt + pw).digest("hex")}`;
}

export function passwordMatches(hashed: Value | undefined, pw: string): boolean {
  if (typeof hashed !== "string") return false;
  const [, , salt, digest] = hashed.split("$");
  if (!salt || !digest) return false;
  const got = createHash("sha256").update(salt + pw).digest("hex");
  return got.length === digest.length && timingSafeEqual(Buffer.from(got), Buffer.from(digest));
}

export function credentialsOf(db: Database, instance: Ref, snapshotNs: bigint): DocRecord | undefined {
  const store = db.store("#credentials");
  if (!store) return undefined;
  for (const rec of store.docs.values()) {
    const inst = rec.fields.get("instance");
    if (inst instanceof Ref && inst.equals(instance) && db.live("#credentials", rec.ref.id, snapshotNs)) return rec;
  }
  return undefined;
}

/** Creates or updates the hidden credentials of `instance` (with server rights, as FaunaDB does). */
export function writeCredentials(ctx: Ctx, db: Database, instance: Ref, creds: Value, pos: Pos): void {
  if (!(creds instanceof Map)) throw err.validation(pos, [{ field: ["credentials"], code: "invalid type", description: "Invalid type, expected type Map." }]);
  const pw = creds.get("password");
  const hashed = creds.get("hashed_password");
  let stored: string | undefined;
  if (typeof pw === "string") stored = hashPassword(pw);
  else if (typeof hashed === "string" && ctx.principal.builtin?.startsWith("server")) stored = hashed;
  else if (pw !== undefined && pw !== null) {
    throw err.validation(pos, [{ field: ["credentials", "password"], code: "invalid type", description: "Invalid type, expected type String." }]);
  }
  if (stored === undefined) return;
  const existing = credentialsOf(db, instance, ctx.snapshotNs);
  const id = existing?.ref.id ?? ctx.host.newId();
  const fields = new Map<string, Value>([
    ["instance", instance],
    ["hashed_password", stored],
  ]);
  db.put(ctx.txn, "#credentials", id, { ref: new Ref(id, native("credentials")), ts: ctx.txn.tsMicros, fields });
}

/** Update and Create on Credentials documents (the documents family applies them). */
const credentialsHandler: NativeHandler = {
  /**
   * Server keys set a password freely; every other caller must prove the
   * current one (spec S.2.3).
   */
  update(ctx, _loc, prev, params, _replace, pos) {
    const fields = new Map(prev.fields);
    const pw = params.get("password");
    if (pw === undefined || pw === null) return fields;
    if (typeof pw !== "string") {
      throw err.validation(pos, [{ field: ["password"], code: "invalid type", description: `Invalid type ${typeof pw}, expected type String.` }]);
    }
    if (ctx.principal.builtin !== "server") {
      const current = params.get("current_password");
      if (typeof current !== "string" || !passwordMatches(prev.fields.get("hashed_password"), current)) {
        throw err.validation(pos, [{ field: ["current_password"], code: "invalid password", description: "Invalid password at `current_password`." }]);
      }
    }
    fields.set("hashed_password", hashPassword(pw));
    return fields;
  },
  create(ctx, params, pos) {
    const instance = params.get("instance");
    if (instance === undefined || instance === null) {
      throw err.validation(pos, [{ field: ["instance"], code: "value required", description: "Required value not found." }]);
    }
    if (!(instance instanceof Ref)) throw err.validation(pos, [{ field: ["instance"], code: "invalid type", description: "Invalid type, expected type Ref." }]);
    const loc = { db: ctx.db, collKey: "#credentials", id: "", kind: "Credentials" };
    check(ctx, "create", loc, () => params, pos);
    locate(ctx, instance, pos);
    writeCredentials(ctx, ctx.db, instance, new Map([["password", params.get("password") ?? null]]), pos);
    ctx.txn.created = true;
    return renderDoc(credentialsOf(ctx.db, instance, ctx.snapshotNs)!);
  },
};

export const credentialsHandlers: readonly (readonly [NativeName, NativeHandler])[] = [["credentials", credentialsHandler]];
