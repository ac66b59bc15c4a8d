/**
 * The idempotent deploy that makes a database match the schema: the ledger's collections
 * and indexes as lib/core/ledger/layout.ts defines them (the same definitions the
 * exchange, the cleanup and revocation query), the users' collection and index, and the
 * optional user role (role.ts); the migration of a deployment of an earlier layout (with
 * `migrate`); and the wait until FaunaDB has built every index (indexes.ts).
 */
import faunadb from "faunadb";
import {
  DEFAULT_USERS_COLLECTION,
  LEDGER_COLLECTIONS,
  LEDGER_INDEXES,
  TOKENS_SOURCE,
  usersIndexDefinition,
  type IndexDefinition,
} from "../ledger/layout.ts";
import { FaunaSecretRefused, Misconfigured, SchemaConflict, SchemaDeployNotConverging, SchemaMigrationNeeded } from "../errors/index.ts";
import { FAUNA_ERROR, faunaFailure } from "../fauna/failures.ts";
import { queryBefore } from "../fauna/client.ts";
import { DEFAULT_QUERY_TIMEOUT_MS } from "../budgets.ts";
import { Deadline } from "../deadline.ts";
import { roleDifferences, roleParams, userRoleDefinition, type ExistingRole, type RoleDefinition } from "./role.ts";
import { missingRoleResources, roleResourcesFql } from "./role-resources.ts";
import {
  buildsInBackgroundFql,
  indexDifferences,
  indexParams,
  serializedChange,
  updateSerializedFql,
  waitForIndexes,
  type ExistingIndex,
  type WaitOptions,
} from "./indexes.ts";

export { indexDifferences } from "./indexes.ts";

const q = faunadb.query;

/** How long deploy-schema waits, by default, for FaunaDB to build the indexes it needs. */
export const DEFAULT_INDEX_WAIT_MS = 300_000;
/** How often it asks meanwhile. */
export const DEFAULT_INDEX_POLL_MS = 500;

export interface SchemaDefinition {
  collections: string[];
  indexes: IndexDefinition[];
  roles: RoleDefinition[];
}

export interface SchemaOptions {
  withUsers?: boolean;
  /** The least-privilege role of the users (role.ts); needs an admin key. */
  withUserRole?: boolean;
  usersCollection?: string;
  usersIndex?: string;
  /** Roles of the application's own (a roles file: roles-file.ts), deployed and drift-checked beside `user_self`; need an admin key. */
  roles?: RoleDefinition[];
  /**
   * Change a deployment of an earlier layout (indexes whose `serialized` flag differs, in
   * place) and add what it lacks. Without it such a deployment is refused with
   * `SchemaMigrationNeeded`, which says what would change, and nothing is changed.
   */
  migrate?: boolean;
  /** Wait at most this long for every index to be built (default DEFAULT_INDEX_WAIT_MS; 0: look once). */
  waitMs?: number;
  /** Time between two looks while waiting (default DEFAULT_INDEX_POLL_MS). */
  pollMs?: number;
  /** Told which indexes are still building and how long it has waited (a command line's progress). */
  onWait?: WaitOptions["onWait"];
}

export function schemaDefinition(opts: SchemaOptions = {}): SchemaDefinition {
  const collections: string[] = LEDGER_COLLECTIONS.map((c) => c.name);
  const indexes = [...LEDGER_INDEXES];
  if (opts.withUsers) {
    collections.push(opts.usersCollection ?? DEFAULT_USERS_COLLECTION);
    indexes.push(usersIndexDefinition(opts.usersCollection, opts.usersIndex));
  }
  return { collections, indexes, roles: [...(opts.withUserRole ? [userRoleDefinition(opts.usersCollection)] : []), ...(opts.roles ?? [])] };
}

export interface DeployReport {
  /** e.g. "collection auth0_token_exchanges", in creation order. */
  created: string[];
  /** Changes made in place by `migrate`, e.g. "index auth0_token_exchanges_by_user: serialized: true → false". */
  migrated: string[];
  /** Objects that already existed with the expected definition. */
  existing: string[];
  /** Indexes FaunaDB was still building when the wait ended (empty: every index is active). */
  building: string[];
}

