/**
 * npm run revoke -- --sub <sub>        revoke every secret issued to that user
 * npm run revoke -- --secret -         revoke the one secret read from stdin
 * npm run revoke -- --token <id>       revoke one secret, by its token document's id
 * Exit codes and errors: scripts/command-line.ts.
 */
import { CommandError, EXIT, readStdin, runCommand, usageError } from "./command-line.ts";
import { loadFaunaConfig, loadRevokeConfig } from "../lib/core/config/load.ts";
import { mapFaunaError } from "../lib/core/fauna/failures.ts";
import { createFaunaClient } from "../lib/core/fauna/client.ts";
import { DEFAULT_USERS_INDEX } from "../lib/core/ledger/layout.ts";
import { revokeSecret, revokeToken, revokeUserTokens, type RevokeResult } from "../lib/core/revoke.ts";
import { InvalidTokenIdError, NotATokenSecretError } from "../lib/core/errors/index.ts";

const USAGE = `Usage: npm run revoke -- (--sub <sub> | --secret - | --token <id>)

Ends secrets before they expire: deletes the FaunaDB token(s) and their ledger
entries. A revoked secret gets 401 on its next use.

Options:
  --sub <sub>     every secret issued to the user with this JWT subject
                  (looked up in FAUNA_USERS_INDEX, default ${DEFAULT_USERS_INDEX}),
                  and records the sign-out: no JWT issued before it is exchanged
                  again. A subject with no user exits 1 (ERR_UNKNOWN_USER), unless
                  CREATE_MISSING_USERS is on: then an exchange could still create
                  the user, so revoke creates it to hold the sign-out, and says so
                  ("userCreated": true, exit 0)
  --secret -      the one secret read from stdin, e.g.
                  echo "$SECRET" | npm run revoke -- --secret -
                  (only "-": a secret on the command line would stay in ps and
                  the shell's history)
  --token <id>    one secret, by the id of its token document (the ledger's token_ref)

Prints {"revoked": n, "ledgerEntriesDeleted": m} (with --sub also "workRemaining":
false: the command line has no time limit). Nothing to revoke for --secret or
--token (unknown, expired or already revoked) exits 1 (ERR_TOKEN_NOT_FOUND).

Environment: FAUNA_ENDPOINT, FAUNA_SECRET (a server key), FAUNA_USERS_INDEX,
FAUNA_USERS_COLLECTION and CREATE_MISSING_USERS (as the exchange reads them).`;

function nothingRevoked(result: RevokeResult, what: string): CommandError {
  return new CommandError(EXIT.failed, "ERR_TOKEN_NOT_FOUND", `no live token ${what} (unknown, already expired, or already revoked): nothing was revoked`, { result: { ...result } });
}

process.exitCode = await runCommand({
  name: "revoke",
  usage: USAGE,
  options: { sub: { type: "string" }, secret: { type: "string" }, token: { type: "string" } },
  async run({ values }) {
    const given = (["sub", "secret", "token"] as const).filter((k) => values[k] !== undefined);
    if (given.length !== 1) throw usageError("give exactly one of --sub, --secret and --token");
    if (values.sub !== undefined && values.sub.trim() === "") throw usageError("--sub must not be empty");
    if (values.secret !== undefined && values.secret !== "-") {
      throw usageError('--secret takes only "-" and reads the secret from stdin (on the command line it would stay in ps and the shell history)');
    }
    // Validated like the exchange's own configuration (a bad name exits 2 here, not later as a FaunaDB error).
    const { usersIndex, usersCollection, createMissingUsers } = loadRevokeConfig(process.env);
    const fauna = loadFaunaConfig(process.env);
    const secret = values.secret !== undefined ? await readStdin() : undefined;
    if (secret !== undefined && (secret === "" || /\s/.test(secret))) throw usageError("--secret -: stdin must hold exactly one secret");
    const client = createFaunaClient(fauna);
    try {
      if (values.sub !== undefined) {
        const { userFound, userCreated, ...result } = await revokeUserTokens(client, values.sub, { usersIndex, usersCollection, createMissingUsers });
        if (!userFound && !userCreated) {
          throw new CommandError(EXIT.failed, "ERR_UNKNOWN_USER", `no user has the subject ${JSON.stringify(values.sub)} in the index ${usersIndex}: nothing was revoked`, { result: { ...result } });
        }
        // Nothing to revoke, the sign-out recorded: done, as for a user without live secrets.
        return { result: { ...result, ...(userCreated ? { userCreated } : {}) } };
      }
      const result = secret !== undefined ? await revokeSecret(client, secret) : await revokeToken(client, values.token!.trim());
      if (result.revoked === 0) throw nothingRevoked(result, secret !== undefined ? "has that secret" : "has that id");
      return { result: { ...result } };
    } catch (e) {
      if (e instanceof CommandError) throw e;
      if (e instanceof InvalidTokenIdError) throw usageError(`--token: ${e.message}`);
      if (e instanceof NotATokenSecretError) throw new CommandError(EXIT.usage, e.code, e.message);
      throw mapFaunaError(e, { endpoint: fauna.endpoint, usersIndex, operation: "revoke", needs: "a server key" });
    } finally {
      await client.close().catch(() => undefined);
    }
  },
});
