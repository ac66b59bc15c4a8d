/**
 * `npm run doctor`: whether a FaunaDB is ready for this product, checked in the order a
 * failure would be met: reachable (`/ping`), FQL v4 served, the key accepted and what it
 * may do, the clocks, the schema against deploy-schema's definitions, every index active,
 * a token's ttl enforced, and the revocation window measured (how long a deleted token
 * keeps working: FaunaDB's credential cache). Read-only but for the throw-away identity
 * of the last two checks (throwaway.ts), which is deleted before it returns, whatever
 * happens. Never throws for what it finds: the report says it, with a verdict.
 */
import type faunadb from "faunadb";
import type { FaunaConfig } from "../config/load.ts";
import { DatabaseError, DatabaseUnavailable, FaunaSecretRefused } from "../errors/index.ts";
import { mapFaunaError } from "../fauna/failures.ts";
import { createFaunaClient } from "../fauna/client.ts";
import { pingFauna, probeFqlV4 } from "../fauna/probe.ts";
import { schemaDrift } from "../schema/drift.ts";
import { CHECK_NAMES, clockCheck, clockReading, schemaChecks, type CheckName, type DoctorCheck } from "./checks.ts";
import { probeKeyRole, roleVerdict, type KeyRole } from "./key-role.ts";
import { measureWindow } from "./window.ts";

export { CHECK_NAMES, type CheckName, type DoctorCheck } from "./checks.ts";
export type { KeyRole } from "./key-role.ts";

/** How long the doctor waits, by default, for FaunaDB to refuse a deleted token. */
export const DEFAULT_REVOCATION_TIMEOUT_MS = 90_000;
/** The longest wait it accepts: FaunaDB's own key cache lives 60 s. */
export const MAX_REVOCATION_TIMEOUT_MS = 600_000;
/** `/ping` and the FQL v4 probe each answer within this, or FaunaDB counts as unreachable. */
const PROBE_TIMEOUT_MS = 5_000;

export type DoctorVerdict = "ready" | "not_ready" | "unreachable" | "refused" | "interrupted";

export interface DoctorReport {
  ok: boolean;
  verdict: DoctorVerdict;
  /** FAUNA_ENDPOINT's host. */
  endpoint: string;
  checks: DoctorCheck[];
  role?: KeyRole;
  clock_offset_ms?: number;
  round_trip_ms?: number;
  /** How long a deleted token kept working (0: refused at its first use); null when it outlasted the timeout; absent when not measured. */
  revocation_window_ms?: number | null;
}

