/**
 * npm run bench:exchange [-- --runs N]
 *
 * What the exchange costs beyond the work it cannot avoid. Side by side, interleaved,
 * warm, in one process against the in-process emulator (JWKS mode):
 *  - the handler: lib/http.ts's web-standard handler given a `Request` (parsing, JWT
 *    verification with a cached key, the one query, the `Response`, the log line), timed
 *    from the call until it returns its `Response`. What the platform does around it is
 *    not timed: building the `Request` from its own event before the call, and streaming
 *    the `Response` body out after it (the body is read after the timer stops);
 *  - the floor: the same work done by hand with nothing around it: an RS256 signature
 *    check with node:crypto on a ready `KeyObject` and the claims the exchange checks,
 *    then the very same FQL query (lib/exchange.ts's `exchangeQuery`) through the driver.
 * Each iteration uses a user of its own with no earlier secret, so both do the same
 * database work. Prints p50/p99 of each and the ratio handler p50 / floor p50.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import inspector from "node:inspector/promises";
import { parseArgs } from "node:util";
import faunadb from "faunadb";
import { startTarget } from "fql4-emulator/testing";
import { startDevIssuer } from "../lib/dev-issuer.ts";
import { deploySchema } from "../lib/schema.ts";
import { loadConfig } from "../lib/config.ts";
import { createTokenExchange, exchangeQuery, computeExpiry } from "../lib/exchange.ts";
import { createHttpHandler } from "../lib/http.ts";
import { setLogSink } from "../lib/log.ts";
import { DEFAULT_USERS_COLLECTION } from "../lib/ledger-schema.ts";

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
  FAUNA_ENDPOINT: target.endpoint,
  FAUNA_SECRET: target.serverSecret,
  AUTH0_ISSUER: issuer.issuer,
  AUTH0_JWKS_URI: issuer.jwksUri,
  AUTH0_AUDIENCE: issuer.audience,
});
const total = 2 * (RUNS + WARM);
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

/** The least a correct exchange must do: check the signature and claims, send the query. */
async function floor(jwt: string): Promise<string> {
  const [h, p, sig] = jwt.split(".") as [string, string, string];
  const header = JSON.parse(Buffer.from(h, "base64url").toString()) as { alg: string };
  if (header.alg !== "RS256") throw new Error("alg");
  if (!cryptoVerify("RSA-SHA256", Buffer.from(`${h}.${p}`), key, Buffer.from(sig, "base64url"))) throw new Error("signature");
  const claims = JSON.parse(Buffer.from(p, "base64url").toString()) as { sub: string; exp: number; iss: string; aud: string };
  const nowMs = Date.now();
  if (claims.iss !== config.jwt.issuer || claims.aud !== config.jwt.audiences[0] || claims.exp * 1000 < nowMs) throw new Error("claims");
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
const handlerMs: number[] = [];
const floorMs: number[] = [];
let next = 0;
for (let i = 0; i < RUNS + WARM; i++) {
  // Alternate which goes first, so neither always runs on a just-warmed path.
  const order = i % 2 === 0 ? (["handler", "floor"] as const) : (["floor", "handler"] as const);
  for (const which of order) {
    const jwt = jwts[next++]!;
    const req = which === "handler" ? request(jwt) : undefined;
    const t = performance.now();
    const watchdog = setTimeout(() => {
      console.error(`iteration ${i} (${which}) has not finished after 10 s: stopping`);
      process.exit(1);
    }, 10_000);
    const res = req ? await viaHandler(req) : await floor(jwt);
    clearTimeout(watchdog);
    const ms = performance.now() - t;
    if (res instanceof Response) await res.text();
    if (i >= WARM) (which === "handler" ? handlerMs : floorMs).push(ms);
  }
}
if (session) {
  const { profile } = await session.post("Profiler.stop");
  await writeFile(values.profile!, JSON.stringify(profile));
}
const fmt = (n: number) => n.toFixed(3);
console.log(`Exchange vs floor, ${RUNS} each, interleaved, warm (in-process emulator, JWKS mode with a cached key)`);
console.log(`  handler  p50 ${fmt(pct(handlerMs, 50))} ms   p99 ${fmt(pct(handlerMs, 99))} ms`);
console.log(`  floor    p50 ${fmt(pct(floorMs, 50))} ms   p99 ${fmt(pct(floorMs, 99))} ms`);
console.log(`  ratio    handler p50 / floor p50 = ${(pct(handlerMs, 50) / pct(floorMs, 50)).toFixed(3)}   (goal <= 1.15)`);
await exchange.client.close({ force: true });
await issuer.close();
await target.close();
// Sessions the driver keeps open would hold the process; the figures are printed.
process.exit(0);
