/**
 * npm run serve: the exchange function on this machine with YOUR settings, for trying it
 * against another identity provider or a real FaunaDB before deploying. It reads the
 * environment as a deployed function does and changes nothing in it, unlike `npm start`,
 * which starts its own emulator and issuer and deliberately overrides every variable
 * that must match them. Start-up errors follow the commands' convention
 * (scripts/command-line.ts); once it serves, Ctrl-C stops it.
 */
import { CommandError, EXIT, runCommand } from "./command-line.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { serveHandler } from "../lib/adapters/node.ts";

const USAGE = `Usage: npm run serve -- [--env-from FILE]

Serves the exchange function (POST, DELETE and OPTIONS at /api/token, through the
module Netlify runs) on http://127.0.0.1:PORT with the configuration in the
environment, exactly as a deployment reads it: your identity provider
(AUTH0_DOMAIN or AUTH0_ISSUER, AUTH0_AUDIENCE, ...) and your FaunaDB
(FAUNA_ENDPOINT, FAUNA_SECRET). Nothing is started or deployed, and no variable is
overridden: npm start is the one that brings its own emulator and issuer.

Environment: every variable of docs/configuration.md, and PORT
(default 8888; 0 picks a free one). Log lines go to stdout/stderr as on Netlify.`;

function port(): number {
  const v = process.env.PORT;
  if (v === undefined || v === "") return 8888;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CommandError(EXIT.usage, "ERR_MISCONFIGURED", "PORT must be a port number (0 picks a free one)");
  return n;
}

process.exitCode = await runCommand({
  name: "serve",
  usage: USAGE,
  options: {},
  async run() {
    const listenOn = port();
    // Checked here so that a mistake stops the command with its name, where a deployed
    // function would answer 500 and log configuration_invalid.
    const config = loadConfig(process.env);
    const fn = await import("../netlify/functions/exchange-jwt-for-secret.mts");
    const route = fn.config.path as string;
    let server;
    try {
      server = await serveHandler(fn.default, { port: listenOn, host: "127.0.0.1", route });
    } catch (e) {
      if ((e as { code?: unknown }).code === "EADDRINUSE") {
        throw new CommandError(EXIT.usage, "ERR_PORT_IN_USE", `port ${listenOn} is in use; set PORT to another port (0 picks a free one)`);
      }
      throw e;
    }
    const stop = () => void server.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const url = `${server.url}${route}`;
    const idp = config.jwt.jwksUri ? `JWKS ${config.jwt.jwksUri}` : "a PEM public key (AUTH0_PUBLIC_KEY)";
    const text = `Token endpoint   ${url}
Issuer           ${config.jwt.issuer}   ${idp}   audience ${config.jwt.audiences.join(", ")}
FaunaDB          ${config.fauna.endpoint}   users ${config.usersCollection} / ${config.usersIndex}, CREATE_MISSING_USERS ${config.createMissingUsers}

Serving with the environment as it is. Ctrl-C stops.`;
    return { result: { url, issuer: config.jwt.issuer, faunaEndpoint: config.fauna.endpoint }, text };
  },
});
