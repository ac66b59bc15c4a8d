/**
 * Part c of bench/cluster.ts: what the product's queries cost by FaunaDB's metrics headers
 * (`x-compute-ops`, `x-byte-read-ops`, `x-byte-write-ops`, `x-storage-bytes-write`), on the
 * emulator's cluster profile: an exchange (first of a user, below, at and far over the
 * live-secret bound), a cleanup page and a revocation batch at a few sizes. Then the
 * page-size cap (lib/core/ledger/limits.ts) recomputed from FaunaDB's limits and the worst
 * cost per entry measured here, and a page three times the cap sent as raw FQL, to show the
 * limit it would hit.
 */
import faunadb from "faunadb";
import type { FaunaTarget } from "fql4-emulator/testing";
import { deleteExpiredTokens } from "../lib/core/cleanup.ts";
import { revokeUserTokens } from "../lib/core/revoke.ts";
import { deleteExpiredPageFql } from "../lib/core/ledger/fql.ts";
import { DEFAULT_USERS_INDEX } from "../lib/core/ledger/layout.ts";
import { FAUNA_TRANSACTION_LIMITS, LIMIT_SAFETY_FACTOR, MAX_PAGE_SIZE, PAGE_ENTRY_COST } from "../lib/core/ledger/limits.ts";
import { createUsers, issueTokens } from "../test/cleanup-fixtures.ts";
import { meteredClient, type QueryMetrics } from "../test/support/metrics.ts";
import { exchangeOnce, fmt, startEndpoint } from "./cluster-traffic.ts";

const q = faunadb.query;
const HOUR = 3_600_000;
const CALLS = FAUNA_TRANSACTION_LIMITS.callsPerComputeOp;

function row(label: string, m: QueryMetrics, entries?: number): string {
  const per = entries ? `  ${fmt((m.computeOps * CALLS) / entries, 2).padStart(6)} calls, ${fmt(m.storageBytesWritten / entries).padStart(4)} B written per entry` : "";
  return `    ${label.padEnd(58)} ${fmt(m.computeOps).padStart(6)} ${fmt(m.byteReadOps).padStart(7)} ${fmt(m.byteWriteOps).padStart(7)} ${fmt(m.storageBytesWritten).padStart(10)}${per}`;
}
const HEAD = `    ${"".padEnd(58)} ${"compute".padStart(6)} ${"read ops".padStart(7)} ${"write ops".padStart(7)} ${"bytes written".padStart(10)}`;

async function exchangeCosts(database: () => Promise<FaunaTarget>): Promise<void> {
  console.log(`  per exchange (the one query of POST /api/token; compute ops, byte read ops, byte write ops, storage bytes written):`);
  console.log(HEAD);
  for (const bound of [20, 1000]) {
    const target = await database();
    const endpoint = await startEndpoint(target, { CREATE_MISSING_USERS: "true", MAX_LIVE_SECRETS_PER_USER: String(bound) });
    try {
      const last = () => endpoint.metered.answers.at(-1)!;
      const sub = `auth0|costs-${bound}`;
      const once = async () => {
        const { outcome } = await exchangeOnce(endpoint, sub);
        if (outcome !== "200") throw new Error(`exchange answered ${outcome}`);
        return last();
      };
      if (bound === 20) {
        console.log(row("first exchange (creates the user)", await once()));
        console.log(row("with 1 live secret", await once()));
        for (let i = 2; i < bound - 1; i++) await once();
        console.log(row(`with ${bound - 1} live secrets (below the bound of ${bound})`, await once()));
        console.log(row(`with ${bound} live secrets (at the bound: evicts 1)`, await once()));
      } else {
        await once();
        const server = target.client(target.serverSecret);
        const user = (await server.query(q.Select(["data", 0], q.Paginate(q.Match(q.Index(DEFAULT_USERS_INDEX), sub))))) as faunadb.values.Ref;
        const now = (await server.query(q.ToMillis(q.Now()))) as number;
        await issueTokens(server, Array.from({ length: bound - 2 }, (_, i) => ({ user, expiresAt: now + HOUR + i })), 1000);
        console.log(row(`with ${bound - 1} live secrets (MAX_LIVE_SECRETS_PER_USER=${bound}, its most)`, await once()));
      }
    } finally {
      await endpoint.close();
      await target.close();
    }
  }
}

interface PageCosts {
  label: string;
  size: number;
  m: QueryMetrics;
}

