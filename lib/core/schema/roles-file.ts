/**
 * The roles file of `deploy-schema --roles FILE`: JSON, read and checked here before
 * anything is sent to FaunaDB. Every problem names the role (by name, or by position when
 * it has none) and the field, and all of them are reported at once (`RolesFileInvalid`).
 *
 *   {"roles": [
 *     {"name": "orders_reader",
 *      "members": {"issuer": "https://example.eu.auth0.com/", "claim": "permissions", "contains": "read:orders"},
 *      "privileges": [{"resource": {"collection": "orders"}, "actions": {"read": true}},
 *                     {"resource": {"index": "orders_by_owner"}, "actions": {"read": true}}]}
 *   ]}
 *
 * `members.issuer` is required: the issuer (an `iss`, exactly) or issuers whose tokens' claims
 * the role trusts. deploy-schema cannot know for certain which issuers the exchange trusts
 * (it reads no identity configuration, and may run elsewhere), and a claim means what its
 * issuer means by it, so the file says it. `members.collection` defaults to the users
 * collection; `members.claim` is a TOKEN_CLAIMS name, or a path whose first element is one
 * (`["realm_access", "roles"]`); exactly one of `contains` (the claim is an array holding the
 * value) and `equals`. Privileges name a
 * collection, an index or a function, with boolean actions only: a predicate belongs in a
 * role written in FQL (roles add up).
 */
import { RolesFileInvalid } from "../errors/index.ts";
import { claimRoleDefinition, type ClaimRole, type ClaimTest, type ClaimValue } from "./claim-roles.ts";
import { resourceLabel, USER_ROLE, type RoleDefinition, type RoleResource } from "./role.ts";
import { isHttpUrl } from "../config/reader.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** FaunaDB reserves admin and server; the other two are the built-in key roles; user_self is deploy-schema's own. */
const RESERVED = ["admin", "server", "server-readonly", "client", USER_ROLE];
/** The actions each kind of resource has. */
const ACTIONS: Record<"collection" | "index" | "function", readonly string[]> = {
  collection: ["read", "write", "create", "create_with_id", "delete", "history_read", "history_write", "unrestricted_read"],
  index: ["read", "unrestricted_read", "history_read"],
  function: ["call"],
};
const list = (xs: readonly string[]) => xs.join(", ");

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Collects problems for one role, each prefixed with where it is. */
class Checker {
  readonly problems: string[] = [];
  constructor(private readonly where: string) {}
  problem(field: string, message: string): void {
    this.problems.push(`${this.where}: ${field} ${message}`);
  }
  /** Fields not in `allowed` are typos: named, not ignored. */
  onlyFields(o: Obj, field: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.problem(`${field}${field ? "." : ""}${k}`, `is not a field (the fields are ${list(allowed)})`);
  }
  name(v: unknown, field: string, what: string): string | undefined {
    if (typeof v === "string" && NAME.test(v)) return v;
    this.problem(field, `must be the name of ${what} (letters, digits and _, not starting with a digit)`);
    return undefined;
  }
}

function readTest(c: Checker, m: Obj): ClaimTest | undefined {
  const given = (["contains", "equals"] as const).filter((k) => k in m);
  if (given.length !== 1) return void c.problem("members", 'needs exactly one of "contains" and "equals"');
  const key = given[0]!;
  const v = m[key];
  const scalar = typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
  if (!scalar) return void c.problem(`members.${key}`, "must be a string, a number or a boolean");
  return key === "contains" ? { contains: v as ClaimValue } : { equals: v as ClaimValue };
}

function readClaim(c: Checker, v: unknown): string[] | undefined {
  const path = typeof v === "string" ? [v] : v;
  if (Array.isArray(path) && path.length > 0 && path.length <= 8 && path.every((p) => typeof p === "string" && p !== "" && p.length <= 256)) return path as string[];
  return void c.problem("members.claim", 'must be a TOKEN_CLAIMS name, or a path into one such as ["realm_access", "roles"]');
}

/** An issuer as the exchange compares it: the whole `iss`, an http(s) URL (Auth0's ends with "/"). */
function readIssuers(c: Checker, v: unknown): string[] | undefined {
  const issuers = typeof v === "string" ? [v] : v;
  const ok = (i: unknown) => typeof i === "string" && i.length <= 2048 && isHttpUrl(i) && !/\s/.test(i);
  if (Array.isArray(issuers) && issuers.length > 0 && issuers.every(ok)) return [...new Set(issuers as string[])];
  const given = v === undefined ? "is required: " : "must be ";
  return void c.problem(
    "members.issuer",
    `${given}the issuer whose tokens' claims this role trusts, exactly as in its tokens' iss (e.g. "https://example.eu.auth0.com/"), or an array of them`,
  );
}

