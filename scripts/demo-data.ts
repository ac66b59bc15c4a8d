/**
 * The demo's data for `npm start`: an `orders` collection with two orders and an index over
 * it (what an app would have), and the role scripts/demo-roles.json defines, which lets a
 * secret read them only when the JWT it came from carried the `read:orders` permission
 * (TOKEN_CLAIMS=permissions puts it on the secret's token), on the dev issuer's word. The role is deployed by the
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

/**
 * The roles of scripts/demo-roles.json, over the users collection, on the word of the dev
 * issuer that is running: the file names npm start's default one (`http://127.0.0.1:8890/`),
 * and ISSUER_PORT may put it elsewhere, so its `members.issuer` is the running one's here.
 */
export function demoRoles(usersCollection: string, issuer: string): RoleDefinition[] {
  const file = JSON.parse(readFileSync(DEMO_ROLES_FILE, "utf8")) as { roles: { members: Record<string, unknown> }[] };
  for (const role of file.roles) role.members.issuer = issuer;
  return parseRolesFile(JSON.stringify(file), "scripts/demo-roles.json", usersCollection);
}
