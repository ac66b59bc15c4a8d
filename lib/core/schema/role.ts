/**
 * The least-privilege role `deploy-schema --with-user-role` creates, as data, and
 * how a deployed role is compared with it. Every secret the exchange issues acts
 * as a user document, so a role whose members are the users collection applies
 * to all of them; this one lets a secret read its own user document and nothing
 * else. Apps grant more in roles of their own (roles add up), so this one can be
 * drift-checked on every deploy.
 */
import faunadb from "faunadb";
import { DEFAULT_USERS_COLLECTION } from "../ledger/layout.ts";
import { stable } from "./stable.ts";

const q = faunadb.query;

/** The least-privilege role of `deploy-schema --with-user-role`: a secret may read its own user document. */
export const USER_ROLE = "user_self";

/** An action is granted always (`true`), never (`false`), or when a `Query(Lambda(…))` predicate holds. */
export type RoleAction = boolean | faunadb.Expr;

/** What a privilege is about: a collection, an index or a user-defined function, by name. */
export type RoleResource = { collection: string } | { index: string } | { function: string };

export interface RoleDefinition {
  name: string;
  /** Collections whose documents are members. */
  membership: string[];
  /** A `Query(Lambda("ref", …))` a member must also satisfy, on every membership collection; none: every document. */
  membershipPredicate?: faunadb.Expr;
  privileges: { resource: RoleResource; actions: Record<string, RoleAction> }[];
}

/** The resource's ref: `Collection(name)`, `Index(name)` or `Function(name)`. */
export function resourceRef(r: RoleResource): faunadb.Expr {
  if ("collection" in r) return q.Collection(r.collection);
  if ("index" in r) return q.Index(r.index);
  return q.Function(r.function);
}

/** How FaunaDB names the resource in a ref: `collections/orders`, `indexes/…`, `functions/…`. */
export function resourceLabel(r: RoleResource): string {
  if ("collection" in r) return `collections/${r.collection}`;
  if ("index" in r) return `indexes/${r.index}`;
  return `functions/${r.function}`;
}

export function userRoleDefinition(usersCollection = DEFAULT_USERS_COLLECTION): RoleDefinition {
  return {
    name: USER_ROLE,
    membership: [usersCollection],
    privileges: [
      {
        resource: { collection: usersCollection },
        // Read access to a user document only for the secret that acts as it.
        actions: { read: q.Query(q.Lambda("ref", q.Equals(q.CurrentIdentity(), q.Var("ref")))) },
      },
    ],
  };
}

export function roleParams(r: RoleDefinition): Record<string, unknown> {
  return {
    name: r.name,
    membership: r.membership.map((c) => ({ resource: q.Collection(c), ...(r.membershipPredicate ? { predicate: r.membershipPredicate } : {}) })),
    privileges: r.privileges.map((p) => ({ resource: resourceRef(p.resource), actions: p.actions })),
  };
}

/** A role document as `Get(Role(name))` returns it. */
export interface ExistingRole {
  membership?: unknown;
  privileges?: unknown;
}

/** Driver values and expressions in their wire form. */
function wire(v: unknown): unknown {
  return v === undefined ? undefined : asServerRenders(JSON.parse(JSON.stringify(v)));
}

/**
 * An expression as FaunaDB renders a stored lambda back: the driver sends `Let`'s bindings
 * as an array of one-binding objects, the server returns them as one object
 * (`Expression.scala`, `LetForm.literal`), in the same order.
 */
function asServerRenders(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asServerRenders);
  if (!v || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = asServerRenders(x);
  const bindings = out.let;
  if ("in" in out && Array.isArray(bindings) && bindings.every((b) => b && typeof b === "object" && !Array.isArray(b))) {
    out.let = Object.assign({}, ...(bindings as object[]));
  }
  return out;
}

/** `collections/users` for a collection ref; the wire JSON for anything else. */
function resourceName(v: unknown): string {
  const ref = (wire(v) as { "@ref"?: { id?: unknown; collection?: { "@ref"?: { id?: unknown } } } } | null)?.["@ref"];
  if (ref && typeof ref.id === "string") {
    const kind = ref.collection?.["@ref"]?.id;
    return typeof kind === "string" ? `${kind}/${ref.id}` : ref.id;
  }
  return stable(wire(v));
}

