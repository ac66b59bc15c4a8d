/**
 * A role can only be created over resources that exist: FaunaDB refuses a privilege on a
 * collection, index or function that is not there. deploy-schema asks first, with the rest
 * of its state, and names each one missing (unless it is about to create it), so that a
 * roles file naming an app's collection before the app created it is a clear error that
 * changes nothing.
 */
import faunadb from "faunadb";
import { resourceRef, type RoleDefinition, type RoleResource } from "./role.ts";

const q = faunadb.query;

/** FQL: per role, whether each of its privileges' resources exists. */
export function roleResourcesFql(roles: readonly RoleDefinition[]): faunadb.Expr[][] {
  return roles.map((r) => r.privileges.map((p) => q.Exists(resourceRef(p.resource))));
}

function describe(r: RoleResource): { kind: string; name: string } {
  if ("collection" in r) return { kind: "collection", name: r.collection };
  if ("index" in r) return { kind: "index", name: r.index };
  return { kind: "function", name: r.function };
}

/**
 * What is missing for the roles about to be created (`existingRoles[n]` null), as
 * problems; resources in `creating` (this deploy creates them first) are not missing.
 */
export function missingRoleResources(
  def: { roles: readonly RoleDefinition[] },
  exists: readonly (readonly boolean[])[],
  existingRoles: readonly unknown[],
  creating: { collections: readonly string[]; indexes: readonly string[] },
): string[] {
  const problems: string[] = [];
  def.roles.forEach((role, n) => {
    if (existingRoles[n]) return;
    role.privileges.forEach((p, m) => {
      if (exists[n]![m]) return;
      const { kind, name } = describe(p.resource);
      if ((kind === "collection" && creating.collections.includes(name)) || (kind === "index" && creating.indexes.includes(name))) return;
      problems.push(`role ${role.name} grants on the ${kind} ${name}, which does not exist: create it before the role`);
    });
  });
  return problems;
}