function readMembers(c: Checker, v: unknown, usersCollection: string): Pick<ClaimRole, "collection" | "issuers" | "claim" | "test"> | undefined {
  if (!isObject(v)) return void c.problem("members", 'must be an object: {"issuer", "claim", and "contains" or "equals"; "collection" (default the users collection)}');
  c.onlyFields(v, "members", ["collection", "issuer", "claim", "contains", "equals"]);
  const collection = v.collection === undefined ? usersCollection : c.name(v.collection, "members.collection", "a collection");
  const issuers = readIssuers(c, v.issuer);
  const claim = readClaim(c, v.claim);
  const test = readTest(c, v);
  return collection && issuers && claim && test ? { collection, issuers, claim, test } : undefined;
}

function readPrivilege(c: Checker, v: unknown, at: string): ClaimRole["privileges"][number] | undefined {
  if (!isObject(v)) return void c.problem(at, 'must be an object: {"resource": {"collection" | "index" | "function": name}, "actions": {…}}');
  c.onlyFields(v, at, ["resource", "actions"]);
  const r = v.resource;
  const kinds = isObject(r) ? (Object.keys(r) as (keyof typeof ACTIONS)[]) : [];
  if (!isObject(r) || kinds.length !== 1 || !(kinds[0]! in ACTIONS)) {
    return void c.problem(`${at}.resource`, 'must name one collection, index or function: {"collection": "orders"}');
  }
  const kind = kinds[0]!;
  const name = c.name(r[kind], `${at}.resource.${kind}`, `a ${kind}`);
  const actions = v.actions;
  if (!isObject(actions) || Object.keys(actions).length === 0) return void c.problem(`${at}.actions`, `must be an object of ${kind} actions (${list(ACTIONS[kind])})`);
  const before = c.problems.length;
  for (const [action, granted] of Object.entries(actions)) {
    if (!ACTIONS[kind].includes(action)) c.problem(`${at}.actions.${action}`, `is not an action on a ${kind} (${list(ACTIONS[kind])})`);
    else if (typeof granted !== "boolean") c.problem(`${at}.actions.${action}`, "must be true or false (a predicate belongs in a role written in FQL)");
  }
  if (name === undefined || c.problems.length > before) return undefined;
  return { resource: { [kind]: name } as RoleResource, actions: actions as Record<string, boolean> };
}

function readRole(v: unknown, n: number, usersCollection: string): { role?: ClaimRole; problems: string[] } {
  const named = isObject(v) && typeof v.name === "string" && v.name !== "" ? `role ${JSON.stringify(v.name)}` : `roles[${n}]`;
  const c = new Checker(named);
  if (!isObject(v)) return { problems: [`roles[${n}]: must be an object: {"name", "members", "privileges"}`] };
  c.onlyFields(v, "", ["name", "members", "privileges"]);
  const name = c.name(v.name, "name", "the role");
  if (name && RESERVED.includes(name)) c.problem("name", `is reserved (${list(RESERVED)})`);
  const members = readMembers(c, v.members, usersCollection);
  const given = v.privileges;
  if (!Array.isArray(given) || given.length === 0) c.problem("privileges", "must be a non-empty array");
  const privileges = (Array.isArray(given) ? given : []).map((p, i) => readPrivilege(c, p, `privileges[${i}]`));
  // FaunaDB would grant the union of two entries; deploy-schema counts a repeated resource as drift.
  const labels = privileges.map((p) => (p ? resourceLabel(p.resource) : undefined));
  labels.forEach((l, i) => {
    if (l !== undefined && labels.indexOf(l) < i) c.problem(`privileges[${i}].resource`, `names ${l} again: list each resource once, with all its actions`);
  });
  if (c.problems.length > 0 || !name || !members || privileges.some((p) => !p)) return { problems: c.problems };
  return { role: { name, ...members, privileges: privileges as ClaimRole["privileges"] }, problems: [] };
}

/**
 * The roles a roles file defines, as deploy-schema deploys them; `RolesFileInvalid` naming
 * `file` and every problem otherwise. `usersCollection` is the members' collection when a
 * role names none (FAUNA_USERS_COLLECTION).
 */
export function parseRolesFile(text: string, file: string, usersCollection: string): RoleDefinition[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RolesFileInvalid(file, [`not JSON (${(e as Error).message})`]);
  }
  if (!isObject(doc) || !Array.isArray(doc.roles) || Object.keys(doc).some((k) => k !== "roles")) {
    throw new RolesFileInvalid(file, ['must be {"roles": [ … ]} (see docs/roles.md, "Roles from claims")']);
  }
  const read = doc.roles.map((r, n) => readRole(r, n, usersCollection));
  const problems = read.flatMap((r) => r.problems);
  const roles = read.flatMap((r) => (r.role ? [r.role] : []));
  const seen = new Set<string>();
  for (const r of roles) {
    if (seen.has(r.name)) problems.push(`role ${JSON.stringify(r.name)}: name is given to two roles`);
    seen.add(r.name);
  }
  if (doc.roles.length === 0) problems.push("roles is empty: nothing to deploy");
  if (problems.length > 0) throw new RolesFileInvalid(file, problems);
  return roles.map(claimRoleDefinition);
}
