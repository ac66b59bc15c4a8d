/**
 * npm run bench:reads (part of npm run bench)
 *
 * What one exchange reads as a function of the live secrets its user already holds
 * (issue 17.4: at most 2 documents, whatever the number), from the in-process emulator's
 * counters: documents read and written, index entries inspected, and, when the database
 * sends them, FaunaDB's metrics headers (x-compute-ops, x-byte-read-ops). One fresh
 * database per row; the live secrets are issued directly (token + ledger entry, as the
 * exchange writes them), then one exchange is measured with a warm key cache.
 *
 * Prints its figures; asserts nothing.
 */
import faunadb from "faunadb";
import { startTarget } from "fql4-emulator/testing";
import { startDevIssuer } from "../lib/dev/issuer.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { createTokenExchange } from "../lib/core/exchange/exchange.ts";
import { DEFAULT_USERS_COLLECTION } from "../lib/core/ledger/layout.ts";
import { exchangeEnv } from "../test/support/env.ts";
import { issueTokens } from "../test/cleanup-fixtures.ts";

const q = faunadb.query;

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(`Usage: npm run bench:reads

Prints, for 0, 1, 20 and 100 live secrets of a user, what one more exchange reads
(documents, index entries, and FaunaDB's x-compute-ops / x-byte-read-ops headers when the
database sends them), from the in-process emulator's counters. No options.`);
  process.exit(0);
}

/** [live secrets held, MAX_LIVE_SECRETS_PER_USER]: below the bound, and at it (one evicted). */
const ROWS: [number, number][] = [
  [0, 20],
  [1, 20],
  [20, 20],
  [100, 200],
  [100, 100],
];
const METRICS = ["x-compute-ops", "x-byte-read-ops"] as const;

interface Figures {
  documentsRead: number;
  documentsWritten: number;
  indexEntriesScanned: number;
  evicted: number;
  headers: Partial<Record<(typeof METRICS)[number], string>>;
}

async function measure(live: number, bound: number): Promise<Figures> {
  const target = await startTarget();
  const issuer = await startDevIssuer();
  try {
    await deploySchema(target.client(), { withUsers: true });
    const server = target.client(target.serverSecret);
    const user = await server.query<faunadb.values.Ref>(q.Select("ref", q.Create(q.Collection(DEFAULT_USERS_COLLECTION), { data: { auth0_id: "auth0|bench" } })));
    const now = await server.query<number>(q.ToMillis(q.Now()));
    await issueTokens(server, Array.from({ length: live }, (_, i) => ({ user, expiresAt: now + 3_600_000 + i })));
    const headers: Figures["headers"] = {};
    const observed = new faunadb.Client({
      secret: target.serverSecret,
      endpoint: target.endpoint,
      checkNewVersion: false,
      observer: (res) => {
        const h = res.responseHeaders as Record<string, string | string[] | undefined>;
        for (const name of METRICS) if (typeof h[name] === "string") headers[name] = h[name];
      },
    });
    const config = loadConfig({ ...exchangeEnv(target, issuer), MAX_LIVE_SECRETS_PER_USER: String(bound) });
    const exchange = createTokenExchange(config, { client: observed });
    const jwt = issuer.mint({ sub: "auth0|bench" });
    const verified = await exchange.verify(jwt);
    const emu = target.emulator!;
    emu.stats.reset();
    const result = await exchange.issue(verified);
    const stats = emu.stats.snapshot();
    await observed.close();
    return { documentsRead: stats.documentsRead, documentsWritten: stats.documentsWritten, indexEntriesScanned: stats.indexEntriesScanned, evicted: result.evicted, headers };
  } finally {
    await issuer.close();
    await target.close();
  }
}

console.log("Documents read per exchange, by the live secrets the user holds (emulator counters; one exchange each)");
console.log(`  ${"live".padStart(5)} ${"bound".padStart(6)} ${"evicted".padStart(8)} ${"docs read".padStart(10)} ${"docs written".padStart(13)} ${"index entries".padStart(14)} ${"compute ops".padStart(12)} ${"byte read ops".padStart(14)}`);
let headersSeen = false;
for (const [live, bound] of ROWS) {
  const f = await measure(live, bound);
  headersSeen ||= Object.keys(f.headers).length > 0;
  console.log(
    `  ${String(live).padStart(5)} ${String(bound).padStart(6)} ${String(f.evicted).padStart(8)} ${String(f.documentsRead).padStart(10)} ${String(f.documentsWritten).padStart(13)} ${String(f.indexEntriesScanned).padStart(14)} ${(f.headers["x-compute-ops"] ?? "-").padStart(12)} ${(f.headers["x-byte-read-ops"] ?? "-").padStart(14)}`,
  );
}
console.log("  (at the bound one secret is evicted: its token and ledger entry are the 2 documents read and deleted;");
console.log("   below it nothing but index entries: the user, the sign-out barrier, the live tokens)");
if (!headersSeen) console.log("  (no metrics headers: this emulator does not send x-compute-ops / x-byte-read-ops)");
