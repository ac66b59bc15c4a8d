/**
 * npm run deploy-schema -- [--with-users] [--with-user-role] [--json]
 * Creates the ledger collection and its indexes (with --with-users, the users
 * collection and its unique index; with --with-user-role, the users' least-privilege
 * role). Safe to run on every deploy.
 */
import { HELP_OPTION, parseCommandLine } from "./command-line.ts";
import { loadDeploySchemaConfig } from "../lib/config.ts";
import { createFaunaClient, mapFaunaError } from "../lib/fauna.ts";
import { deploySchema } from "../lib/schema.ts";
import { Misconfigured, SchemaConflict } from "../lib/errors.ts";
import { USER_ROLE } from "../lib/ledger-schema.ts";

const USAGE = `Usage: npm run deploy-schema -- [--with-users] [--with-user-role] [--json]

Creates in the database FAUNA_SECRET belongs to (an admin or server key):
  collection auth0_token_exchanges
  index      auth0_token_exchanges_by_expiration
  index      auth0_token_exchanges_by_user
with --with-users:
  collection $FAUNA_USERS_COLLECTION (default users)
  index      $FAUNA_USERS_INDEX (default users_by_auth0_id, unique on data.auth0_id)
with --with-user-role (needs an admin key):
  role       ${USER_ROLE}: members are the users collection's documents (so every
             secret the exchange issues); its only privilege is reading one's own
             user document. Grant your app's data in roles of your own.

Existing objects with the expected definition are left alone; an index or role
with another definition is an error and nothing is changed.

Environment: FAUNA_ENDPOINT, FAUNA_SECRET, FAUNA_USERS_COLLECTION, FAUNA_USERS_INDEX

Exit codes: 0 schema in place (created or already there)
            1 an existing index or role has a different definition
            2 usage or configuration error (including a server key with --with-user-role)
            3 the database could not be reached or refused the key`;

const CONFLICT_ADVICE = `Delete or rename the object, or point FAUNA_USERS_INDEX elsewhere. A role you extended: \
move your privileges to a role of your own with the same membership (roles add up), and let ${USER_ROLE} be.`;

export const EXIT = { ok: 0, conflict: 1, usage: 2, database: 3 } as const;

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(USAGE, {
    args: argv,
    options: {
      "with-users": { type: "boolean" },
      "with-user-role": { type: "boolean" },
      json: { type: "boolean" },
      ...HELP_OPTION,
    },
  });
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  let client;
  let names;
  try {
    const { fauna, ...usersNames } = loadDeploySchemaConfig(process.env);
    client = createFaunaClient(fauna);
    names = usersNames;
  } catch (e) {
    if (!(e instanceof Misconfigured)) throw e;
    console.error(`deploy-schema: configuration error:\n  ${e.problems.join("\n  ")}`);
    return EXIT.usage;
  }
  try {
    const report = await deploySchema(client, {
      withUsers: values["with-users"] === true,
      withUserRole: values["with-user-role"] === true,
      ...names,
    });
    if (values.json) {
      console.log(JSON.stringify({ ok: true, changed: report.created.length > 0, ...report }));
    } else {
      for (const c of report.created) console.log(`created  ${c}`);
      for (const x of report.existing) console.log(`exists   ${x}`);
      console.log(report.created.length === 0 ? "Schema up to date: nothing changed." : `Schema deployed: ${report.created.length} object(s) created.`);
    }
    return EXIT.ok;
  } catch (e) {
    if (e instanceof SchemaConflict) {
      if (values.json) console.log(JSON.stringify({ ok: false, error: e.code, object: e.object, differences: e.differences }));
      console.error(`deploy-schema: ${e.object} already exists with a different definition:\n  ${e.differences.join("\n  ")}\nNothing was changed. ${CONFLICT_ADVICE}`);
      return EXIT.conflict;
    }
    if (e instanceof Misconfigured) {
      // Found by deploySchema before it changed anything: what to fix, not an outage.
      if (values.json) console.log(JSON.stringify({ ok: false, error: e.code, problems: e.problems }));
      console.error(`deploy-schema: configuration error:\n  ${e.problems.join("\n  ")}\nNothing was changed.`);
      return EXIT.usage;
    }
    const mapped = mapFaunaError(e);
    const detail = mapped instanceof Misconfigured ? mapped.problems.join("; ") : mapped.message;
    if (values.json) console.log(JSON.stringify({ ok: false, error: mapped.code }));
    console.error(`deploy-schema: ${detail}`);
    return EXIT.database;
  } finally {
    await client.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
