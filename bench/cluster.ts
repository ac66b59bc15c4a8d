/**
 * npm run bench:cluster [-- --expired N --rate N --concurrent N --max-runs N --sizes a,b,c | --help]
 *
 * The product on the emulator's cluster profile (transactions that overlap and contend,
 * retried by the server and then refused 409, a credential cache, FaunaDB's limits):
 *  a. N expired ledger entries (20,000) drained by the cleanup while sign-ins arrive at a
 *     steady rate (50 per second): runs needed, runs ending in error, wall time, and what
 *     the sign-ins got meanwhile;
 *  b. many concurrent first exchanges of one new user (50): every answer a 200 or a clean
 *     503 (OAuth's temporarily_unavailable with Retry-After), each counted;
 *  c. what an exchange, a cleanup page and a revocation batch cost by FaunaDB's metrics
 *     headers (bench/cluster-costs.ts), and the page-size cap derived from them.
 * Prints its figures; asserts nothing. Every wait is bounded (a request ends by its 8 s
 * deadline, a cleanup run by its 20 s budget + 5 s, the runs by --max-runs), so it cannot hang.
 */
import { parseArgs } from "node:util";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { deleteExpiredTokens, DEFAULT_CLEANUP_PAGE_SIZE, DEFAULT_CLEANUP_TIME_BUDGET_MS, type CleanupSummary } from "../lib/core/cleanup.ts";
import { DEFAULT_USERS_INDEX, LEDGER_INDEX } from "../lib/core/ledger/layout.ts";
import { createUsers, issueTokens } from "../test/cleanup-fixtures.ts";
import { meteredClient } from "../test/support/metrics.ts";
import { exchangeOnce, expiredLeft, fmt, outcomesLine, pct, startEndpoint, startTraffic, within } from "./cluster-traffic.ts";
import { measureCosts } from "./cluster-costs.ts";

const q = faunadb.query;
const HOUR = 3_600_000;

const HELP = `Usage: npm run bench:cluster -- [options]

The product on the emulator's cluster profile (contention, the server's retries and 409s,
FaunaDB's limits); prints its figures, asserts nothing, and cannot hang: every wait is
bounded. About two minutes with the defaults.

Options:
  --expired N       (a) expired ledger entries to drain (default 20000)
  --rate N          (a) sign-ins per second while the cleanup runs (default 50)
  --max-runs N      (a) cleanup runs at most, back to back (default 8)
  --concurrent N    (b) concurrent first exchanges of one new user (default 50)
  --sizes LIST      (c) page and batch sizes to measure (default 10,250,1000,10000)
  --skip-over-limit (c) skip the page three times the cap (30,000 entries, ~15 s)
  -h, --help        show this help, run nothing`;

/** The string options and their defaults; `--skip-over-limit` and `--help` are switches. */
const DEFAULTS = { expired: "20000", rate: "50", "max-runs": "8", concurrent: "50", sizes: "10,250,1000,10000" };

function parseCommandLine(): typeof DEFAULTS & { "skip-over-limit"?: boolean; help?: boolean } {
  const strings = Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [k, { type: "string" as const, default: v }]));
  try {
    const options = { ...strings, "skip-over-limit": { type: "boolean" as const }, help: { type: "boolean" as const, short: "h" } };
    return parseArgs({ options, strict: true }).values as ReturnType<typeof parseCommandLine>;
  } catch (e) {
    console.error(`bench:cluster: ${(e as Error).message}\nRun \`npm run bench:cluster -- --help\` for usage.`);
    process.exit(2);
  }
}

const values = parseCommandLine();
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const whole = (name: "expired" | "rate" | "max-runs" | "concurrent", v: string): number => {
  if (!/^\d+$/.test(v) || Number(v) < 1) {
    console.error(`bench:cluster: --${name} must be a positive whole number, got ${v}`);
    process.exit(2);
  }
  return Number(v);
};
const EXPIRED = whole("expired", values.expired);
const RATE = whole("rate", values.rate);
const MAX_RUNS = whole("max-runs", values["max-runs"]);
const CONCURRENT = whole("concurrent", values.concurrent);
const SIZES = values.sizes.split(",").map((s) => whole("expired", s.trim()));

