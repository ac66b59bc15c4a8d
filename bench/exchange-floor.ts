/**
 * npm run bench:exchange [-- --runs N]
 *
 * What the exchange costs beyond the work it cannot avoid. Side by side, interleaved,
 * warm, in one process against the in-process emulator (JWKS mode):
 *  - the handler: lib/http/token-handler.ts's web-standard handler given a `Request` (parsing, JWT
 *    verification with a cached key, the one query, the `Response`, the log line), timed
 *    from the call until it returns its `Response`. What the platform does around it is
 *    not timed: building the `Request` from its own event before the call, and streaming
 *    the `Response` body out after it (the body is read after the timer stops);
 *  - the floor: the same work done by hand with nothing around it: the JWT checked on a
 *    ready `KeyObject`, then the very same FQL query (lib/core/exchange/query.ts's `exchangeQuery`)
 *    through the driver. Two floors, each in its own arm of the interleaving:
 *      - jose: `jwtVerify` (signature, iss, aud, exp), as issue 12 defines the floor;
 *      - node:crypto: one `crypto.verify` and the claims read by hand, the least any
 *        correct implementation can do.
 * Each iteration uses a user of its own with no earlier secret, so every arm does the same
 * database work. Prints p50/p99 of each and the ratios handler p50 / floor p50.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import inspector from "node:inspector/promises";
import { parseArgs } from "node:util";
import faunadb from "faunadb";
import { jwtVerify } from "jose";
import { startTarget } from "fql4-emulator/testing";
import { startDevIssuer } from "../lib/dev/issuer.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { createTokenExchange, exchangeQuery, computeExpiry } from "../lib/core/exchange/exchange.ts";
import { createHttpHandler } from "../lib/http/token-handler.ts";
import { setLogSink } from "../lib/core/log.ts";
import { DEFAULT_USERS_COLLECTION } from "../lib/core/ledger/layout.ts";
import { exchangeEnv } from "../test/support/env.ts";

const q = faunadb.query;
const { values } = parseArgs({
  options: { runs: { type: "string", default: "1500" }, profile: { type: "string" }, help: { type: "boolean", short: "h" } },
});
if (values.help) {
  console.log("Usage: npm run bench:exchange -- [--runs N] [--profile out.cpuprofile]   (default 1500 of each, interleaved)");
  process.exit(0);
}
const RUNS = Number(values.runs);
const WARM = 100;

const target = await startTarget();
await deploySchema(target.client(), { withUsers: true });
const issuer = await startDevIssuer();
const config = loadConfig({
  ...exchangeEnv(target, issuer),
});
const ARMS = ["handler", "floor (jose)", "floor (node:crypto)"] as const;
type Arm = (typeof ARMS)[number];
const total = ARMS.length * (RUNS + WARM);
const subs = Array.from({ length: total }, (_, i) => `auth0|bench-${i}`);
const server = target.client(target.serverSecret);
for (let i = 0; i < subs.length; i += 1000) {
  await server.query(q.Map(subs.slice(i, i + 1000), q.Lambda("s", q.Create(q.Collection(DEFAULT_USERS_COLLECTION), { data: { auth0_id: q.Var("s") } }))));
}
// Signing is the identity provider's cost, not ours: every JWT is minted before timing.
const jwts = subs.map((sub) => issuer.mint({ sub }));
const exchange = createTokenExchange(config, { client: target.client(target.serverSecret) });
const handler = createHttpHandler({ exchange });
const floorClient = target.client(target.serverSecret);
const key: KeyObject = createPublicKey(issuer.currentKey.publicKeyPem);
setLogSink(() => undefined);

interface Claims {
  sub: string;
  exp: number;
}

/** node:crypto: one signature check, the claims read and compared by hand. */
function cryptoClaims(jwt: string): Claims {
  const [h, p, sig] = jwt.split(".") as [string, string, string];
  const header = JSON.parse(Buffer.from(h, "base64url").toString()) as { alg: string };
  if (header.alg !== "RS256") throw new Error("alg");
  if (!cryptoVerify("RSA-SHA256", Buffer.from(`${h}.${p}`), key, Buffer.from(sig, "base64url"))) throw new Error("signature");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Claims & { iss: string; aud: string };
  if (claims.iss !== config.jwt.issuer || claims.aud !== config.jwt.audiences[0] || claims.exp * 1000 < Date.now()) throw new Error("claims");
  return claims;
}

