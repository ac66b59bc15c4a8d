/**
 * npm start: the whole thing on one machine, no account, key or network.
 * Starts the Fauna emulator, deploys the schema (with users and their role),
 * starts a local development issuer, and serves the Netlify function at
 * /api/token through the very module Netlify runs, with the demo page from
 * public/ beside it at / (scripts/dev-site.ts). Ctrl-C stops everything.
 *
 * Ports: PORT (8888), EMULATOR_PORT (8443), ISSUER_PORT (8890); 0 picks a free one.
 */
import faunadb from "faunadb";
import { startEmulator } from "fql4-emulator";
import { startDevIssuer } from "../lib/dev-issuer.ts";
import { deploySchema } from "../lib/schema.ts";
import { serveHandler } from "../lib/http/node-server.ts";
import { DEFAULT_USERS_COLLECTION, DEFAULT_USERS_INDEX } from "../lib/ledger-schema.ts";
import { createDevSite } from "./dev-site.ts";

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

async function main(): Promise<void> {
  const emulator = await listenOrExplain("Fauna emulator", "EMULATOR_PORT", () =>
    startEmulator({ port: port("EMULATOR_PORT", 8443), host: HOST, secret: ROOT_SECRET }),
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
  // The production schema, role included: what a user secret can do here is what it can do there.
  await deploySchema(root, {
    withUsers: true,
    withUserRole: true,
    usersCollection: DEFAULT_USERS_COLLECTION,
    usersIndex: DEFAULT_USERS_INDEX,
  });
  // The function gets a server key, as in production; the root secret stays here.
  const { secret: serverSecret } = await root.query<{ secret: string }>(q.CreateKey({ role: "server" }));

  const issuer = await listenOrExplain("Dev issuer", "ISSUER_PORT", () =>
    startDevIssuer({ port: port("ISSUER_PORT", 8890), host: HOST, mintEndpoint: true }),
  );
  closers.push(() => issuer.close());

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
    // Locally any sub may sign in; production defaults to refusing unknown users.
    CREATE_MISSING_USERS: process.env.CREATE_MISSING_USERS ?? "true",
    ALLOWED_ORIGINS: process.env.ALLOWED_ORIGINS ?? "*",
  });
  delete process.env.AUTH0_DOMAIN;
  delete process.env.AUTH0_PUBLIC_KEY;
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
  // The page signs in at the dev issuer from the browser, so that origin may read its JWTs.
  issuer.allowMintOrigin(server.url);
  issuer.allowMintOrigin(server.url.replace(HOST, "localhost"));

  const endpoint = `${server.url}${route}`;
  const mintUrl = `${issuer.issuer}mint?sub=auth0%7Cdev-user`;
  console.log(`Fauna emulator   ${emulator.url}   (root secret "${ROOT_SECRET}")
Dev issuer       ${issuer.issuer}   JWKS ${issuer.jwksUri}   audience ${issuer.audience}
Mint a JWT       ${mintUrl}
Token endpoint   ${endpoint}
Demo page        ${server.url}/

Exchange a freshly minted JWT:
  curl -s -X POST ${endpoint} -H "Authorization: Bearer $(curl -s '${mintUrl}')"

Ready. Ctrl-C stops everything.`);
}

main().catch((e: unknown) => {
  console.error(`npm start failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