/** A database on the cluster profile with the schema `deploy-schema --with-users` makes. */
async function clusterDatabase(): Promise<FaunaTarget> {
  const target = await startTarget({ profile: "cluster" });
  await deploySchema(target.client(), { withUsers: true });
  return target;
}

function runLine(i: number, s: CleanupSummary, retries: number, refused: number): string {
  const how = s.error ? `error ${s.error.code}${s.error.status ? ` (${s.error.status})` : ""}` : s.stoppedBy;
  return `    run ${String(i).padStart(2)}: ${fmt(s.ledgerEntriesDeleted).padStart(6)} entries in ${String(s.pages).padStart(3)} pages, ${fmt(s.queries).padStart(3)} queries, ${fmt(s.durationMs).padStart(6)} ms, ${how}; the server retried its queries ${fmt(retries)} times, refused ${refused} (409)`;
}

async function drainUnderTraffic(): Promise<void> {
  console.log(`\na. ${fmt(EXPIRED)} expired ledger entries drained while ${RATE} sign-ins per second arrive`);
  const target = await clusterDatabase();
  const endpoint = await startEndpoint(target);
  const cleanup = meteredClient(target.endpoint, target.serverSecret);
  let traffic: ReturnType<typeof startTraffic> | undefined;
  try {
    const subs = Array.from({ length: 500 }, (_, i) => `auth0|traffic-${i}`);
    const users = await createUsers(cleanup.client, subs);
    const now = (await cleanup.client.query(q.ToMillis(q.Now()))) as number;
    // Expired an hour ago, one in ten of each user's without a ttl (its token is still live:
    // the cleanup deletes it), so that no user is over the live-secret bound (which would
    // revoke them at the user's next sign-in, not the cleanup).
    const noTtl = (i: number) => Math.floor(i / users.length) % 10 === 0;
    await issueTokens(cleanup.client, Array.from({ length: EXPIRED }, (_, i) => ({ user: users[i % users.length]!, expiresAt: now - HOUR + i, ...(noTtl(i) ? { tokenTtl: "none" as const } : {}) })), 1000);
    console.log(`  (setup: ${fmt(EXPIRED)} expired entries, ${subs.length} users signing in in turn; cleanup runs back to back, page size ${DEFAULT_CLEANUP_PAGE_SIZE}, budget ${fmt(DEFAULT_CLEANUP_TIME_BUDGET_MS)} ms each, at most ${MAX_RUNS} runs)`);
    traffic = startTraffic(endpoint, subs, RATE);
    await new Promise((r) => setTimeout(r, 1000));
    const started = performance.now();
    const runs: CleanupSummary[] = [];
    for (let i = 1; i <= MAX_RUNS; i++) {
      cleanup.reset();
      const s = await deleteExpiredTokens(cleanup.client, { log: () => undefined });
      runs.push(s);
      const retries = cleanup.answers.reduce((n, a) => n + a.txnRetries, 0);
      console.log(runLine(i, s, retries, cleanup.answers.filter((a) => a.status === 409).length));
      if (!s.workRemaining) break;
    }
    const wallMs = performance.now() - started;
    const report = await traffic.stop(15_000);
    traffic = undefined;
    const left = await expiredLeft(cleanup.client);
    const drained = left === 0;
    const exchangeAnswers = endpoint.metered.answers;
    console.log(`  runs needed            ${drained ? fmt(runs.length) : `not drained after ${runs.length} runs (${fmt(left)} expired entries left)`}`);
    console.log(`  runs ending in error   ${runs.filter((s) => s.stoppedBy === "error").length} of ${runs.length} (goal 0)`);
    const deleted = runs.reduce((n, s) => n + s.ledgerEntriesDeleted, 0);
    console.log(`  wall time              ${fmt(wallMs / 1000, 1)} s (${fmt(deleted)} entries deleted by the cleanup, ${fmt(left)} left${EXPIRED - deleted - left > 0 ? `, ${fmt(EXPIRED - deleted - left)} revoked by the live-secret bound` : ""})`);
    console.log(`  sign-ins meanwhile     ${fmt(report.sent)} sent: ${outcomesLine(report.outcomes)}; unanswered ${report.unanswered}`);
    console.log(`                         p50 ${fmt(pct(report.latenciesMs, 50))} ms, p99 ${fmt(pct(report.latenciesMs, 99))} ms; the server retried their queries ${fmt(exchangeAnswers.reduce((n, a) => n + a.txnRetries, 0))} times, refused ${exchangeAnswers.filter((a) => a.status === 409).length} (409)`);
  } finally {
    await traffic?.stop(15_000);
    await closeAll(endpoint, cleanup, target);
  }
}