async function pageCosts(database: () => Promise<FaunaTarget>, sizes: readonly number[]): Promise<PageCosts[]> {
  const target = await database();
  const metered = meteredClient(target.endpoint, target.serverSecret);
  const out: PageCosts[] = [];
  try {
    const c = metered.client;
    for (const size of sizes) {
      const [expiring, live, revoked] = await createUsers(c, [`auth0|gone-${size}`, `auth0|live-${size}`, `auth0|revoked-${size}`]);
      const now = (await c.query(q.ToMillis(q.Now()))) as number;
      for (const [user, tokenTtl, label] of [[expiring, undefined, "cleanup page, tokens gone by their ttl"], [live, "none", "cleanup page, every token live"]] as const) {
        await issueTokens(c, Array.from({ length: size }, (_, i) => ({ user: user!, expiresAt: now - HOUR + i, ...(tokenTtl ? { tokenTtl } : {}) })), 1000);
        metered.reset();
        const s = await deleteExpiredTokens(c, { pageSize: size, log: () => undefined });
        if (s.pages !== 1 || s.ledgerEntriesDeleted !== size) throw new Error(`${label}: ${JSON.stringify(s)}`);
        out.push({ label, size, m: metered.answers[0]! });
      }
      // Two batches' worth: the first records the sign-out, the later ones read each entry too.
      await issueTokens(c, Array.from({ length: 2 * size }, (_, i) => ({ user: revoked!, expiresAt: now + HOUR + i })), 1000);
      metered.reset();
      const r = await revokeUserTokens(c, `auth0|revoked-${size}`, { usersIndex: DEFAULT_USERS_INDEX, batchSize: size });
      if (r.revoked !== 2 * size) throw new Error(`revocation: ${JSON.stringify(r)}`);
      // The batches that deleted them (a revocation ends with a pass that finds nothing left).
      metered.answers.filter((a) => a.storageBytesWritten > 0).forEach((m, i) => out.push({ label: `revocation, ${i === 0 ? "first batch" : "later batch"}`, size, m }));
    }
  } finally {
    await metered.client.close();
    await target.close();
  }
  return out;
}

/** A page three times the cap, as raw FQL (the library refuses to ask for it): FaunaDB refuses it. */
async function overLimit(database: () => Promise<FaunaTarget>): Promise<void> {
  const size = 3 * MAX_PAGE_SIZE;
  const target = await database();
  const metered = meteredClient(target.endpoint, target.serverSecret);
  try {
    const [user] = await createUsers(metered.client, ["auth0|over"]);
    const now = (await metered.client.query(q.ToMillis(q.Now()))) as number;
    await issueTokens(metered.client, Array.from({ length: size }, (_, i) => ({ user: user!, expiresAt: now - HOUR + i, tokenTtl: "none" as const })), 1000);
    metered.reset();
    const outcome = await metered.client.query(deleteExpiredPageFql(size)).then(
      () => "committed",
      (e: unknown) => {
        if (!(e instanceof faunadb.errors.FaunaHTTPError)) throw e;
        const first = (e.errors() as { code?: string; description?: string }[])[0];
        return `${e.requestResult.statusCode} ${first?.code}: ${first?.description}`;
      },
    );
    console.log(`  a page of ${fmt(size)} (3 × the cap, every token live), sent as raw FQL: ${outcome}`);
  } finally {
    await metered.client.close();
    await target.close();
  }
}

export async function measureCosts(o: { sizes: readonly number[]; overLimit: boolean; database: () => Promise<FaunaTarget> }): Promise<void> {
  console.log(`\nc. what the queries cost, by FaunaDB's metrics headers`);
  await exchangeCosts(o.database);
  const pages = await pageCosts(o.database, o.sizes);
  console.log(`  per cleanup page and revocation batch:`);
  console.log(HEAD);
  for (const p of pages) console.log(row(`${p.label}, ${fmt(p.size)}`, p.m, p.size));
  // The fixed part of a query weighs on small pages: the cap is about big ones.
  const big = pages.filter((p) => p.size >= 250);
  const calls = Math.max(...big.map((p) => (p.m.computeOps * CALLS) / p.size));
  const bytes = Math.max(...big.map((p) => p.m.storageBytesWritten / p.size));
  const L = FAUNA_TRANSACTION_LIMITS;
  console.log(`  worst cost per entry measured (pages of 250 or more): ${fmt(calls, 2)} calls, ${fmt(bytes)} bytes written; the cap assumes ${PAGE_ENTRY_COST.calls} and ${PAGE_ENTRY_COST.bytesWritten}${calls <= PAGE_ENTRY_COST.calls && bytes <= PAGE_ENTRY_COST.bytesWritten ? " (holds)" : " (EXCEEDED: re-derive lib/core/ledger/limits.ts)"}`);
  const allowed = { compute: Math.floor((L.computeOps * CALLS) / calls), width: L.width, written: Math.floor(L.bytesWritten / bytes) };
  const tightest = Math.min(...Object.values(allowed));
  console.log(
    `  entries per page each limit allows at that cost: compute ${fmt(allowed.compute)}, width ${fmt(allowed.width)}, 16 MiB written ${fmt(allowed.written)}; ` +
      `the tightest / ${LIMIT_SAFETY_FACTOR} = ${fmt(Math.floor(tightest / LIMIT_SAFETY_FACTOR))}; the cap in force (MAX_PAGE_SIZE, from the assumed cost): ${fmt(MAX_PAGE_SIZE)}`,
  );
  if (o.overLimit) await overLimit(o.database);
}
