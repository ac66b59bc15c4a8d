/**
 * The idempotent deploy that makes a database match the schema: the ledger's collection
 * and indexes as lib/core/ledger/layout.ts defines them (the same definitions the
 * exchange, the cleanup and revocation query), the users' collection and index, and the
 * optional user role (role.ts).
 */
import faunadb from "faunadb";
import {
  DEFAULT_USERS_COLLECTION,
  LEDGER_COLLECTION,
  LEDGER_COLLECTION_PARAMS,
  LEDGER_INDEXES,
  usersIndexDefinition,
  type IndexDefinition,
} from "../ledger/layout.ts";
import { FaunaSecretRefused, Misconfigured, SchemaConflict } from "../errors/index.ts";
import { FAUNA_ERROR, faunaFailure } from "../fauna/failures.ts";
import { queryBefore } from "../fauna/client.ts";
import { DEFAULT_QUERY_TIMEOUT_MS } from "../budgets.ts";
import { Deadline } from "../deadline.ts";
import { roleDifferences, roleParams, userRoleDefinition, type ExistingRole, type RoleDefinition } from "./role.ts";

const q = faunadb.query;

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
}

export function schemaDefinition(opts: SchemaOptions = {}): SchemaDefinition {
  const collections = [LEDGER_COLLECTION];
  const indexes = [...LEDGER_INDEXES];
  if (opts.withUsers) {
    collections.push(opts.usersCollection ?? DEFAULT_USERS_COLLECTION);
    indexes.push(usersIndexDefinition(opts.usersCollection, opts.usersIndex));
  }
  return { collections, indexes, roles: opts.withUserRole ? [userRoleDefinition(opts.usersCollection)] : [] };
}

export interface DeployReport {
  /** e.g. "collection auth0_token_exchanges", in creation order. */
  created: string[];
  /** Objects that already existed with the expected definition. */
  existing: string[];
}

interface ExistingIndex {
  source?: unknown;
  terms?: unknown;
  values?: unknown;
  unique?: unknown;
}

function normalizeFields(fields: unknown): string {
  if (!Array.isArray(fields)) return "[]";
  return JSON.stringify(
    fields.map((f: { field?: unknown; reverse?: unknown }) => ({
      field: Array.isArray(f.field) ? f.field : [f.field],
      reverse: f.reverse === true,
    })),
  );
}

function sourceName(source: unknown): string {
  if (source instanceof faunadb.values.Ref) return source.id;
  return JSON.stringify(source);
}

/** Human-readable differences between a deployed index and its definition (empty when equal). */
export function indexDifferences(def: IndexDefinition, existing: ExistingIndex): string[] {
  const diffs: string[] = [];
  if (sourceName(existing.source) !== def.source) diffs.push(`source is ${sourceName(existing.source)}, expected ${def.source}`);
  if (normalizeFields(existing.terms) !== normalizeFields(def.terms)) {
    diffs.push(`terms are ${normalizeFields(existing.terms)}, expected ${normalizeFields(def.terms)}`);
  }
  if (normalizeFields(existing.values) !== normalizeFields(def.values)) {
    diffs.push(`values are ${normalizeFields(existing.values)}, expected ${normalizeFields(def.values)}`);
  }
  if ((existing.unique === true) !== def.unique) diffs.push(`unique is ${existing.unique === true}, expected ${def.unique}`);
  return diffs;
}

export interface State {
  collections: boolean[];
  indexes: (ExistingIndex | null)[];
  roles: (ExistingRole | null)[];
  /** Whether each role's member collections exist (they must, before the role can be created). */
  memberCollections: boolean[][];
}