export interface State {
  collections: boolean[];
  indexes: (ExistingIndex | null)[];
  /** Per index: whether creating it would build in the background (only asked of missing ones). */
  background: boolean[];
  roles: (ExistingRole | null)[];
  /** Whether each role's member collections exist (they must, before the role can be created). */
  memberCollections: boolean[][];
  /** Whether each role's privileges' resources exist (role-resources.ts). */
  privilegeResources: boolean[][];
}

/** What the database holds of `def`, in one read-only query (the doctor reads it too: lib/core/schema/drift.ts). */
export async function readState(client: faunadb.Client, def: SchemaDefinition): Promise<State> {
  return queryBefore<State>(client, {
    collections: def.collections.map((c) => q.Exists(q.Collection(c))),
    indexes: def.indexes.map((i) => q.If(q.Exists(q.Index(i.name)), q.Get(q.Index(i.name)), null)),
    background: def.indexes.map((i) =>
      q.If(q.Or(q.Exists(q.Index(i.name)), q.Not(sourceExistsFql(i.source))), false, buildsInBackgroundFql(i.source)),
    ),
    roles: def.roles.map((r) => q.If(q.Exists(q.Role(r.name)), q.Get(q.Role(r.name)), null)),
    memberCollections: def.roles.map((r) => r.membership.map((c) => q.Exists(q.Collection(c)))),
    privilegeResources: roleResourcesFql(def.roles),
  }, Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
}

/**
 * Roles are an admin key's business: a server key sees no role at all (`Exists`
 * answers false) and is refused when it creates one. Asked first, so a server key
 * is reported before anything is created.
 */
async function checkRolesManageable(client: faunadb.Client, why: string): Promise<void> {
  try {
    await queryBefore(client, q.Paginate(q.Roles(), { size: 1 }), Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
  } catch (e) {
    if (faunaFailure(e)?.code !== FAUNA_ERROR.permissionDenied) throw e;
    throw new FaunaSecretRefused("insufficient", `${why} creates a role, which needs an admin key: FAUNA_SECRET is not one`);
  }
}

function sourceExistsFql(source: string): faunadb.ExprArg {
  return source === TOKENS_SOURCE ? true : q.Exists(q.Collection(source));
}

function collectionParams(name: string): Record<string, unknown> {
  return { ...(LEDGER_COLLECTIONS.find((c) => c.name === name) ?? { name }) };
}

function isAlreadyExists(e: unknown): boolean {
  return faunaFailure(e)?.code === FAUNA_ERROR.instanceAlreadyExists;
}

/** What deploySchema found: conflicts, in-place changes, and what is missing (the doctor's drift check too). */
export interface Plan {
  conflicts: string[];
  conflicting: string[];
  /** Ledger indexes whose `serialized` flag an earlier version set otherwise, with the change. */
  migrations: { index: IndexDefinition; change: string }[];
  missingCollections: string[];
  missingIndexes: IndexDefinition[];
  missingRoles: RoleDefinition[];
}

export function plan(def: SchemaDefinition, state: State): Plan {
  const p: Plan = { conflicts: [], conflicting: [], migrations: [], missingCollections: [], missingIndexes: [], missingRoles: [] };
  const check = (kind: string, name: string, differences: string[]) => {
    if (differences.length === 0) return;
    p.conflicting.push(`${kind} ${name}`);
    p.conflicts.push(...differences.map((d) => `${name}: ${d}`));
  };
  def.indexes.forEach((i, n) => {
    const existing = state.indexes[n];
    if (!existing) return void p.missingIndexes.push(i);
    check("index", i.name, indexDifferences(i, existing));
    // Only the ledger's own indexes: the users index is the application's to tune.
    const change = LEDGER_INDEXES.includes(i) ? serializedChange(i, existing) : null;
    if (change) p.migrations.push({ index: i, change });
  });
  def.roles.forEach((r, n) => {
    const existing = state.roles[n];
    if (existing) check("role", r.name, roleDifferences(r, existing));
    else p.missingRoles.push(r);
  });
  p.missingCollections = def.collections.filter((_, n) => !state.collections[n]);
  return p;
}

/** What `migrate` would do, one line each, in the order it does it. */
function migrationLines(def: SchemaDefinition, state: State, p: Plan): string[] {
  const background = (i: IndexDefinition) => (state.background[def.indexes.indexOf(i)] ? ` (over ${i.source}: more than 128 documents, so FaunaDB builds it in the background; deploy-schema waits for it)` : "");
  return [
    ...p.missingCollections.map((c) => `create collection ${c}`),
    ...p.missingIndexes.map((i) => `create index ${i.name}${background(i)}`),
    ...p.migrations.map((m) => `update index ${m.index.name}: ${m.change} (in place: no entry is rewritten)`),
    ...p.missingRoles.map((r) => `create role ${r.name}`),
  ];
}

/**
 * Create whatever is missing; leave what matches; refuse (SchemaConflict) an index or role
 * that exists with another definition; change a deployment of an earlier layout only with
 * `migrate` (SchemaMigrationNeeded otherwise, changing nothing); then wait until FaunaDB
 * has built every index (`building` names those it still builds when the wait ends).
 * Collections, indexes and roles are created in separate queries because Fauna does not let
 * an index be built on a collection created in the same transaction (roles, which name
 * collections, follow for the same reason). A concurrent deploy that wins a race is
 * detected ("instance already exists") and the state is read again, as often as it happens:
 * each time at least one object of the plan was created by another deploy, so it converges
 * within as many attempts as the plan has objects (`SchemaDeployNotConverging` otherwise).
 */
export async function deploySchema(client: faunadb.Client, opts: SchemaOptions = {}): Promise<DeployReport> {
  const def = schemaDefinition(opts);
  if (def.roles.length > 0) await checkRolesManageable(client, opts.withUserRole ? "--with-user-role" : "--roles");
  const created: string[] = [];
  const migrated: string[] = [];
  const send = (expr: faunadb.ExprArg) => queryBefore(client, expr, Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
  const objects = def.collections.length + def.indexes.length + def.roles.length;
  for (let attempt = 0; ; attempt++) {
    const state = await readState(client, def);
    const p = plan(def, state);
    if (p.conflicts.length > 0) throw new SchemaConflict(p.conflicting.join(", "), p.conflicts);
    const absent: string[] = [];
    for (const r of p.missingRoles) {
      const n = def.roles.indexOf(r);
      r.membership.forEach((c, m) => {
        if (state.memberCollections[n]![m] || p.missingCollections.includes(c)) return;
        absent.push(`role ${r.name} needs the collection ${c}, which does not exist: add --with-users or create it`);
      });
    }
    absent.push(...missingRoleResources(def, state.privilegeResources, state.roles, { collections: p.missingCollections, indexes: p.missingIndexes.map((i) => i.name) }));
    if (absent.length > 0) throw new Misconfigured(absent);
    if (p.migrations.length > 0 && !opts.migrate) throw new SchemaMigrationNeeded(migrationLines(def, state, p));
    try {
      if (p.missingCollections.length > 0) {
        await send(q.Do(...p.missingCollections.map((name) => q.CreateCollection(collectionParams(name)))));
        created.push(...p.missingCollections.map((c) => `collection ${c}`));
      }
      if (p.missingIndexes.length > 0) {
        await send(q.Do(...p.missingIndexes.map((i) => q.CreateIndex(indexParams(i)))));
        created.push(...p.missingIndexes.map((i) => `index ${i.name}`));
      }
      if (p.migrations.length > 0) {
        await send(q.Do(...p.migrations.map((m) => updateSerializedFql(m.index))));
        migrated.push(...p.migrations.map((m) => `index ${m.index.name}: ${m.change}`));
      }
      if (p.missingRoles.length > 0) {
        await send(q.Do(...p.missingRoles.map((r) => q.CreateRole(roleParams(r)))));
        created.push(...p.missingRoles.map((r) => `role ${r.name}`));
      }
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      if (attempt < objects) continue;
      throw new SchemaDeployNotConverging(attempt + 1);
    }
    const building = await waitForIndexes(
      client,
      def.indexes.map((i) => i.name),
      { timeoutMs: opts.waitMs ?? DEFAULT_INDEX_WAIT_MS, pollMs: opts.pollMs ?? DEFAULT_INDEX_POLL_MS, onWait: opts.onWait },
    );
    const all = [
      ...def.collections.map((c) => `collection ${c}`),
      ...def.indexes.map((i) => `index ${i.name}`),
      ...def.roles.map((r) => `role ${r.name}`),
    ];
    const changed = new Set([...created, ...p.migrations.map((m) => `index ${m.index.name}`)]);
    return { created, migrated, existing: all.filter((x) => !changed.has(x)), building };
  }
}
