/**
 * npm run revoke -- --sub <sub>      revoke every secret issued to that user
 * npm run revoke -- --token <id>     revoke one secret, by its token document's id
 */
import { HELP_OPTION, parseCommandLine, usageError } from "./command-line.ts";
import { loadFaunaConfig, loadUsersSchemaNames } from "../lib/config.ts";
import { createFaunaClient, mapFaunaError } from "../lib/fauna.ts";
import { DEFAULT_USERS_INDEX } from "../lib/ledger-schema.ts";
import { revokeToken, revokeUserTokens, InvalidTokenIdError, type RevokeResult } from "../lib/revoke.ts";

const HELP = `Usage: npm run revoke -- (--sub <sub> | --token <id>)

Ends secrets before they expire: deletes the FaunaDB token(s) and their ledger
entries. A revoked secret gets 401 on its next use.

Options:
  --sub <sub>     every secret issued to the user with this JWT subject
                  (looked up in FAUNA_USERS_INDEX, default ${DEFAULT_USERS_INDEX})
  --token <id>    one secret, by the id of its token document (the ledger's token_ref)
  -h, --help      show this help

Environment: FAUNA_ENDPOINT, FAUNA_SECRET (a server key), FAUNA_USERS_INDEX.

Prints {"revoked": n, "ledgerEntriesDeleted": m} (with --sub also
"workRemaining": false: the command line has no time limit). Exit status: 0 done, 1 nothing to
revoke for --token (unknown, expired or already revoked) or the database failed,
2 bad usage or configuration.`;

async function main(): Promise<number> {
  const parsed = parseCommandLine(HELP, {
    options: { sub: { type: "string" }, token: { type: "string" }, ...HELP_OPTION },
    strict: true,
    allowPositionals: false,
  });
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if ((values.sub === undefined) === (values.token === undefined)) return usageError(HELP, "give exactly one of --sub and --token");
  if (values.sub !== undefined && values.sub.trim() === "") return usageError(HELP, "--sub must not be empty");
  let client;
  let usersIndex: string;
  try {
    // Validated like the exchange's own configuration (a bad name exits 2 here, not later as a FaunaDB error).
    ({ usersIndex } = loadUsersSchemaNames(process.env));
    client = createFaunaClient(loadFaunaConfig(process.env));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  try {
    let result: RevokeResult;
    if (values.token !== undefined) {
      result = await revokeToken(client, values.token.trim());
      console.log(JSON.stringify(result));
      if (result.revoked === 0) {
        console.error("no live token with that id (unknown, already expired, or already revoked)");
        return 1;
      }
      return 0;
    }
    result = await revokeUserTokens(client, values.sub!, { usersIndex });
    console.log(JSON.stringify(result));
    return 0;
  } catch (err) {
    if (err instanceof InvalidTokenIdError) return usageError(HELP, `--token: ${err.message}`);
    const mapped = mapFaunaError(err);
    console.error(`revoke failed: ${mapped.code}: ${mapped.message}`);
    return mapped.code === "ERR_MISCONFIGURED" ? 2 : 1;
  } finally {
    await client.close().catch(() => undefined);
  }
}

process.exitCode = await main();
