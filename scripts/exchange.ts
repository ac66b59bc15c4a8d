/**
 * npm run exchange -- <jwt> [--metadata '{"key":"value"}']
 * Exchanges a JWT for a Fauna secret with the same code the endpoint runs, using
 * the configuration in the environment. `-` reads the JWT from stdin (keeps it
 * out of shell history and `ps`).
 */
import { HELP_OPTION, parseCommandLine, usageError } from "./command-line.ts";
import { text } from "node:stream/consumers";
import { exchangeJwtForSecret, resetDefaultExchange } from "../lib/exchange.ts";
import { InvalidToken, isTokenExchangeError, Misconfigured } from "../lib/errors.ts";

const USAGE = `Usage: npm run exchange -- <jwt | -> [--metadata '<json object>']

Verifies the JWT and prints a Fauna user secret as JSON:
  {"secret": "...", "expires_at": "<ISO 8601>", "expires_in": <seconds>}
"-" reads the JWT from stdin. --metadata is stored in the ledger entry's meta.

Environment: as the endpoint (FAUNA_ENDPOINT, FAUNA_SECRET, AUTH0_DOMAIN or
AUTH0_ISSUER, AUTH0_AUDIENCE, ...; see the README).

Exit codes: 0 issued; 1 refused (invalid token, unknown user); 2 usage or
configuration error; 3 identity provider or database unavailable or failing.`;

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(USAGE, {
    args: argv,
    allowPositionals: true,
    options: { metadata: { type: "string" }, ...HELP_OPTION },
  });
  if (typeof parsed === "number") return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return usageError(USAGE, "give exactly one JWT (or - to read it from stdin)");
  let metadata: Record<string, unknown> | undefined;
  if (values.metadata !== undefined) {
    try {
      metadata = JSON.parse(values.metadata) as Record<string, unknown>;
    } catch {
      console.error("--metadata must be a JSON object");
      return 2;
    }
  }
  const jwt = positionals[0] === "-" ? (await text(process.stdin)).trim() : positionals[0]!;
  try {
    const r = await exchangeJwtForSecret(jwt, metadata ? { metadata } : {});
    console.log(JSON.stringify({ secret: r.secret, expires_at: r.expiresAt.toISOString(), expires_in: r.expiresIn }));
    return 0;
  } catch (e) {
    if (!isTokenExchangeError(e)) throw e;
    if (e instanceof Misconfigured) {
      console.error(`exchange: configuration error:\n  ${e.problems.join("\n  ")}`);
      return 2;
    }
    console.error(`exchange: ${e.code}: ${e.message}`);
    if (e instanceof InvalidToken || e.code === "ERR_UNKNOWN_USER") return 1;
    if (e.code === "ERR_INVALID_METADATA" || e.code === "ERR_BAD_REQUEST") return 2;
    return 3;
  } finally {
    await resetDefaultExchange();
  }
}

process.exitCode = await main(process.argv.slice(2));