/** jose: the library's own verification. */
async function joseClaims(jwt: string): Promise<Claims> {
  const { payload } = await jwtVerify(jwt, key, { issuer: config.jwt.issuer, audience: config.jwt.audiences[0]!, algorithms: ["RS256"] });
  return payload as unknown as Claims;
}

/** The least a correct exchange must do: check the JWT, send the one query. */
async function floor(claims: Claims): Promise<string> {
  const nowMs = Date.now();
  const expiresAt = computeExpiry({ jwtExpSeconds: claims.exp, maxTtlSeconds: config.tokenMaxTtlSeconds, nowMs })!;
  const r = await floorClient.query<{ secret: string }>(
    exchangeQuery({
      sub: claims.sub,
      expiresAt,
      usersCollection: config.usersCollection,
      usersIndex: config.usersIndex,
      createMissingUsers: false,
      maxLiveSecrets: config.maxLiveSecretsPerUser,
    }),
  );
  return r.secret;
}

const request = (jwt: string) => new Request("http://localhost/api/token", { method: "POST", headers: { authorization: `Bearer ${jwt}` } });

async function viaHandler(req: Request): Promise<Response> {
  const res = await handler(req);
  if (res.status !== 200) throw new Error(`handler answered ${res.status}`);
  return res;
}

// --profile: a CPU profile of the timed loop (open it in Chrome's DevTools).
const session = values.profile ? new inspector.Session() : undefined;
if (session) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms: Record<Arm, number[]> = { handler: [], "floor (jose)": [], "floor (node:crypto)": [] };
let next = 0;
for (let i = 0; i < RUNS + WARM; i++) {
  // Rotate which arm goes first, so none always runs on a just-warmed path.
  for (let k = 0; k < ARMS.length; k++) {
    const arm = ARMS[(i + k) % ARMS.length]!;
    const jwt = jwts[next++]!;
    const req = arm === "handler" ? request(jwt) : undefined;
    const watchdog = setTimeout(() => {
      console.error(`iteration ${i} (${arm}) has not finished after 10 s: stopping`);
      process.exit(1);
    }, 10_000);
    const t = performance.now();
    const res =
      arm === "handler" ? await viaHandler(req!) : await floor(arm === "floor (jose)" ? await joseClaims(jwt) : cryptoClaims(jwt));
    const took = performance.now() - t;
    clearTimeout(watchdog);
    if (res instanceof Response) await res.text();
    if (i >= WARM) ms[arm].push(took);
  }
}
if (session) {
  const { profile } = await session.post("Profiler.stop");
  await writeFile(values.profile!, JSON.stringify(profile));
}
const fmt = (n: number) => n.toFixed(3);
console.log(`Exchange vs floor, ${RUNS} of each, interleaved, warm (in-process emulator, JWKS mode with a cached key)`);
for (const arm of ARMS) console.log(`  ${arm.padEnd(20)} p50 ${fmt(pct(ms[arm], 50))} ms   p99 ${fmt(pct(ms[arm], 99))} ms`);
const h = pct(ms.handler, 50);
console.log(`  ratio handler p50 / floor (jose) p50        = ${(h / pct(ms["floor (jose)"], 50)).toFixed(3)}   (issue 12's floor; goal <= 1.15)`);
console.log(`  ratio handler p50 / floor (node:crypto) p50 = ${(h / pct(ms["floor (node:crypto)"], 50)).toFixed(3)}   (the least possible)`);
// The emulator, the issuer and the driver's sessions all live in this process and end with
// it; closing them one by one can wait on a driver session that never closes.
process.exit(0);
