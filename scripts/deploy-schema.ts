/**
 * npm run deploy-schema -- [--with-users] [--with-user-role] [--roles FILE] [--json]
 * Creates the ledger collection and its indexes (with --with-users, the users
 * collection and its unique index; with --with-user-role, the users' least-privilege
 * role; with --roles, the roles a roles file defines). Safe to run on every deploy.
 * Exit codes and errors: scripts/command-line.ts.
 */
import { readFileSync } from "node:fs";
import { CommandError, EXIT, runCommand } from "./command-line.ts";
import { loadDeploySchemaConfig } from "../lib/core/config/load.ts";
import { mapFaunaError } from "../lib/core/fauna/failures.ts";
import { createFaunaClient } from "../lib/core/fauna/client.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { Misconfigured, RolesFileInvalid, SchemaConflict } from "../lib/core/errors/index.ts";
import { USER_ROLE } from "../lib/core/schema/role.ts";
import { parseRolesFile } from "../lib/core/schema/roles-file.ts";

const USAGE = `Usage: npm run deploy-schema -- [--with-users] [--with-user-role] [--roles FILE] [--json]

Creates in the database FAUNA_SECRET belongs to:
  collection auth0_token_exchanges
  index      auth0_token_exchanges_by_expiration
  index      auth0_token_exchanges_by_user
with --with-users:
  collection $FAUNA_USERS_COLLECTION (default users)
  index      $FAUNA_USERS_INDEX (default users_by_auth0_id, unique on data.auth0_id)
with --with-user-role:
  role       ${USER_ROLE}: members are the users collection's documents (so every
             secret the exchange issues); its only privilege is reading one's own
             user document. Grant your app's data in roles of your own.
with --roles FILE:
  role       each role FILE defines: members are the users whose secret's token
             carries a claim (TOKEN_CLAIMS) that contains or equals a value, with
             the privileges listed (README, "Roles from claims"). A bad file exits 2
             (ERR_ROLES_FILE), naming the role and the field.

FAUNA_SECRET must be an admin or a server key of that database, and an admin key
with --with-user-role or --roles (a server key cannot create roles); anything else exits 4.
Existing objects with the expected definition are left alone; an index or role
with another definition exits 1 (ERR_SCHEMA_CONFLICT) and nothing is changed.

Environment: FAUNA_ENDPOINT, FAUNA_SECRET, FAUNA_USERS_COLLECTION, FAUNA_USERS_INDEX`;

const CONFLICT_ADVICE = `Delete or rename the object, or point FAUNA_USERS_INDEX elsewhere. A role you extended: \
move your privileges to a role of your own with the same membership (roles add up), and let ${USER_ROLE} be. \
A role of a roles file that changed: deploy-schema never changes an existing role; delete it (or give it a new name) and deploy again.`;

/** The roles FILE defines, or ERR_ROLES_FILE (exit 2) naming the file and every problem. */
function readRolesFile(file: string, usersCollection: string) {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new RolesFileInvalid(file, [`cannot be read (${(e as { code?: string }).code ?? "error"})`]);
  }
  return parseRolesFile(text, file, usersCollection);
}

process.exitCode = await runCommand({
  name: "deploy-schema",
  usage: USAGE,
  options: { "with-users": { type: "boolean" }, "with-user-role": { type: "boolean" }, roles: { type: "string" } },
  async run({ values }) {
    const withUserRole = values["with-user-role"] === true;
    const { fauna, ...names } = loadDeploySchemaConfig(process.env);
    const roles = values.roles === undefined ? undefined : readRolesFile(values.roles, names.usersCollection);
    const client = createFaunaClient(fauna);
    try {
      const report = await deploySchema(client, { withUsers: values["with-users"] === true, withUserRole, ...names, ...(roles ? { roles } : {}) });
      const text = [
        ...report.created.map((c) => `created  ${c}`),
        ...report.existing.map((x) => `exists   ${x}`),
        report.created.length === 0 ? "Schema up to date: nothing changed." : `Schema deployed: ${report.created.length} object(s) created.`,
      ].join("\n");
      return { result: { changed: report.created.length > 0, created: report.created, existing: report.existing }, text };
    } catch (e) {
      if (e instanceof SchemaConflict) {
        throw new CommandError(EXIT.failed, e.code, `${e.object} already exists with a different definition; nothing was changed`, {
          details: { object: e.object, differences: e.differences },
          notes: [...e.differences.map((d) => `  ${d}`), CONFLICT_ADVICE],
        });
      }
      // Found by deploySchema before it changed anything.
      if (e instanceof Misconfigured) throw e;
      // What deploy-schema itself needs, not what the exchange needs.
      throw mapFaunaError(e, {
        endpoint: fauna.endpoint,
        ...names,
        operation: "deploy-schema",
        needs: withUserRole || roles ? `an admin key: ${withUserRole ? "--with-user-role" : "--roles"} creates a role` : "an admin or a server key",
      });
    } finally {
      await client.close();
    }
  },
});