/** What the database holds of `def`, in one read-only query (the doctor reads it too: lib/core/schema/drift.ts). */
export async function readState(client: faunadb.Client, def: SchemaDefinition): Promise<State> {
  return queryBefore<State>(client, {
    collections: def.collections.map((c) => q.Exists(q.Collection(c))),
    indexes: def.indexes.map((i) => q.If(q.Exists(q.Index(i.name)), q.Get(q.Index(i.name)), null)),
    roles: def.roles.map((r) => q.If(q.Exists(q.Role(r.name)), q.Get(q.Role(r.name)), null)),
    memberCollections: def.roles.map((r) => r.membership.map((c) => q.Exists(q.Collection(c)))),
  }, Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
}

/**
 * Roles are an admin key's business: a server key sees no role at all (`Exists`
 * answers false) and is refused when it creates one. Asked first, so a server key
 * is reported before anything is created.
 */
async function checkRolesManageable(client: faunadb.Client): Promise<void> {
  try {
    await queryBefore(client, q.Paginate(q.Roles(), { size: 1 }), Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
  } catch (e) {
    if (faunaFailure(e)?.code !== FAUNA_ERROR.permissionDenied) throw e;
    throw new FaunaSecretRefused("insufficient", "--with-user-role creates a role, which needs an admin key: FAUNA_SECRET is not one");
  }
}

function collectionParams(name: string): Record<string, unknown> {
  return name === LEDGER_COLLECTION ? { ...LEDGER_COLLECTION_PARAMS } : { name };
}

function indexParams(i: IndexDefinition): Record<string, unknown> {
  return {
    name: i.name,
    source: q.Collection(i.source),
    ...(i.terms.length > 0 ? { terms: i.terms } : {}),
    ...(i.values.length > 0 ? { values: i.values } : {}),
    unique: i.unique,
    serialized: i.serialized,
  };
}

function isAlreadyExists(e: unknown): boolean {
  return faunaFailure(e)?.code === FAUNA_ERROR.instanceAlreadyExists;
}

/**
 * Create whatever is missing; leave what matches; refuse (SchemaConflict) an
 * index or role that exists with another definition. Collections, indexes and
 * roles are created in separate queries because Fauna does not let an index be
 * built on a collection created in the same transaction (roles, which name
 * collections, follow for the same reason). A concurrent deploy that wins a
 * race is detected ("instance already exists") and the state is read again.
 */
export async function deploySchema(client: faunadb.Client, opts: SchemaOptions = {}): Promise<DeployReport> {
  const def = schemaDefinition(opts);
  if (def.roles.length > 0) await checkRolesManageable(client);
  const created: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const state = await readState(client, def);
    const conflicts: string[] = [];
    const conflicting: string[] = [];
    const check = (kind: string, name: string, differences: string[]) => {
      if (differences.length === 0) return;
      conflicting.push(`${kind} ${name}`);
      conflicts.push(...differences.map((d) => `${name}: ${d}`));
    };
    def.indexes.forEach((i, n) => {
      const existing = state.indexes[n];
      if (existing) check("index", i.name, indexDifferences(i, existing));
    });
    def.roles.forEach((r, n) => {
      const existing = state.roles[n];
      if (existing) check("role", r.name, roleDifferences(r, existing));
    });
    if (conflicts.length > 0) throw new SchemaConflict(conflicting.join(", "), conflicts);
    const missingCollections = def.collections.filter((_, n) => !state.collections[n]);
    const missingIndexes = def.indexes.filter((_, n) => !state.indexes[n]);
    const missingRoles = def.roles.filter((_, n) => !state.roles[n]);
    const absent: string[] = [];
    def.roles.forEach((r, n) => {
      if (state.roles[n]) return;
      r.membership.forEach((c, m) => {
        if (state.memberCollections[n]![m] || missingCollections.includes(c)) return;
        absent.push(`role ${r.name} needs the collection ${c}, which does not exist: add --with-users or create it`);
      });
    });
    if (absent.length > 0) throw new Misconfigured(absent);
    try {
      if (missingCollections.length > 0) {
        await queryBefore(client, q.Do(...missingCollections.map((name) => q.CreateCollection(collectionParams(name)))), Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
        created.push(...missingCollections.map((c) => `collection ${c}`));
      }
      if (missingIndexes.length > 0) {
        await queryBefore(client, q.Do(...missingIndexes.map((i) => q.CreateIndex(indexParams(i)))), Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
        created.push(...missingIndexes.map((i) => `index ${i.name}`));
      }
      if (missingRoles.length > 0) {
        await queryBefore(client, q.Do(...missingRoles.map((r) => q.CreateRole(roleParams(r)))), Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
        created.push(...missingRoles.map((r) => `role ${r.name}`));
      }
    } catch (e) {
      if (attempt === 0 && isAlreadyExists(e)) continue;
      throw e;
    }
    const all = [
      ...def.collections.map((c) => `collection ${c}`),
      ...def.indexes.map((i) => `index ${i.name}`),
      ...def.roles.map((r) => `role ${r.name}`),
    ];
    return { created, existing: all.filter((x) => !created.includes(x)) };
  }
}