async function closeAll(endpoint: { close(): Promise<void> }, metered: { client: faunadb.Client }, target: FaunaTarget): Promise<void> {
  await endpoint.close();
  await metered.client.close().catch(() => undefined);
  await target.close();
}

async function concurrentFirstExchanges(): Promise<void> {
  console.log(`\nb. ${CONCURRENT} concurrent first exchanges of one new user (CREATE_MISSING_USERS=true)`);
  const target = await clusterDatabase();
  const endpoint = await startEndpoint(target, { CREATE_MISSING_USERS: "true" });
  const reader = meteredClient(target.endpoint, target.serverSecret);
  try {
    const sub = `auth0|new-${Date.now()}`;
    const started = performance.now();
    const settled = await within(Promise.all(Array.from({ length: CONCURRENT }, () => exchangeOnce(endpoint, sub))), 30_000, null);
    const wallMs = performance.now() - started;
    if (!settled) {
      console.log("  NOT ALL ANSWERED within 30 s");
      return;
    }
    const outcomes = new Map<string, number>();
    for (const { outcome } of settled) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const answers = endpoint.metered.answers;
    const user = q.Select(["data", 0], q.Paginate(q.Match(q.Index(DEFAULT_USERS_INDEX), sub)));
    const counts = (await reader.client.query({
      users: q.Count(q.Match(q.Index(DEFAULT_USERS_INDEX), sub)),
      entries: q.Count(q.Match(q.Index(LEDGER_INDEX.byUser.name), user)),
    })) as { users: number; entries: number };
    const clean = (outcomes.get("200") ?? 0) + (outcomes.get("503 (clean)") ?? 0);
    console.log(`  answers                ${outcomesLine(outcomes)}${clean === CONCURRENT ? " (every one a 200 or a clean 503)" : " (SOME NEITHER 200 NOR A CLEAN 503)"}`);
    console.log(`  wall time              ${fmt(wallMs)} ms (p50 ${fmt(pct(settled.map((s) => s.ms), 50))} ms, max ${fmt(Math.max(...settled.map((s) => s.ms)))} ms)`);
    console.log(`  FaunaDB                ${answers.length} queries: the server retried them ${fmt(answers.reduce((n, a) => n + a.txnRetries, 0))} times, refused ${answers.filter((a) => a.status === 409).length} (409), ${answers.filter((a) => a.status === 400).length} failed 400`);
    console.log(`  afterwards             ${counts.users} user document for the sub; ${counts.entries} ledger entries (the live-secret bound keeps at most 20)`);
  } finally {
    await closeAll(endpoint, reader, target);
  }
}

const started = performance.now();
console.log(`bench:cluster  (node ${process.version}; the emulator's cluster profile: commits 20 ms after their snapshot, conflicts retried up to 5 times, then 409; FaunaDB's limits on)`);
await drainUnderTraffic();
await concurrentFirstExchanges();
await measureCosts({ sizes: SIZES, overLimit: values["skip-over-limit"] !== true, database: clusterDatabase });
console.log(`\nbenchmark finished in ${fmt((performance.now() - started) / 1000, 1)} s`);
