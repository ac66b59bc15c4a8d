/**
 * Who may do what (spec §4.2, §4.5, §6). Built-in key roles are decided by the
 * kind of collection; tokens and role keys by their roles' privileges, whose
 * predicates run with server rights.
 */
import { PREDICATE_PRINCIPAL, type Ctx } from "../eval/context.ts";
import { applyLambda } from "../eval/evaluate.ts";
import { RequestError } from "../limits.ts";
import { LambdaV, Ref, type Value } from "../values.ts";

export type Action = "read" | "write" | "create" | "create_with_id" | "delete" | "call" | "unrestricted_read" | "history_read" | "history_write";

/** Native collections only admin keys may touch. */
const ADMIN_ONLY = new Set(["#databases", "#keys", "#roles", "#access_providers"]);
const READS = new Set<Action>(["read", "unrestricted_read", "history_read"]);

/** The privilege resource key of a ref: "users", "#tokens", "index:i", "fn:f". */
export function resourceKey(r: Ref): string | undefined {
  if (r.isNative) return `#${r.id}`;
  switch (r.schemaKind) {
    case "collections":
      return r.id;
    case "indexes":
      return `index:${r.id}`;
    case "functions":
      return `fn:${r.id}`;
    default:
      return undefined;
  }
}

/**
 * @param resource "users", "#tokens", "index:name" or "fn:name"
 * @param arg the predicate's argument, computed only if a predicate must run
 */
export function allowed(ctx: Ctx, action: Action, resource: string, arg: () => Value): boolean {
  const p = ctx.principal;
  switch (p.builtin) {
    case "admin":
      return true;
    case "server":
      return !ADMIN_ONLY.has(resource);
    case "server-readonly":
      return READS.has(action) && !ADMIN_ONLY.has(resource);
    case "client":
      return false;
    case null:
      break;
  }
  for (const roleName of p.roles) {
    const role = ctx.db.live("#roles", roleName, ctx.snapshotNs);
    if (!role) continue;
    const privs = role.fields.get("privileges");
    const list: Value[] = Array.isArray(privs) ? privs : privs ? [privs] : [];
    for (const priv of list) {
      if (!(priv instanceof Map)) continue;
      const res = priv.get("resource");
      if (!(res instanceof Ref) || resourceKey(res) !== resource) continue;
      const actions = priv.get("actions");
      if (!(actions instanceof Map)) continue;
      const candidates: Action[] = action === "read" ? ["read", "unrestricted_read"] : [action];
      for (const a of candidates) {
        const grant = actions.get(a);
        if (grant === true) return true;
        if (grant instanceof LambdaV) {
          let ok: Value = false;
          try {
            const lam = grant;
            const input = arg();
            const actual = action === "write" && Array.isArray(input) && typeof lam.params !== "string" && lam.params.length === 2 ? input.slice(0, 2) : input;
            // Predicates read (never write) with server rights and still know who is asking.
            ok = ctx.as({ ...PREDICATE_PRINCIPAL, identity: p.identity, token: p.token }, () => applyLambda(ctx, lam, actual, []));
          } catch (e) {
            if (e instanceof RequestError) throw e;
            ok = false;
          }
          if (ok === true) return true;
        }
      }
    }
  }
  return false;
}

/** Tokens may always read (and delete) their identity's tokens and read its credentials (§4.5). */
export function baselineAllows(ctx: Ctx, action: Action, collKey: string, fields: Map<string, Value> | undefined): boolean {
  const p = ctx.principal;
  if (!p.baseline || !p.identity || !fields) return false;
  const instance = fields.get("instance");
  if (!(instance instanceof Ref) || !instance.equals(p.identity)) return false;
  if (collKey === "#tokens") return action === "read" || action === "delete";
  if (collKey === "#credentials") return action === "read";
  return false;
}
