/**
 * npm run exchange -- <jwt | -> [--metadata '{"key":"value"}']
 * Exchanges a JWT for a Fauna secret with the same code the endpoint runs, using
 * the configuration in the environment. `-` reads the JWT from stdin (keeps it
 * out of shell history and `ps`). Exit codes and errors: scripts/command-line.ts.
 */
import { asCommandError, CommandError, runCommand, readStdin, usageError } from "./command-line.ts";
import { exchangeJwtForSecret, resetDefaultExchange } from "../lib/adapters/node.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { InvalidToken, UnknownUser } from "../lib/core/errors/index.ts";
import { failureDetail } from "../lib/http/failure-log.ts";

const USAGE = `Usage: npm run exchange -- <jwt | -> [--metadata '<json object>']

Verifies the JWT and prints a Fauna user secret as JSON:
  {"secret": "...", "expires_at": "<ISO 8601>", "expires_in": <seconds>}
"-" reads the JWT from stdin, e.g. echo "$JWT" | npm run exchange -- -
(a JWT given as an argument is echoed by npm's banner and kept by ps and
the shell's history).

Options:
  --metadata JSON   a JSON object stored in the ledger entry's meta

Environment: as the endpoint (FAUNA_ENDPOINT, FAUNA_SECRET, AUTH0_DOMAIN or
AUTH0_ISSUER, AUTH0_AUDIENCE, ...; see docs/configuration.md). A refused token or an
unknown user exits 1 with the token error's code (ERR_JWT_EXPIRED, ...), and
the message says what the endpoint's log line would: the issuer or audience
expected and received, the users index and CREATE_MISSING_USERS.`;

const quoted = (v: unknown): string => (Array.isArray(v) ? v.map((x) => JSON.stringify(x)).join(" or ") : JSON.stringify(v) ?? "nothing");

/**
 * What the endpoint's log line says of this failure (lib/http/failure-log.ts: the issuer or
 * audience expected and received, the users index and CREATE_MISSING_USERS, a hint), said in
 * the command's error too: at a shell, that line is all anybody reads. Public claims and
 * configuration only, as in the log.
 */
function withLoggedHints(e: unknown): unknown {
  // The caller's mistakes; the operator's (the configuration, FaunaDB, the identity
  // provider) already say theirs in the command line's own words (command-line.ts).
  if (!(e instanceof InvalidToken || e instanceof UnknownUser)) return e;
  let detail: Record<string, unknown>;
  try {
    detail = failureDetail(e, loadConfig(process.env));
  } catch {
    return e; // a configuration that cannot be read was the error itself
  }
  const said: string[] = [];
  if ("expected" in detail) said.push(`expected ${quoted(detail.expected)}, received ${quoted(detail.received)}`);
  if (typeof detail.hint === "string") said.push(detail.hint);
  if (said.length === 0) return e;
  const err = asCommandError(e);
  return new CommandError(err.exit, err.code, `${err.message.replace(/\.$/, "")}: ${said.join("; ")}`, {
    ...err.extra,
    details: { ...err.extra.details, ...detail },
  });
}

process.exitCode = await runCommand({
  name: "exchange",
  usage: USAGE,
  options: { metadata: { type: "string" } },
  positionals: { min: 1, max: 1, what: "exactly one JWT (or - to read it from stdin)" },
  async run({ values, positionals }) {
    let metadata: Record<string, unknown> | undefined;
    if (values.metadata !== undefined) {
      try {
        metadata = JSON.parse(values.metadata) as Record<string, unknown>;
      } catch {
        throw usageError("--metadata must be a JSON object");
      }
    }
    const jwt = positionals[0] === "-" ? await readStdin() : positionals[0]!;
    try {
      const r = await exchangeJwtForSecret(jwt, metadata ? { metadata } : {});
      return { result: { secret: r.secret, expires_at: r.expiresAt.toISOString(), expires_in: r.expiresIn } };
    } catch (e) {
      throw withLoggedHints(e);
    } finally {
      await resetDefaultExchange();
    }
  },
});
