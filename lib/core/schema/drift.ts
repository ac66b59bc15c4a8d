/**
 * The schema compared with what deploy-schema would deploy, without changing anything:
 * the same definitions (`schemaDefinition`), the same read (`readState`) and the same
 * comparisons (`indexDifferences`, `roleDifferences`) as deploy.ts, plus whether FaunaDB
 * has finished building each index. The doctor's schema and index checks.
 */
import type faunadb from "faunadb";
import { readState, schemaDefinition, indexDifferences, type SchemaOptions } from "./deploy.ts";
import { roleDifferences } from "./role.ts";

export interface SchemaDrift {
  /** What deploy-schema would create, e.g. "index users_by_auth0_id". */
  missing: string[];
  /** Objects deploy-schema would refuse (ERR_SCHEMA_CONFLICT), one line per difference. */
  conflicts: string[];
  /** Indexes FaunaDB is still building (`active: false`). */
  building: string[];
  /** The users' role (optional): as deployed, absent, or invisible to a key that is not an admin key. */
  role: { name: string; state: "matches" | "absent" | "differs" } | null;
}

/**
 * Reads the schema and compares it with `opts`' definition (the users collection and index
 * are always included: the exchange needs them). Read-only: one query. A role FaunaDB does
 * not show (a server key sees none) counts as absent, which is no drift: the role is optional.
 */
export async function schemaDrift(client: faunadb.Client, opts: Omit<SchemaOptions, "withUsers" | "withUserRole">): Promise<SchemaDrift> {
  const def = schemaDefinition({ ...opts, withUsers: true, withUserRole: true });
  const state = await readState(client, def);
  const drift: SchemaDrift = { missing: [], conflicts: [], building: [], role: null };
  def.collections.forEach((c, n) => {
    if (!state.collections[n]) drift.missing.push(`collection ${c}`);
  });
  def.indexes.forEach((i, n) => {
    const existing = state.indexes[n];
    if (!existing) return void drift.missing.push(`index ${i.name}`);
    drift.conflicts.push(...indexDifferences(i, existing).map((d) => `${i.name}: ${d}`));
    if ((existing as { active?: unknown }).active === false) drift.building.push(i.name);
  });
  def.roles.forEach((r, n) => {
    const existing = state.roles[n];
    const differences = existing ? roleDifferences(r, existing) : [];
    drift.conflicts.push(...differences.map((d) => `${r.name}: ${d}`));
    drift.role = { name: r.name, state: !existing ? "absent" : differences.length > 0 ? "differs" : "matches" };
  });
  return drift;
}
