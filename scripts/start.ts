/**
 * npm start: the whole thing on one machine, no account, key or network.
 * Starts the Fauna emulator, deploys the schema (with users and their role, and the
 * demo's orders with the role of scripts/demo-roles.json), starts a local development
 * issuer (its JWTs carry a `permissions` claim on request), and serves the Netlify function at
 * /api/token through the very module Netlify runs, with the demo page from
 * public/ beside it at / (scripts/dev-site.ts). Ctrl-C stops everything.
 *
 * ALLOWED_ORIGINS is `*` unless set: every origin may call /api/token and the dev issuer's
 * /mint, which follows the same rules (lib/http/cors.ts); the demo page is /api/token's own
 * origin, and may call /mint whatever ALLOWED_ORIGINS says.
 *
 * Ports: PORT (8888), EMULATOR_PORT (8443), ISSUER_PORT (8890); 0 picks a free one.
 * EMULATOR_PROFILE=cluster runs the emulator as strict as a FaunaDB cluster (contention, a
 * credential cache of EMULATOR_AUTH_CACHE_MS, 60 s by default, background index builds).
 *
 * It also prints the variables that point the four commands at this stack (a server key
 * of the emulator included) and writes them to .env.local (START_ENV_FILE elsewhere),
 * which the commands read only with `--env-from`: a stale local file must never redirect
 * a command meant for production. The file is removed on Ctrl-C; the emulator's data
 * lives in memory and dies with it, so the key in the file would be useless anyway.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import faunadb from "faunadb";
import { startEmulator, type EmulatorOptions } from "fql4-emulator";
import { startDevIssuer } from "../lib/dev/issuer.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { serveHandler } from "../lib/adapters/node.ts";
import { DEFAULT_USERS_COLLECTION, DEFAULT_USERS_INDEX } from "../lib/core/ledger/layout.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { createDevSite } from "./dev-site.ts";
import { createDemoOrders, demoRoles, DEMO_PERMISSION, DEMO_TOKEN_CLAIMS } from "./demo-data.ts";

const q = faunadb.query;
const HOST = "127.0.0.1";
const ROOT_SECRET = "secret";

function port(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number`);
  return n;
}

async function listenOrExplain<T>(what: string, envName: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (e) {
    if ((e as { code?: string }).code === "EADDRINUSE") {
      throw new Error(`${what}: the port is in use; set ${envName} to another port (0 picks a free one).`);
    }
    throw e;
  }
}

/** Where the commands' variables go; relative to the current folder, as `--env-from` reads it. */
const ENV_FILE = resolve(process.env.START_ENV_FILE || ".env.local");

/** The variables of a command pointed at this stack, as .env lines (empty values unset a variable). */
function envFileText(vars: Record<string, string>): string {
  return `# Written by npm start for the stack it is running, and removed when it stops.
# The commands read it only when asked: npm run revoke -- --env-from .env.local --sub 'auth0|dev-user'
# The emulator keeps its data in memory: this server key dies with it.
${Object.entries(vars)
  .map(([k, v]) => `${k}=${v}`)
  .join("\n")}
`;
}

/** Writes the file, or says why not; returns a remover that deletes it only if it is still ours. */
function writeEnvFile(text: string): { written: boolean; remove(): void } {
  try {
    writeFileSync(ENV_FILE, text, { mode: 0o600 });
  } catch (e) {
    console.error(`npm start: could not write ${ENV_FILE} (${(e as { code?: string }).code ?? "error"}); the variables are printed below.`);
    return { written: false, remove: () => undefined };
  }
  return {
    written: true,
    remove() {
      try {
        if (readFileSync(ENV_FILE, "utf8") === text) rmSync(ENV_FILE);
      } catch {
        // Already gone, or replaced by someone else: leave it.
      }
    },
  };
}

/** EMULATOR_PROFILE (default or cluster) and, with the cluster's, EMULATOR_AUTH_CACHE_MS. */
function emulatorProfile(): Pick<EmulatorOptions, "profile" | "authCacheMs"> {
  const profile = process.env.EMULATOR_PROFILE || "default";
  if (profile !== "default" && profile !== "cluster") throw new Error("EMULATOR_PROFILE must be default or cluster");
  const cache = process.env.EMULATOR_AUTH_CACHE_MS;
  if (cache === undefined || cache === "") return { profile };
  if (profile !== "cluster") throw new Error("EMULATOR_AUTH_CACHE_MS needs EMULATOR_PROFILE=cluster (the default profile has no credential cache)");
  if (!/^\d{1,9}$/.test(cache)) throw new Error("EMULATOR_AUTH_CACHE_MS must be a whole number of milliseconds");
  return { profile, authCacheMs: Number(cache) };
}