/**
 * A predicate as the lambda it holds: FaunaDB returns `{"@query": {api_version,
 * lambda, expr}}` for the `{"query": {lambda, expr}}` it was given.
 */
function actionText(v: unknown): string {
  const w = wire(v) as Record<string, unknown> | boolean | null;
  if (w && typeof w === "object") {
    const lambda = (w["@query"] ?? w.query) as Record<string, unknown> | undefined;
    if (lambda && typeof lambda === "object") {
      const { api_version: _version, ...rest } = lambda;
      return `Query(${stable(rest)})`;
    }
  }
  return stable(w);
}

/** Granted actions only: an action set to `false` is the same as one left out. */
function actionsText(actions: unknown): string {
  const entries = actions && typeof actions === "object" ? Object.entries(actions as Record<string, unknown>) : [];
  const granted = entries.filter(([, v]) => v !== false).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${granted.map(([k, v]) => `${k}: ${actionText(v)}`).join(", ")}}`;
}

const list = (v: unknown): Record<string, unknown>[] =>
  (v == null ? [] : Array.isArray(v) ? v : [v]) as Record<string, unknown>[];

/** What a stored membership entry and a stored privilege may hold: anything else is drift, never ignored. */
const MEMBERSHIP_KEYS = ["resource", "predicate"];
const PRIVILEGE_KEYS = ["resource", "actions"];

/** Keys of stored entries that the definition cannot have written, said once per entry. */
function unexpectedKeys(entries: Record<string, unknown>[], allowed: readonly string[], what: string): string[] {
  return entries.flatMap((e) => {
    const extra = Object.keys(e).filter((k) => !allowed.includes(k));
    return extra.length === 0 ? [] : [`${what} on ${resourceName(e.resource)} has ${extra.map((k) => `${k}: ${stable(wire(e[k]))}`).join(", ")}, which the definition has not`];
  });
}

/**
 * Human-readable differences between a deployed role and its definition (empty when equal).
 * Strict: every key of every stored membership entry and privilege is compared, and a
 * resource that appears in more than one stored privilege is drift in itself (FaunaDB grants
 * the union of their actions, so a second entry can widen a role whose first entry matches).
 */
export function roleDifferences(def: RoleDefinition, existing: ExistingRole): string[] {
  const diffs: string[] = [];
  const members = list(existing.membership);
  const privileges = list(existing.privileges);
  diffs.push(...unexpectedKeys(members, MEMBERSHIP_KEYS, "membership"), ...unexpectedKeys(privileges, PRIVILEGE_KEYS, "the privilege"));
  const haveMembers = members
    .map((m) => resourceName(m.resource) + (m.predicate == null ? "" : ` when ${actionText(m.predicate)}`))
    .sort();
  const when = def.membershipPredicate ? ` when ${actionText(def.membershipPredicate)}` : "";
  const wantMembers = def.membership.map((c) => `collections/${c}${when}`).sort();
  if (stable(haveMembers) !== stable(wantMembers)) {
    diffs.push(`membership is [${haveMembers.join(", ")}], expected [${wantMembers.join(", ")}]`);
  }
  const have = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  for (const p of privileges) {
    const resource = resourceName(p.resource);
    const actions = actionsText(p.actions);
    repeated.set(resource, [...(repeated.get(resource) ?? []), actions]);
    if (!have.has(resource)) have.set(resource, actions);
  }
  for (const [resource, all] of repeated) {
    if (all.length > 1) diffs.push(`privileges on ${resource} are listed ${all.length} times (${all.join(", ")}): FaunaDB grants the union of their actions`);
  }
  for (const p of def.privileges) {
    const resource = resourceLabel(p.resource);
    const want = actionsText(p.actions);
    const got = have.get(resource);
    if (got === undefined) diffs.push(`no privileges on ${resource}, expected ${want}`);
    else if (got !== want) diffs.push(`privileges on ${resource} are ${got}, expected ${want}`);
    have.delete(resource);
  }
  for (const [resource, got] of have) diffs.push(`privileges on ${resource} ${got} are not in the definition`);
  return diffs;
}
