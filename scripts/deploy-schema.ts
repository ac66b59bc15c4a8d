/**
 * npm run deploy-schema -- [--with-users] [--with-user-role] [--roles FILE] [--migrate] [--wait-seconds N] [--json]
 * Creates the ledger's collections and indexes (with --with-users, the users collection
 * and its unique index; with --with-user-role, the users' least-privilege role; with
 * --roles, the roles a roles file defines), changes a deployment of an earlier version with
 * --migrate, and waits until FaunaDB has built every index. Safe to run on every deploy.
 * Exit codes and errors: scripts/command-line.ts.
 */
import { readFileSync } from "node:fs";
import { CommandError, EXIT, runCommand, usageError } from "./command-line.ts";
import { loadDeploySchemaConfig } from "../lib/core/config/load.ts";
import { mapFaunaError } from "../lib/core/fauna/failures.ts";
import { createFaunaClient } from "../lib/core/fauna/client.ts";
import { DEFAULT_INDEX_WAIT_MS, deploySchema, type DeployReport } from "../lib/core/schema/deploy.ts";
import { IndexNotActive, Misconfigured, RolesFileInvalid, SchemaConflict, SchemaMigrationNeeded } from "../lib/core/errors/index.ts";
import { USER_ROLE } from "../lib/core/schema/role.ts";
import { parseRolesFile } from "../lib/core/schema/roles-file.ts";

const USAGE = `Usage: npm run deploy-schema -- [--with-users] [--with-user-role] [--roles FILE]
                                 [--migrate] [--wait-seconds N] [--json]

Creates in the database FAUNA_SECRET belongs to:
  collection auth0_token_exchanges             the ledger
  collection auth0_token_exchanges_sign_outs   each user's latest sign out everywhere
  index      auth0_token_exchanges_by_expiration, auth0_token_exchanges_by_user
  index      auth0_token_exchanges_live_tokens_by_user   (over Tokens())
  index      auth0_token_exchanges_sign_outs_by_user
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
             the privileges listed (docs/roles.md, "Roles from claims"). A bad file exits 2
             (ERR_ROLES_FILE), naming the role and the field.

Then it waits until FaunaDB has built every index (an index over more than 128
documents builds in the background, and the exchange answers 503 until it is done).

Options:
  --migrate          change a deployment of an earlier version: the expiry and by-user
                     indexes become serialized: false (in place, no entry rewritten) and
                     what it lacks is created. Without it such a deployment is refused
                     (exit 1, ERR_SCHEMA_MIGRATION_NEEDED) with the list of changes, and
                     nothing is changed.
  --wait-seconds N   wait at most N seconds for the indexes (default ${DEFAULT_INDEX_WAIT_MS / 1000});
                     still building then: exit 5 (ERR_INDEX_NOT_ACTIVE), everything else
                     done; run it again to wait again. 0 only looks.

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

function waitSeconds(given: string | undefined): number {
  if (given === undefined) return DEFAULT_INDEX_WAIT_MS / 1000;
  if (!/^\d{1,6}$/.test(given)) throw usageError(`--wait-seconds must be a whole number of seconds, got ${JSON.stringify(given)}`);
  return Number(given);
}

function text(report: DeployReport): string {
  const changes = report.created.length + report.migrated.length;
  return [
    ...report.created.map((c) => `created  ${c}`),
    ...report.migrated.map((m) => `migrated ${m}`),
    ...report.existing.map((x) => `exists   ${x}`),
    changes === 0 ? "Schema up to date: nothing changed." : `Schema deployed: ${report.created.length} object(s) created, ${report.migrated.length} migrated.`,
  ].join("\n");
}

// On a terminal, the wait shows itself on one line of stderr.
const progress = process.stderr.isTTY === true;

process.exitCode = await runCommand({
  name: "deploy-schema",
  usage: USAGE,
  options: {
    "with-users": { type: "boolean" },
    "with-user-role": { type: "boolean" },
    migrate: { type: "boolean" },
    "wait-seconds": { type: "string" },
    roles: { type: "string" },
  },
  async run({ values, json }) {
    const withUserRole = values["with-user-role"] === true;
    const waitMs = waitSeconds(values["wait-seconds"]) * 1000;
    const { fauna, ...names } = loadDeploySchemaConfig(process.env);
    const roles = values.roles === undefined ? undefined : readRolesFile(values.roles, names.usersCollection);
    const client = createFaunaClient(fauna);
    let waited = false;
    try {
      const report = await deploySchema(client, {
        withUsers: values["with-users"] === true,
        withUserRole,
        migrate: values.migrate === true,
        waitMs,
        ...names,
        ...(roles ? { roles } : {}),
        ...(progress && !json
          ? {
              onWait: (building: readonly string[], ms: number) => {
                waited = true;
                process.stderr.write(`\r\x1b[Kwaiting for FaunaDB to build ${building.join(", ")} (${Math.round(ms / 1000)} s of at most ${waitMs / 1000} s)`);
              },
            }
          : {}),
      });
      if (waited) process.stderr.write("\r\x1b[K");
      const result = { changed: report.created.length + report.migrated.length > 0, ...report };
      if (report.building.length > 0) {
        throw new CommandError(
          EXIT.building,
          IndexNotActive.code,
          `FaunaDB is still building ${report.building.join(", ")} after ${waitMs / 1000} s; everything else is done. Run deploy-schema again to wait again (until then the exchange answers 503)`,
          { details: { indexes: report.building }, result, notes: [text(report)] },
        );
      }
      return { result, text: text(report) };
    } catch (e) {
      if (e instanceof CommandError) throw e;
      if (e instanceof SchemaConflict) {
        throw new CommandError(EXIT.failed, e.code, `${e.object} already exists with a different definition; nothing was changed`, {
          details: { object: e.object, differences: e.differences },
          notes: [...e.differences.map((d) => `  ${d}`), CONFLICT_ADVICE],
        });
      }
      // Found by deploySchema before it changed anything.
      if (e instanceof Misconfigured || e instanceof SchemaMigrationNeeded) throw e;
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
