/**
 * The demo's data for `npm start`: an `orders` collection with two orders and an index over
 * it (what an app would have), and the role scripts/demo-roles.json defines, which lets a
 * secret read them only when the JWT it came from carried the `read:orders` permission
 * (TOKEN_CLAIMS=permissions puts it on the secret's token). The role is deployed by the
 * same code as `deploy-schema --roles scripts/demo-roles.json`.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import faunadb from "faunadb";
import { parseRolesFile } from "../lib/core/schema/roles-file.ts";
import type { RoleDefinition } from "../lib/core/schema/role.ts";

const q = faunadb.query;

export const DEMO_ROLES_FILE = resolve(import.meta.dirname, "demo-roles.json");
/** The claim the demo's role grants by, and the permission in it. */
export const DEMO_TOKEN_CLAIMS = "permissions";
export const DEMO_PERMISSION = "read:orders";

/** The orders the page lists (created before the role: a role names existing collections). */
export async function createDemoOrders(root: faunadb.Client): Promise<void> {
  await root.query(q.CreateCollection({ name: "orders" }));
  await root.query(q.CreateIndex({ name: "all_orders", source: q.Collection("orders") }));
  await root.query(
    q.Do(
      q.Create(q.Collection("orders"), { data: { item: "Darjeeling, 250 g", quantity: 2 } }),
      q.Create(q.Collection("orders"), { data: { item: "Sencha, 100 g", quantity: 1 } }),
    ),
  );
}

/** The roles of scripts/demo-roles.json, over the users collection. */
export function demoRoles(usersCollection: string): RoleDefinition[] {
  return parseRolesFile(readFileSync(DEMO_ROLES_FILE, "utf8"), "scripts/demo-roles.json", usersCollection);
}