async function main(): Promise<void> {
  const emulator = await listenOrExplain("Fauna emulator", "EMULATOR_PORT", () =>
    startEmulator({ port: port("EMULATOR_PORT", 8443), host: HOST, secret: ROOT_SECRET, ...emulatorProfile() }),
  );
  const closers: (() => Promise<unknown>)[] = [() => emulator.close()];
  const stop = async (signal: string) => {
    console.log(`\n${signal}: stopping.`);
    for (const close of closers.reverse()) await close().catch(() => undefined);
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));

  const root = new faunadb.Client({ secret: ROOT_SECRET, endpoint: emulator.url, checkNewVersion: false });
  closers.push(() => root.close());
  const issuer = await listenOrExplain("Dev issuer", "ISSUER_PORT", () =>
    startDevIssuer({ port: port("ISSUER_PORT", 8890), host: HOST, mintEndpoint: true }),
  );
  closers.push(() => issuer.close());

  // The production schema, role included: what a user secret can do here is what it can do there.
  // And an app's data with a role from a roles file, as `deploy-schema --roles` deploys it
  // (on the word of the dev issuer just started: a role names the issuer it trusts).
  await createDemoOrders(root);
  await deploySchema(root, {
    withUsers: true,
    withUserRole: true,
    usersCollection: DEFAULT_USERS_COLLECTION,
    usersIndex: DEFAULT_USERS_INDEX,
    roles: demoRoles(DEFAULT_USERS_COLLECTION, issuer.issuer),
  });
  // The function gets a server key, as in production; the root secret stays here.
  const { secret: serverSecret } = await root.query<{ secret: string }>(q.CreateKey({ role: "server" }));

  // Everything that must match what was just deployed and started is set here, whatever
  // a developer's shell (or a production .env) holds: the users collection and index
  // deployed above, the dev issuer (which signs RS256 with its JWKS beside the issuer),
  // and no ledger claims. Only the two local conveniences below may be overridden.
  Object.assign(process.env, {
    FAUNA_ENDPOINT: emulator.url,
    FAUNA_SECRET: serverSecret,
    AUTH0_ISSUER: issuer.issuer,
    AUTH0_JWKS_URI: issuer.jwksUri,
    AUTH0_AUDIENCE: issuer.audience,
    AUTH0_ALGORITHMS: "RS256",
    FAUNA_USERS_COLLECTION: DEFAULT_USERS_COLLECTION,
    FAUNA_USERS_INDEX: DEFAULT_USERS_INDEX,
    LEDGER_CLAIMS: "",
    TOKEN_CLAIMS: DEMO_TOKEN_CLAIMS,
    // Locally any sub may sign in; production defaults to refusing unknown users.
    CREATE_MISSING_USERS: process.env.CREATE_MISSING_USERS ?? "true",
    ALLOWED_ORIGINS: process.env.ALLOWED_ORIGINS ?? "*",
  });
  delete process.env.AUTH0_DOMAIN;
  delete process.env.AUTH0_PUBLIC_KEY;
  delete process.env.OIDC_ISSUERS;
  // What the function will read, checked here: a malformed ALLOWED_ORIGINS (or LOG_LEVEL …)
  // stops npm start with the function's own message instead of a 500 on every request.
  const { allowedOrigins } = loadConfig(process.env);
  // Imported only now: the function reads its configuration at load, like a cold start.
  const fn = await import("../netlify/functions/exchange-jwt-for-secret.mts");
  const route = fn.config.path as string;
  // As on Netlify: the function's path goes to the function, every other path to the published folder.
  const site = await createDevSite({ faunaEndpoint: emulator.url, mintUrl: `${issuer.issuer}mint`, tokenUrl: route });
  const server = await listenOrExplain("Token endpoint", "PORT", () =>
    serveHandler((req) => (new URL(req.url).pathname === route ? fn.default(req) : site(req)), {
      port: port("PORT", 8888),
      host: HOST,
    }),
  );
  closers.push(() => server.close());
  // The dev issuer's /mint plays the identity provider a frontend signs in at: the origins
  // that may call /api/token may call it too, and the demo page, which is the token
  // endpoint's own origin (by either name) there, may as well.
  const demoOrigins = [server.url, server.url.replace(HOST, "localhost")];
  issuer.allowMintOrigins([...allowedOrigins, ...demoOrigins]);
  const origins = allowedOrigins.includes("*")
    ? "every origin may call /api/token and /mint (ALLOWED_ORIGINS=*); to narrow it: ALLOWED_ORIGINS=http://localhost:5173,https://app.example.com npm start"
    : `${allowedOrigins.length > 0 ? allowedOrigins.join(", ") : "no other origin"} (ALLOWED_ORIGINS), and the demo page's own, may call /api/token and /mint`;

  const endpoint = `${server.url}${route}`;
  const mintUrl = `${issuer.issuer}mint?sub=auth0%7Cdev-user&permissions=${DEMO_PERMISSION}`;
  // What a command needs to work on this stack: the same settings the function got.
  const commandVars: Record<string, string> = {
    FAUNA_ENDPOINT: emulator.url,
    FAUNA_SECRET: serverSecret,
    AUTH0_ISSUER: issuer.issuer,
    AUTH0_JWKS_URI: issuer.jwksUri,
    AUTH0_AUDIENCE: issuer.audience,
    AUTH0_ALGORITHMS: "RS256",
    AUTH0_DOMAIN: "",
    AUTH0_PUBLIC_KEY: "",
    OIDC_ISSUERS: "",
    FAUNA_USERS_COLLECTION: DEFAULT_USERS_COLLECTION,
    FAUNA_USERS_INDEX: DEFAULT_USERS_INDEX,
    LEDGER_CLAIMS: "",
    TOKEN_CLAIMS: DEMO_TOKEN_CLAIMS,
    CREATE_MISSING_USERS: process.env.CREATE_MISSING_USERS!,
  };
  const envFile = writeEnvFile(envFileText(commandVars));
  closers.unshift(async () => envFile.remove());
  // As typed in this folder (npm runs scripts from the package's own): .env.local, else the full path.
  const rel = relative(process.cwd(), ENV_FILE);
  const fileArg = rel && !rel.startsWith("..") ? rel : ENV_FILE;
  const shown = ["FAUNA_ENDPOINT", "FAUNA_SECRET", "AUTH0_ISSUER", "AUTH0_JWKS_URI", "AUTH0_AUDIENCE"].map((k) => `  ${k}=${commandVars[k]}`).join("\n");
  const cluster = emulator.profile.name === "cluster" ? `; cluster profile, credential cache ${emulator.profile.authCacheMs} ms` : "";
  console.log(`Fauna emulator   ${emulator.url}   (root secret "${ROOT_SECRET}"; its data is in memory and is gone when npm start stops${cluster})
Dev issuer       ${issuer.issuer}   JWKS ${issuer.jwksUri}   audience ${issuer.audience}
Mint a JWT       ${mintUrl}   (add &expires_in=N for a JWT, and so a secret, that lives N seconds)
Token endpoint   ${endpoint}
Demo page        ${server.url}/
Origins          ${origins}

Exchange a freshly minted JWT:
  curl -s -X POST ${endpoint} -H "Authorization: Bearer $(curl -s '${mintUrl}')"

The commands, pointed at this stack (FAUNA_SECRET is a server key of the emulator):
${shown}
${envFile.written ? `These and the other settings are in ${fileArg}; a command reads it only when asked:` : `(${fileArg} could not be written: set these variables instead of passing --env-from)`}
  curl -s '${mintUrl}' | npm run exchange -- --env-from ${fileArg} -
  npm run revoke -- --env-from ${fileArg} --sub 'auth0|dev-user'
  npm run delete-expired-tokens -- --env-from ${fileArg}
  npm run deploy-schema -- --env-from ${fileArg} --with-users
To watch a secret expire and be cleaned up: exchange a JWT minted with &expires_in=10,
wait 10 s, then run delete-expired-tokens. The role orders_reader (scripts/demo-roles.json)
lets a secret read the orders collection only when its JWT had permissions=${DEMO_PERMISSION}.

Ready. Ctrl-C stops everything.`);
}

main().catch((e: unknown) => {
  console.error(`npm start failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
