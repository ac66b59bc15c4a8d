/**
 * npm run bench:cleanup [-- --live N --expired N --page-size N --page-sizes a,b,c | --help]
 * (npm run bench runs it with --all: bench/emulator-scale.ts before it, bench/exchange-reads.ts and
 * bench/exchange-floor.ts after)
 *
 * Figures for the cleanup (issue 4), measured on the in-process emulator:
 *  1. 100,000 live + 20,000 expired tokens: one unbounded run, then the same load as the
 *     scheduled function sees it (default 20 s budget, run after run until done);
 *  2. the same 20,000 expired with 0 live: the cost must not move;
 *  3. with --page-sizes: throughput and page latency per page size (how the default was picked).
 *
 * Prints its figures; asserts nothing. Emulator figures are not FaunaDB latencies: they
 * show the shape (reads per expired entry, queries per run, dependence on the live count),
 * not production speed.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { createLedgerSchema, createUsers, issueTokens, type IssueSpec } from "../test/cleanup-fixtures.ts";
import { DEFAULT_CLEANUP_PAGE_SIZE, DEFAULT_CLEANUP_TIME_BUDGET_MS, deleteExpiredTokens, type CleanupSummary } from "../lib/core/cleanup.ts";
import type { StatsSnapshot } from "fql4-emulator";

const q = faunadb.query;
const HOUR = 3_600_000;

const HELP = `Usage: npm run bench:cleanup -- [options]
       npm run bench -- [options]     (all of them: the emulator's scale figures, these,
                                      the documents read per exchange, then the exchange
                                      against its floors; the options below apply to
                                      these; npm run bench:emulator, bench:reads and
                                      bench:exchange -- --help for theirs; npm run
                                      bench:contention -- --help for contention on the
                                      emulator's cluster profile, and npm run
                                      bench:cluster -- --help for the product on it (the
                                      cleanup under sign-ins, concurrent first exchanges,
                                      the cost of each query): each run on its own)

Prints the cleanup's figures on the in-process emulator; asserts nothing.

Options:
  --live N            live tokens (default 100000)
  --expired N         expired tokens (default 20000)
  --no-ttl-share F    share of the expired tokens issued without a ttl, so the cleanup
                      deletes the token itself (default 0.1)
  --page-size N       page size for the main runs (default ${DEFAULT_CLEANUP_PAGE_SIZE})
  --page-sizes LIST   also measure these page sizes (comma-separated), e.g. 50,100,250,500,1000
  --budget-ms MS      time budget for the time-box demonstration (default 250, so that the
                      emulator, far faster than FaunaDB, needs several runs)
  --skip-zero-live    skip the 0-live comparison run
  --all               also bench/emulator-scale.ts before, bench/exchange-reads.ts and
                      bench/exchange-floor.ts after, each with its defaults (what npm run
                      bench does)
  -h, --help          show this help, run nothing`;

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        live: { type: "string", default: "100000" },
        expired: { type: "string", default: "20000" },
        "no-ttl-share": { type: "string", default: "0.1" },
        "page-size": { type: "string", default: String(DEFAULT_CLEANUP_PAGE_SIZE) },
        "page-sizes": { type: "string" },
        "budget-ms": { type: "string", default: "250" },
        "skip-zero-live": { type: "boolean" },
        all: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    const unknown = /^Unknown option '([^']+)'/.exec((e as Error).message);
    console.error(`bench: ${unknown ? `unknown option ${unknown[1]}` : (e as Error).message}\nRun \`npm run bench -- --help\` for usage.`);
    process.exit(2);
  }
}

const { values } = parseCommandLine();
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
for (const name of ["live", "expired", "page-size", "budget-ms"] as const) {
  if (!/^\d+$/.test(values[name])) {
    console.error(`bench: --${name} must be a whole number, got ${values[name]}`);
    process.exit(2);
  }
}
/**
 * One of the other benchmarks, in a process of its own (the emulator's heap figure needs
 * --expose-gc and a heap holding nothing else). `npm run bench` is this one script, not a
 * chain of `&&`, because npm hands `-- --help` to the last command of a chain only.
 */
