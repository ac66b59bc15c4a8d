/**
 * Everything an exchange test drives, wired the way production wires it: a
 * fresh database (emulator or real FaunaDB) with the deployed schema, a local
 * issuer with a real JWKS endpoint, and the HTTP core served over node:http.
 */
import faunadb from "faunadb";
import { startTarget, type FaunaTarget, type TargetProfile } from "fql4-emulator/testing";
import { startDevIssuer, type DevIssuer } from "../../lib/dev/issuer.ts";
import { loadConfig, type Config } from "../../lib/core/config/load.ts";
import { createTokenExchange, type TokenExchange } from "../../lib/core/exchange/exchange.ts";
import { createHttpHandler } from "../../lib/http/token-handler.ts";
import { serveHandler } from "../../lib/adapters/node.ts";
import { deploySchema, type SchemaOptions } from "../../lib/core/schema/deploy.ts";
import { LEDGER_COLLECTION, DEFAULT_USERS_COLLECTION } from "../../lib/core/ledger/layout.ts";
import type { JwtVerifierOptions } from "../../lib/core/identity/jwt.ts";
import { exchangeEnv } from "./env.ts";

const q = faunadb.query;

export interface Stack {
  target: FaunaTarget;
  /** Admin-key client of the test database. */
  admin: faunadb.Client;
  issuer: DevIssuer;
  config: Config;
  exchange: TokenExchange;
  /** `http://127.0.0.1:PORT/api/token` */
  url: string;
  /** Live tokens, ledger documents and user documents, read with the admin key. */
  counts(): Promise<{ tokens: number; ledger: number; users: number }>;
  close(): Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  jwtOptions?: JwtVerifierOptions;
  /** Create these users (by sub) before the test. */
  users?: string[];
  /** The emulator's profile, e.g. `{ profile: "cluster", authCacheMs: 5000 }` (default: the default profile). */
  target?: TargetProfile;
  /** Runs with the admin client before the schema is deployed (data that is already there). */
  prepare?: (admin: faunadb.Client) => Promise<void>;
  /** What is deployed before the test (default `{ withUsers: true }`); `false`: nothing. */
  schema?: SchemaOptions | false;
}

async function listAll(client: faunadb.Client, set: faunadb.ExprArg): Promise<unknown[]> {
  const page = await client.query<{ data: unknown[] }>(q.Paginate(set, { size: 100000 }));
  return page.data;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const target = await startTarget(opts.target);
  const admin = target.client();
  await opts.prepare?.(admin);
  if (opts.schema !== false) await deploySchema(admin, opts.schema ?? { withUsers: true });
  for (const sub of opts.users ?? []) {
    await admin.query(q.Create(q.Collection(DEFAULT_USERS_COLLECTION), { data: { auth0_id: sub } }));
  }
  const issuer = await startDevIssuer();
  const config = loadConfig({
    ...exchangeEnv(target, issuer),
    ...opts.env,
  });
  const exchange = createTokenExchange(config, {
    client: target.client(target.serverSecret),
    ...(opts.jwtOptions ? { jwtOptions: opts.jwtOptions } : {}),
  });
  const server = await serveHandler(createHttpHandler({ exchange }), { route: "/api/token" });
  return {
    target,
    admin,
    issuer,
    config,
    exchange,
    url: `${server.url}/api/token`,
    async counts() {
      const [tokens, ledger, users] = await Promise.all([
        listAll(admin, q.Tokens()),
        listAll(admin, q.Documents(q.Collection(LEDGER_COLLECTION))),
        listAll(admin, q.Documents(q.Collection(config.usersCollection))),
      ]);
      return { tokens: tokens.length, ledger: ledger.length, users: users.length };
    },
    async close() {
      await server.close();
      await issuer.close();
      await target.close();
    },
  };
}