export interface DoctorOptions {
  fauna: FaunaConfig;
  usersCollection: string;
  usersIndex: string;
  /** Give up waiting for a deleted token to be refused after this long. Default DEFAULT_REVOCATION_TIMEOUT_MS. */
  revocationTimeoutMs?: number;
  /** Time between two uses of the deleted token. Default 100 ms. */
  pollMs?: number;
  /** Aborting it (SIGINT) ends the wait; the throw-away identity is still deleted. */
  signal?: AbortSignal;
  /** Told of each check as it is decided (a terminal's progress). */
  onCheck?: (check: DoctorCheck) => void;
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

class Report {
  readonly r: DoctorReport;
  constructor(
    endpoint: string,
    private readonly onCheck?: (c: DoctorCheck) => void,
  ) {
    this.r = { ok: false, verdict: "not_ready", endpoint, checks: [] };
  }
  add(name: CheckName, ok: boolean, detail: string): void {
    const check = { name, ok, detail };
    this.r.checks.push(check);
    this.onCheck?.(check);
  }
  done(verdict?: DoctorVerdict): DoctorReport {
    const allOk = this.r.checks.every((c) => c.ok);
    this.r.verdict = verdict ?? (allOk ? "ready" : "not_ready");
    this.r.ok = this.r.verdict === "ready";
    return this.r;
  }
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorReport> {
  const host = hostOf(o.fauna.endpoint);
  const report = new Report(host, o.onCheck);
  const unreachable = (name: CheckName, e: DatabaseUnavailable) => {
    report.add(name, false, `FaunaDB at ${host} could not be reached (${e.failure.cause ?? "no answer"}): check FAUNA_ENDPOINT, and that FaunaDB is running`);
    return report.done("unreachable");
  };

  let ping;
  try {
    ping = await pingFauna(o.fauna.endpoint, PROBE_TIMEOUT_MS);
  } catch (e) {
    if (e instanceof DatabaseUnavailable) return unreachable("reachable", e);
    throw e;
  }
  const pingSaid = `GET /ping?scope=write answered ${ping.status} in ${ping.ms} ms: ${JSON.stringify(ping.said)}`;
  report.add("reachable", ping.status === 200, ping.status === 200 ? pingSaid : `${pingSaid}: FaunaDB's /ping answers 200 when the node can serve writes`);
  if (ping.status >= 500) return report.done("unreachable");

  let v4;
  try {
    v4 = await probeFqlV4(o.fauna.endpoint, o.fauna.secret, PROBE_TIMEOUT_MS);
  } catch (e) {
    if (e instanceof DatabaseUnavailable) return unreachable("fql_v4", e);
    throw e;
  }
  if (v4.kind === "not_v4") {
    report.add("fql_v4", false, `POST / answered ${v4.status} ${JSON.stringify(v4.said)}, not an FQL v4 answer: point FAUNA_ENDPOINT at FaunaDB's API port, with FQL v4 allowed (allow_v4_queries, on by default)`);
    return report.done();
  }
  report.add("fql_v4", true, `POST / answered an FQL v4 query (ToMillis(Now()))${v4.kind === "error" ? ` with FQL v4's error ${v4.status} ${JSON.stringify(v4.code)}` : ""}`);
  if (v4.kind === "error") {
    if (v4.status === 401) {
      report.add("key", false, `FaunaDB refused FAUNA_SECRET (401 unauthorized): it is not a key of this database, or it was deleted`);
      return report.done("refused");
    }
    const busy = v4.status >= 500 || v4.status === 409 || v4.status === 429;
    report.add("key", false, `FaunaDB answered ToMillis(Now()) with ${v4.status} ${JSON.stringify(v4.code)}${busy ? ": try again later" : ""}`);
    return report.done(busy ? "unreachable" : undefined);
  }

  const client = createFaunaClient(o.fauna);
  try {
    return await withClient(client, o, report, v4);
  } catch (e) {
    const mapped = mapFaunaError(e, { endpoint: o.fauna.endpoint, usersIndex: o.usersIndex, usersCollection: o.usersCollection, operation: "the doctor" });
    if (mapped instanceof DatabaseUnavailable) return unreachable(nextCheck(report.r), mapped);
    if (mapped instanceof FaunaSecretRefused) {
      report.add(nextCheck(report.r), false, mapped.problems.join("; "));
      return report.done("refused");
    }
    report.add(nextCheck(report.r), false, `FaunaDB answered what the doctor cannot explain (${mapped.code}${mapped instanceof DatabaseError && mapped.faunaCode ? `: ${mapped.faunaCode}` : ""})`);
    return report.done();
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The check a failure in the middle belongs to: the one after the last decided. */
function nextCheck(r: DoctorReport): CheckName {
  return CHECK_NAMES[Math.min(CHECK_NAMES.length - 1, CHECK_NAMES.indexOf(r.checks.at(-1)?.name ?? "reachable") + 1)]!;
}

async function withClient(client: faunadb.Client, o: DoctorOptions, report: Report, v4: { serverNowMs: number; sentAtMs: number; answeredAtMs: number }): Promise<DoctorReport> {
  const role = await probeKeyRole(client);
  const fit = roleVerdict(role);
  report.r.role = role;
  report.add("key", fit.fit, `FaunaDB accepted FAUNA_SECRET: ${fit.detail}`);

  const clock = clockReading(v4.serverNowMs, v4.sentAtMs, v4.answeredAtMs);
  report.r.clock_offset_ms = clock.offsetMs;
  report.r.round_trip_ms = clock.roundTripMs;
  const clockSaid = clockCheck(clock);
  report.add("clock", clockSaid.ok, clockSaid.detail);

  if (role === "client or custom role") {
    report.add("schema", false, "not checked: this key may not read the schema");
    return report.done("refused");
  }
  for (const c of schemaChecks(await schemaDrift(client, { usersCollection: o.usersCollection, usersIndex: o.usersIndex }))) report.add(c.name, c.ok, c.detail);
  if (!fit.fit) {
    report.add("ttl", false, "not checked: it needs a key that may write (a server key)");
    return report.done("refused");
  }

  if (o.signal?.aborted) return report.done("interrupted");
  const window = await measureWindow(client, {
    endpoint: o.fauna.endpoint,
    timeoutMs: o.revocationTimeoutMs ?? DEFAULT_REVOCATION_TIMEOUT_MS,
    pollMs: o.pollMs ?? 100,
    maxTimeoutMs: MAX_REVOCATION_TIMEOUT_MS,
    ...(o.signal ? { signal: o.signal } : {}),
    add: (c) => report.add(c.name, c.ok, c.detail),
  });
  report.r.revocation_window_ms = window.windowMs;
  return report.done(window.interrupted ? "interrupted" : window.unreachable ? "unreachable" : undefined);
}