function runPart(file: string, nodeFlags: string[] = []): void {
  const r = spawnSync(process.execPath, [...nodeFlags, "--import", "tsx", fileURLToPath(new URL(file, import.meta.url))], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log("");
}
if (values.all) runPart("emulator-scale.ts", ["--expose-gc"]);
const LIVE = Number(values.live);
const EXPIRED = Number(values.expired);
const NO_TTL_SHARE = Number(values["no-ttl-share"]);
const PAGE_SIZE = Number(values["page-size"]);
const DEMO_BUDGET_MS = Number(values["budget-ms"]);

interface Timed {
  queryMs: number[];
}

/** A client that records each query's round trip, so page latency needs no hook in lib/. */
function timedClient(target: FaunaTarget): { client: faunadb.Client; timing: Timed } {
  const timing: Timed = { queryMs: [] };
  const client = new faunadb.Client({
    secret: target.serverSecret,
    endpoint: target.endpoint,
    checkNewVersion: false,
    timeout: 120,
    // The driver's typings say Date; at runtime these are Date.now() numbers. Number() takes both.
    observer: (res) => {
      timing.queryMs.push(Number(res.endTime) - Number(res.startTime));
    },
  });
  return { client, timing };
}

async function populate(target: FaunaTarget, live: number, expired: number): Promise<{ issueMs: number }> {
  const admin = target.client();
  await createLedgerSchema(admin);
  const server = target.client(target.serverSecret);
  const users = await createUsers(server, Array.from({ length: 1000 }, (_, i) => `bench|${i}`));
  const now = (await server.query(q.ToMillis(q.Now()))) as number;
  const noTtl = Math.round(expired * NO_TTL_SHARE);
  const specs: IssueSpec[] = [];
  // Interleave expiring and live tokens so the index is not trivially pre-sorted by creation.
  for (let i = 0; i < Math.max(live, expired); i++) {
    if (i < expired) specs.push({ user: users[i % users.length]!, expiresAt: now + HOUR + i, ...(i < noTtl ? { tokenTtl: "none" as const } : {}) });
    if (i < live) specs.push({ user: users[(i * 7) % users.length]!, expiresAt: now + 24 * HOUR + i });
  }
  const t = performance.now();
  await issueTokens(server, specs, 1000);
  return { issueMs: performance.now() - t };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface RunFigures {
  summary: CleanupSummary;
  stats: StatsSnapshot | undefined;
  queryMs: number[];
  wallMs: number;
}

async function measuredRun(target: FaunaTarget, pageSize: number, timeBudgetMs: number): Promise<RunFigures> {
  const { client, timing } = timedClient(target);
  target.emulator?.stats.reset();
  const t = performance.now();
  const summary = await deleteExpiredTokens(client, { pageSize, timeBudgetMs, log: () => undefined });
  const wallMs = performance.now() - t;
  const stats = target.emulator?.stats.snapshot();
  await client.close();
  return { summary, stats, queryMs: timing.queryMs, wallMs };
}

function printRun(title: string, r: RunFigures, expired: number): void {
  const s = r.summary;
  const sorted = [...r.queryMs].sort((a, b) => a - b);
  console.log(`  ${title}`);
  console.log(`    stopped by            ${s.stoppedBy}${s.workRemaining ? " (work remaining)" : ""}${s.error ? ` error=${s.error.code}` : ""}`);
  console.log(`    queries per run       ${s.queries} (${s.pages} pages of up to ${s.pageSize})`);
  console.log(`    expired entries       ${fmt(s.expiredEntries)} (ledger deleted ${fmt(s.ledgerEntriesDeleted)}, tokens deleted ${fmt(s.tokensDeleted)}, token already gone ${fmt(s.tokensAlreadyGone)})`);
  if (r.stats) {
    console.log(`    documents read        ${fmt(r.stats.documentsRead)} (${fmt(r.stats.documentsRead / Math.max(1, s.expiredEntries), 2)} per expired entry)`);
    console.log(`    documents written     ${fmt(r.stats.documentsWritten)}`);
    console.log(`    index entries         ${fmt(r.stats.indexEntriesScanned)} inspected`);
    console.log(`    entries used / expired ${fmt(s.expiredEntries / Math.max(1, expired), 4)} (index entries returned and acted on, per expired entry)`);
    console.log(`    inspected / expired   ${fmt(r.stats.indexEntriesScanned / Math.max(1, expired), 4)} (index entries inspected, incl. each page's look-ahead and the final bound check)`);
  }
  console.log(`    duration              ${fmt(r.wallMs)} ms`);
  console.log(`    entries cleaned / s   ${fmt(s.ledgerEntriesDeleted / (r.wallMs / 1000))}  (tokens deleted or found already gone, with their ledger entries)`);
  console.log(`    query latency         p50 ${fmt(pct(sorted, 50))} ms, p95 ${fmt(pct(sorted, 95))} ms, max ${fmt(sorted.at(-1) ?? 0)} ms`);
}

async function scenario(live: number, expired: number, budgetDemo: boolean): Promise<{ unbounded: RunFigures; boxed: RunFigures[] }> {
  // One run with the default settings; then, optionally, the same load in a fresh
  // database cleaned by runs with a small time budget, to show the work split across
  // runs. One database at a time, so the heap (and the GC) is the same for both scenarios.
  let told = false;
  const prepare = async (): Promise<FaunaTarget> => {
    const target = await startTarget();
    const { issueMs } = await populate(target, live, expired);
    // Said once: the second database of a scenario is the same load again.
    if (!told) console.log(`  (setup: issued ${fmt(live + expired)} tokens with their ledger entries in ${fmt(issueMs / 1000, 1)} s${budgetDemo ? ", in each of two databases" : ""})`);
    told = true;
    target.emulator?.clock.advance(2 * HOUR);
    return target;
  };
  const a = await prepare();
  const unbounded = await measuredRun(a, PAGE_SIZE, DEFAULT_CLEANUP_TIME_BUDGET_MS).finally(() => a.close());
  const boxed: RunFigures[] = [];
  if (budgetDemo) {
    const b = await prepare();
    try {
      for (let i = 0; i < 100; i++) {
        const r = await measuredRun(b, PAGE_SIZE, DEMO_BUDGET_MS);
        boxed.push(r);
        if (!r.summary.workRemaining || r.summary.error) break;
      }
    } finally {
      await b.close();
    }
  }
  return { unbounded, boxed };
}

function printBoxed(runs: RunFigures[]): void {
  if (runs.length === 0) return;
  console.log(`  the same load with a ${DEMO_BUDGET_MS} ms budget, run after run until done:`);
  runs.forEach((r, i) => {
    const s = r.summary;
    console.log(
      `    run ${String(i + 1).padStart(2)}: ${String(s.pages).padStart(3)} pages, ${fmt(s.ledgerEntriesDeleted).padStart(6)} entries, ${fmt(s.durationMs).padStart(5)} ms, ${s.stoppedBy}${s.workRemaining ? ", work remaining" : ""}`,
    );
  });
  const total = runs.reduce((n, r) => n + r.summary.ledgerEntriesDeleted, 0);
  const maxMs = Math.max(...runs.map((r) => r.summary.durationMs));
  console.log(`    ${runs.length} runs, ${fmt(total)} entries in all, longest run ${fmt(maxMs)} ms (budget ${DEMO_BUDGET_MS} ms)`);
}

async function pageSizeSweep(sizes: number[], live: number, expired: number, reps: number): Promise<void> {
  console.log(`\nPage size sweep: ${fmt(expired)} expired, ${fmt(live)} live; median of ${reps} runs per size, each in a fresh database`);
  console.log(`  ${"size".padStart(6)} ${"queries".padStart(8)} ${"entries/s".padStart(10)} ${"page p50 ms".padStart(12)} ${"page max ms".padStart(12)}`);
  for (const size of sizes) {
    const rows: { rate: number; p50: number; max: number; queries: number }[] = [];
    for (let i = 0; i < reps; i++) {
      const target = await startTarget();
      try {
        await populate(target, live, expired);
        target.emulator?.clock.advance(2 * HOUR);
        const r = await measuredRun(target, size, Number.POSITIVE_INFINITY);
        const sorted = [...r.queryMs].sort((x, y) => x - y);
        rows.push({ rate: r.summary.ledgerEntriesDeleted / (r.wallMs / 1000), p50: pct(sorted, 50), max: sorted.at(-1) ?? 0, queries: r.summary.queries });
      } finally {
        await target.close();
      }
    }
    const med = (f: (r: (typeof rows)[number]) => number) => [...rows.map(f)].sort((x, y) => x - y)[Math.floor(rows.length / 2)]!;
    console.log(
      `  ${String(size).padStart(6)} ${String(rows[0]!.queries).padStart(8)} ${fmt(med((r) => r.rate)).padStart(10)} ${fmt(med((r) => r.p50)).padStart(12)} ${fmt(med((r) => r.max)).padStart(12)}`,
    );
  }
}

const started = performance.now();
console.log(`delete-expired-tokens benchmark  (node ${process.version}, page size ${PAGE_SIZE}, default budget ${DEFAULT_CLEANUP_TIME_BUDGET_MS} ms)`);
console.log(`${fmt(EXPIRED)} expired tokens (${fmt(Math.round(EXPIRED * NO_TTL_SHARE))} of them without a ttl), target: ${process.env.FAUNA_TEST_ENDPOINT ? "FaunaDB" : "emulator"}`);

// Warm the JIT on a small load first, so the first measured run is not also the slowest.
{
  const w = await startTarget();
  await populate(w, 500, 2000);
  w.emulator?.clock.advance(2 * HOUR);
  await measuredRun(w, PAGE_SIZE, Number.POSITIVE_INFINITY);
  await w.close();
}

console.log(`\n1. ${fmt(LIVE)} live + ${fmt(EXPIRED)} expired`);
const withLive = await scenario(LIVE, EXPIRED, true);
printRun(`one run (default settings: page size ${PAGE_SIZE}, budget ${DEFAULT_CLEANUP_TIME_BUDGET_MS} ms)`, withLive.unbounded, EXPIRED);
printBoxed(withLive.boxed);

if (!values["skip-zero-live"]) {
  console.log(`\n2. 0 live + ${fmt(EXPIRED)} expired`);
  const noLive = await scenario(0, EXPIRED, false);
  printRun(`one run (default settings)`, noLive.unbounded, EXPIRED);
  const a = withLive.unbounded.stats;
  const b = noLive.unbounded.stats;
  if (a && b) {
    console.log(`\n  ${fmt(LIVE)} live vs 0 live (queries / documents read / documents written / index entries inspected):`);
    console.log(`    ${a.queries} / ${a.documentsRead} / ${a.documentsWritten} / ${a.indexEntriesScanned}  vs  ${b.queries} / ${b.documentsRead} / ${b.documentsWritten} / ${b.indexEntriesScanned}`);
    const sameButBound = a.queries === b.queries && a.documentsRead === b.documentsRead && a.documentsWritten === b.documentsWritten && a.indexEntriesScanned - b.indexEntriesScanned === 1;
    const same = sameButBound || (a.queries === b.queries && a.documentsRead === b.documentsRead && a.documentsWritten === b.documentsWritten && a.indexEntriesScanned === b.indexEntriesScanned);
    console.log(
      same
        ? `    same cost. ${sameButBound ? "The one extra index entry inspected with live tokens is the range scan's bound check: it meets the first live entry, sees it is past Now(), and stops (the entry is never returned, its document never read)." : ""}`
        : "    COST DEPENDS ON THE LIVE COUNT",
    );
    console.log(`    wall time ${fmt(withLive.unbounded.wallMs)} ms vs ${fmt(noLive.unbounded.wallMs)} ms`);
  }
}

if (values["page-sizes"]) {
  const sizes = values["page-sizes"].split(",").map((s) => Number(s.trim()));
  await pageSizeSweep(sizes, Math.min(LIVE, 10_000), EXPIRED, 3);
}
console.log(`\nbenchmark finished in ${fmt((performance.now() - started) / 1000, 1)} s`);
if (values.all) {
  console.log("");
  runPart("exchange-reads.ts");
  runPart("exchange-floor.ts");
}
