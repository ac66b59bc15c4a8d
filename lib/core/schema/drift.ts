/**
 * The schema compared with what deploy-schema would deploy, without changing anything:
 * the same definitions (`schemaDefinition`), the same read (`readState`) and the same
 * comparison (`plan`: conflicts, the in-place changes of `--migrate`, what is missing) as
 * deploy.ts, plus whether FaunaDB has finished building each index. The doctor's schema
 * and index checks.
 */
import type faunadb from "faunadb";
import { plan, readState, schemaDefinition, type SchemaOptions } from "./deploy.ts";

export interface SchemaDrift {
  /** What deploy-schema would create, e.g. "index users_by_auth0_id". */
  missing: string[];
  /** Objects deploy-schema would refuse (ERR_SCHEMA_CONFLICT), one line per difference. */
  conflicts: string[];
  /** What `deploy-schema --migrate` would change in place, e.g. "index X: serialized: true → false". */
  migrations: string[];
  /** Indexes FaunaDB is still building (`active: false`). */
  building: string[];
  /** The users' role (optional): as deployed, absent (or invisible to a key that is not an admin key), or otherwise. */
  role: { name: string; state: "matches" | "absent" | "differs" } | null;
}

/**
 * Reads the schema and compares it with `opts`' definition (the users collection and index
 * are always included: the exchange needs them). Read-only: one query. A role FaunaDB does
 * not show (a server key sees none) counts as absent, which is no drift: the role is optional.
 */
export async function schemaDrift(client: faunadb.Client, opts: Pick<SchemaOptions, "usersCollection" | "usersIndex">): Promise<SchemaDrift> {
  const def = schemaDefinition({ ...opts, withUsers: true, withUserRole: true });
  const state = await readState(client, def);
  const p = plan(def, state);
  const role = def.roles[0];
  return {
    missing: [...p.missingCollections.map((c) => `collection ${c}`), ...p.missingIndexes.map((i) => `index ${i.name}`)],
    conflicts: p.conflicts,
    migrations: p.migrations.map((m) => `index ${m.index.name}: ${m.change}`),
    building: def.indexes.filter((_, n) => state.indexes[n]?.active === false).map((i) => i.name),
    role: role ? { name: role.name, state: p.missingRoles.includes(role) ? "absent" : p.conflicting.includes(`role ${role.name}`) ? "differs" : "matches" } : null,
  };
}
