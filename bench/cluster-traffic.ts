/**
 * The pieces bench/cluster.ts drives against the emulator's cluster profile: the product's
 * own token endpoint (lib/http's handler, the exchange with its one query) over a client
 * that reads FaunaDB's metrics headers, sign-ins arriving at a steady rate, and the
 * answers counted by kind. Every wait here is bounded: a request ends by the exchange's
 * own deadline (8 s), and `stop` waits at most the time it is given.
 */
import faunadb from "faunadb";
import type { FaunaTarget } from "fql4-emulator/testing";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";
import { loadConfig } from "../lib/core/config/load.ts";
import { createTokenExchange } from "../lib/core/exchange/exchange.ts";
import { createHttpHandler } from "../lib/http/token-handler.ts";
import type { FetchHandler } from "../lib/http/respond.ts";
import { setLogSink } from "../lib/core/log.ts";
import { exchangeEnv } from "../test/support/env.ts";
import { meteredClient, type MeteredClient } from "../test/support/metrics.ts";
import { LEDGER_BY_EXPIRATION_INDEX } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves with `p`'s value, or with `fallback` once `ms` have passed. */
export function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface Endpoint {
  issuer: DevIssuer;
  handler: FetchHandler;
  /** The exchange's client: every answer's metrics. */
  metered: MeteredClient;
  close(): Promise<void>;
}

/** The token endpoint as a deployment runs it, pointed at `target` and a local issuer. */
export async function startEndpoint(target: FaunaTarget, env: Record<string, string> = {}): Promise<Endpoint> {
  setLogSink(() => undefined);
  const issuer = await startDevIssuer();
  const metered = meteredClient(target.endpoint, target.serverSecret);
  const config = loadConfig({ ...exchangeEnv(target, issuer), ...env });
  const handler = createHttpHandler({ exchange: createTokenExchange(config, { client: metered.client }) });
  return {
    issuer,
    handler,
    metered,
    async close() {
      await metered.client.close().catch(() => undefined);
      await issuer.close();
    },
  };
}

/** "200", "503 (clean)" (OAuth's temporarily_unavailable with Retry-After), or the status and error of anything else. */
export async function exchangeOnce(e: Endpoint, sub: string): Promise<{ outcome: string; ms: number }> {
  const jwt = e.issuer.mint({ sub });
  const started = performance.now();
  const res = await e.handler(new Request("http://localhost/api/token", { method: "POST", headers: { authorization: `Bearer ${jwt}` } }));
  const ms = performance.now() - started;
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (res.status === 200) return { outcome: "200", ms };
  if (res.status === 503 && body.error === "temporarily_unavailable" && res.headers.get("retry-after")) return { outcome: "503 (clean)", ms };
  return { outcome: `${res.status} ${body.error ?? "(no OAuth body)"}`, ms };
}

export interface TrafficReport {
  sent: number;
  outcomes: Map<string, number>;
  latenciesMs: number[];
  /** Requests still unanswered when `stop` stopped waiting (goal: 0). */
  unanswered: number;
}

/** Sign-ins at `perSecond`, each for the next of `subs` in turn, until `stop`. */
export function startTraffic(e: Endpoint, subs: readonly string[], perSecond: number): { stop(waitMs: number): Promise<TrafficReport> } {
  const report: TrafficReport = { sent: 0, outcomes: new Map(), latenciesMs: [], unanswered: 0 };
  const inflight = new Set<Promise<void>>();
  const started = performance.now();
  const fire = (sub: string) => {
    const p: Promise<void> = exchangeOnce(e, sub)
      .then(({ outcome, ms }) => {
        report.outcomes.set(outcome, (report.outcomes.get(outcome) ?? 0) + 1);
        report.latenciesMs.push(ms);
      })
      .catch((err: unknown) => void report.outcomes.set(`threw ${(err as Error).name}`, (report.outcomes.get(`threw ${(err as Error).name}`) ?? 0) + 1))
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  // Catch up by the clock rather than trusting a timer's period under load.
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * perSecond);
    while (report.sent < due) fire(subs[report.sent++ % subs.length]!);
  }, 5);
  return {
    async stop(waitMs) {
      clearInterval(timer);
      await within(Promise.all([...inflight]).then(() => undefined), waitMs, undefined);
      report.unanswered = inflight.size;
      return report;
    },
  };
}

export function outcomesLine(outcomes: Map<string, number>): string {
  return [...outcomes].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${fmt(n)} × ${k}`).join(", ") || "none";
}

/** How many ledger entries are expired at the database's `Now()`. */
export async function expiredLeft(client: faunadb.Client): Promise<number> {
  return (await client.query(q.Count(q.Range(q.Match(q.Index(LEDGER_BY_EXPIRATION_INDEX)), [], [q.Now()])))) as number;
}
