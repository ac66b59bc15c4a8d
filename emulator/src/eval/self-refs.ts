/**
 * `self` refs (`tokens/self`, `credentials/self`, `collections/<c>/self`,
 * `Ref(Collection(c), "self")`): resolved against the caller, as FaunaDB resolves
 * them while parsing. Anything the caller cannot name this way is `Invalid ref.`
 */
import { err, type Pos } from "../errors.ts";
import { Ref, native } from "../values.ts";
import type { Ctx } from "./context.ts";

/** Resolves the self ref of `coll` (a native collection ref or a user collection ref) for this caller. */
export function resolveSelf(ctx: Ctx, coll: Ref, pos: Pos): Ref {
  const p = ctx.principal;
  const invalid = () => err.invalidExpression(pos, "Invalid ref.");
  if (coll.isNative) {
    if (coll.id === "tokens" && p.token) return p.token;
    if (coll.id === "credentials" && p.identity) {
      const creds = credentialsId(ctx, p.identity);
      if (creds) return new Ref(creds, native("credentials"));
    }
    throw invalid();
  }
  if (coll.schemaKind === "collections" && p.identity && p.identity.coll?.id === coll.id && !coll.db) return p.identity;
  throw invalid();
}

/** The id of the identity's live credentials document, if it has one. */
function credentialsId(ctx: Ctx, identity: Ref): string | undefined {
  const store = ctx.db.store("#credentials");
  if (!store) return undefined;
  for (const rec of store.docs.values()) {
    const inst = rec.fields.get("instance");
    if (inst instanceof Ref && inst.equals(identity) && ctx.db.live("#credentials", rec.ref.id, ctx.snapshotNs)) return rec.ref.id;
  }
  return undefined;
}
