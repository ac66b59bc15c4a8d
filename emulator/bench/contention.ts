/**
 * npm run bench:contention [-- --writers 4,16 --seconds 5 --commit-delay-ms 20]
 *
 * Contention on the cluster profile, with the real faunadb driver: W writers (each its own
 * HTTP/2 session) loop for a few seconds over the transaction that contends on a real
 * FaunaDB, one that reads a Range over a term-less serialized index (as the cleanup does
 * over the ledger's expiry index) and adds an entry to it (as every exchange does). Per
 * writer count it prints commits, internal retries (`x-txn-retries`) and 409 `contended
 * transaction` answers per second, and the latency of committed queries; then, for
 * comparison, the same writers adding entries without reading the index (no contention).
 * Prints its figures; asserts nothing. They show the shape (how retries and 409s grow with
 * concurrency), not a cluster's throughput.
 */
import faunadb from "faunadb";
import { startEmulator } from "../index.ts";
import type { EmulatorHandle } from "../src/api.ts";
import { benchArgs } from "./args.ts";

const q = faunadb.query;
const USAGE = `Usage: npm run bench:contention -- [--writers 4,16] [--seconds 5] [--commit-delay-ms 20]
  --writers LIST        concurrent writers per run (comma-separated)
  --seconds N           how long each run lasts
  --commit-delay-ms N   the cluster profile's commit delay (its default: 20)`;

const values = benchArgs("bench:contention", USAGE, { writers: "4,16", seconds: "5", "commit-delay-ms": "20" });
const WRITERS = values.writers.split(",").map(Number);
const SECONDS = Number(values.seconds);
const DELAY = Number(values["commit-delay-ms"]);
if (WRITERS.some((n) => !Number.isInteger(n) || n < 1) || !(SECONDS > 0) || !(DELAY >= 0)) {
  console.error(`bench:contention: --writers takes whole numbers above 0, --seconds and --commit-delay-ms numbers\n\n${USAGE}`);
  process.exit(2);
}

interface Figures {
  commits: number;
  retries: number;
  contended: number;
  other: number;
  latencies: number[];
}

/** One writer: the same transaction again and again until the run ends. */
async function writer(client: faunadb.Client, expr: () => faunadb.Expr, until: number, f: Figures): Promise<void> {
  while (performance.now() < until) {
    const started = performance.now();
    try {
      const { metrics } = await client.queryWithMetrics(expr());
      f.commits++;
      f.retries += metrics["x-txn-retries"];
      f.latencies.push(performance.now() - started);
    } catch (e) {
      const r = (e as faunadb.errors.FaunaHTTPError).requestResult;
      if (r?.statusCode !== 409) {
        f.other++;
        continue;
      }
      f.contended++;
      f.retries += Number((r.responseHeaders as Record<string, string>)["x-txn-retries"]);
    }
  }
}

async function run(emu: EmulatorHandle, writers: number, expr: () => faunadb.Expr): Promise<Figures> {
  const clients = Array.from({ length: writers }, () => new faunadb.Client({ secret: emu.secret, endpoint: emu.url, checkNewVersion: false }));
  const f: Figures = { commits: 0, retries: 0, contended: 0, other: 0, latencies: [] };
  const until = performance.now() + SECONDS * 1000;
  await Promise.all(clients.map((c) => writer(c, expr, until, f)));
  await Promise.all(clients.map((c) => c.close()));
  return f;
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const perSecond = (n: number): string => (n / SECONDS).toFixed(1).padStart(7);

function print(label: string, writers: number, f: Figures): void {
  const sorted = [...f.latencies].sort((a, b) => a - b);
  console.log(
    `  ${label.padEnd(22)} ${String(writers).padStart(3)} writers: ${perSecond(f.commits)} commits/s ${perSecond(f.retries)} retries/s ${perSecond(f.contended)} 409s/s` +
      `   latency p50 ${pct(sorted, 50).toFixed(0)} ms, p95 ${pct(sorted, 95).toFixed(0)} ms${f.other ? `   (${f.other} other errors)` : ""}`,
  );
}

const emu = await startEmulator({ port: 0, profile: "cluster", commitDelayMs: DELAY });
const admin = new faunadb.Client({ secret: emu.secret, endpoint: emu.url, checkNewVersion: false });
await admin.query(q.CreateCollection({ name: "ledger" }));
await admin.query(q.CreateIndex({ name: "ledger_by_expiry", source: q.Collection("ledger"), values: [{ field: ["data", "expiresAt"] }, { field: ["ref"] }] }));
await admin.close();

let n = 0;
const entry = () => ({ data: { expiresAt: Date.now() + 3_600_000 + n++ } });
const contending = () => q.Do(q.Paginate(q.Range(q.Match(q.Index("ledger_by_expiry")), [0], [Date.now()]), { size: 10 }), q.Create(q.Collection("ledger"), entry()));
const blind = () => q.Create(q.Collection("ledger"), entry());

console.log(`Contention on the cluster profile (commit delay ${DELAY} ms, 5 attempts, retries after 0..200 ms), ${SECONDS} s per run, node ${process.version}`);
console.log("Each transaction reads a Range over a term-less serialized index and adds an entry to it:");
for (const w of WRITERS) print("read range + add entry", w, await run(emu, w, contending));
console.log("For comparison, writers that only add entries (nothing read, nothing to contend on):");
for (const w of WRITERS) print("add entry only", w, await run(emu, w, blind));
await emu.close();
process.exit(0);
