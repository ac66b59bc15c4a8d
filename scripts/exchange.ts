/**
 * npm run exchange -- <jwt | -> [--metadata '{"key":"value"}']
 * Exchanges a JWT for a Fauna secret with the same code the endpoint runs, using
 * the configuration in the environment. `-` reads the JWT from stdin (keeps it
 * out of shell history and `ps`). Exit codes and errors: scripts/command-line.ts.
 */
import { runCommand, readStdin, usageError } from "./command-line.ts";
import { exchangeJwtForSecret, resetDefaultExchange } from "../lib/adapters/node.ts";

const USAGE = `Usage: npm run exchange -- <jwt | -> [--metadata '<json object>']

Verifies the JWT and prints a Fauna user secret as JSON:
  {"secret": "...", "expires_at": "<ISO 8601>", "expires_in": <seconds>}
"-" reads the JWT from stdin (keeps it out of ps and shell history).

Options:
  --metadata JSON   a JSON object stored in the ledger entry's meta

Environment: as the endpoint (FAUNA_ENDPOINT, FAUNA_SECRET, AUTH0_DOMAIN or
AUTH0_ISSUER, AUTH0_AUDIENCE, ...; see the README). A refused token or an
unknown user exits 1 with the token error's code (ERR_JWT_EXPIRED, ...).`;

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
    } finally {
      await resetDefaultExchange();
    }
  },
});
