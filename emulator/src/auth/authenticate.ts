/**
 * Secret → (database, principal), before any query runs (spec §4). Anything
 * unknown, deleted, expired or out of scope is `undefined`, which the engine
 * answers with 401. It sees the engine only as a `Host`.
 */
import { Ctx, isBuiltinRole, type BuiltinRole, type Host, type Principal, PREDICATE_PRINCIPAL } from "../eval/context.ts";
import { applyLambda } from "../eval/evaluate.ts";
import type { Database } from "../storage/database.ts";
import type { Txn } from "../storage/txn.ts";
import { RequestError } from "../limits.ts";
import { LambdaV, Ref, type Value, native } from "../values.ts";


export interface Authenticated {
  db: Database;
  principal: Principal;
}

export function parseAuthorization(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\s*(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  if (m[1]!.toLowerCase() === "bearer") return m[2];
  const decoded = Buffer.from(m[2]!, "base64").toString("utf8");
  return decoded.endsWith(":") ? decoded.slice(0, -1) : decoded;
}

export function authenticate(host: Host, header: string | undefined, txn: Txn): Authenticated | undefined {
  const raw = parseAuthorization(header);
  if (!raw) return undefined;
  const [secret, ...scope] = raw.split(":");
  if (!secret) return undefined;
  const now = txn.snapshotNs;

  if (secret === host.rootSecret) {
    return scoped(host, host.root, "admin", scope, txn, true);
  }
  const rec = host.lookupSecret(secret);
  if (!rec || !rec.db.attached) return undefined;
  // Deleted keys and tokens are looked up through the credential cache (cluster profile), their ttl never is.
  const doc = rec.db.live(rec.collKey, rec.id, now) ?? host.cachedCredential(rec, now);
  if (!doc) return undefined;

  if (rec.collKey === "#tokens") {
    const instance = doc.fields.get("instance");
    if (!(instance instanceof Ref) || !instance.collKey) return undefined;
    if (!rec.db.live(instance.collKey, instance.id, now)) return undefined;
    const principal: Principal = {
      kind: "token",
      builtin: null,
      roles: [],
      identity: instance,
      token: doc.ref,
      baseline: true,
    };
    principal.roles = rolesFor(host, rec.db, instance, txn, doc.ref);
    return { db: rec.db, principal };
  }

  // A key: its database is the one it lives in, or the child its `database` names.
  let db = rec.db;
  const target = doc.fields.get("database");
  if (target instanceof Ref) {
    const child = rec.db.children.get(target.id);
    if (!child || !rec.db.live("#databases", target.id, now)) return undefined;
    db = child;
  }
  const role = doc.fields.get("role");
  const keyRef = db === rec.db ? doc.ref : undefined;
  if (isBuiltinRole(role)) {
    const p = scoped(host, db, role as BuiltinRole, scope, txn, role === "admin");
    if (p && keyRef && p.db === db && !p.principal.identity) p.principal.key = keyRef;
    return p;
  }
  const roleName = role instanceof Ref ? role.id : typeof role === "string" ? role : undefined;
  if (!roleName) return undefined;
  return { db, principal: { kind: "key", builtin: null, roles: [roleName], key: keyRef, baseline: false } };
}

/** Applies a `:db:role`, `:role`, `:db:@role/x` or `:db:@doc/coll/id` suffix. */
function scoped(
  host: Host,
  base: Database,
  role: BuiltinRole,
  scope: string[],
  txn: Txn,
  mayScope: boolean,
): Authenticated | undefined {
  const principal = (b: BuiltinRole): Principal => ({
    kind: base === host.root && b === "admin" && role === "admin" ? "root" : "key",
    builtin: b,
    roles: [],
    baseline: false,
  });
  if (scope.length === 0) return { db: base, principal: principal(role) };
  let dbPath: string | undefined;
  let target: string | undefined;
  if (scope.length === 1) {
    if (isBuiltinRole(scope[0]) || scope[0]!.startsWith("@")) target = scope[0];
    else return { db: base, principal: principal(role) }; // an unknown suffix is ignored
  } else {
    dbPath = scope[0];
    target = scope[1];
  }
  const isDoc = target?.startsWith("@doc/");
  if (!mayScope && !(isDoc && !dbPath && (role === "server"))) return undefined;
  let db = base;
  if (dbPath) {
    for (const name of dbPath.split("/").filter(Boolean)) {
      const child = db.children.get(name);
      if (!child || !db.live("#databases", name, txn.snapshotNs)) return undefined;
      db = child;
    }
  }
  if (!target) return undefined;
  if (isBuiltinRole(target)) {
    const p = principal(target as BuiltinRole);
    p.kind = db === host.root && target === "admin" && role === "admin" ? "root" : "key";
    return { db, principal: p };
  }
  if (target.startsWith("@role/")) {
    const name = target.slice(6);
    if (!db.live("#roles", name, txn.snapshotNs)) return undefined;
    return { db, principal: { kind: "key", builtin: null, roles: [name], baseline: false } };
  }
  if (isDoc) {
    const parts = target.slice(5).split("/");
    const [coll, id] = parts.length === 3 ? [parts[1]!, parts[2]!] : [parts[0]!, parts[1]!];
    if (!coll || !id || !db.live(coll, id, txn.snapshotNs)) return undefined;
    const identity = new Ref(id, new Ref(coll, native("collections")));
    return { db, principal: { kind: "key", builtin: null, roles: rolesFor(host, db, identity, txn), identity, baseline: true } };
  }
  return undefined;
}

/**
 * Every role with a membership entry for the identity's collection whose predicate (if any)
 * holds. A predicate runs as FaunaDB runs it (`LambdaWrapper.evalPredicate`): read-only, and
 * still as the login it decides about, so `CurrentToken()` there is the token being
 * authenticated (`Get(CurrentToken())`, as Fauna's refresh-token blueprint does).
 */
export function rolesFor(host: Host, db: Database, identity: Ref, txn: Txn, token?: Ref): string[] {
  const roles: string[] = [];
  const store = db.store("#roles");
  if (!store) return roles;
  for (const role of store.docs.values()) {
    const membership = role.fields.get("membership");
    const entries: Value[] = Array.isArray(membership) ? membership : membership ? [membership] : [];
    for (const m of entries) {
      if (!(m instanceof Map)) continue;
      const res = m.get("resource");
      if (!(res instanceof Ref) || res.id !== identity.coll?.id) continue;
      const pred = m.get("predicate");
      if (pred instanceof LambdaV) {
        const ctx = new Ctx(host, db, { ...PREDICATE_PRINCIPAL, identity, token }, txn);
        let ok: Value = false;
        try {
          ok = applyLambda(ctx, pred, identity, []);
        } catch (e) {
          if (e instanceof RequestError) throw e;
          ok = false;
        }
        if (ok !== true) continue;
      }
      roles.push(role.ref.id);
      break;
    }
  }
  return roles;
}
