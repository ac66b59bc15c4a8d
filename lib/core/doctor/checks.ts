/**
 * The doctor's verdicts that need no database of their own: what its checks are called,
 * the clock offset from one timed request, and the schema drift said for an operator.
 */
import { CLOCK_TOLERANCE_SECONDS } from "../identity/jwt.ts";
import type { SchemaDrift } from "../schema/drift.ts";

/** The checks, in the order they run. */
export const CHECK_NAMES = ["reachable", "fql_v4", "key", "clock", "schema", "indexes", "ttl", "revocation", "cleanup"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface DoctorCheck {
  name: CheckName;
  ok: boolean;
  /** What was seen, and what to do when it is not ok. Never a secret. */
  detail: string;
}

/** How far FaunaDB's clock may be from this machine's: as far as JWT verification tolerates. */
export const MAX_CLOCK_OFFSET_MS = CLOCK_TOLERANCE_SECONDS * 1000;

export interface ClockReading {
  /** FaunaDB's `Now()` minus this machine's clock at the middle of the round trip. */
  offsetMs: number;
  roundTripMs: number;
}

export function clockReading(serverNowMs: number, sentAtMs: number, answeredAtMs: number): ClockReading {
  return { offsetMs: Math.round(serverNowMs - (sentAtMs + answeredAtMs) / 2), roundTripMs: answeredAtMs - sentAtMs };
}

export function clockCheck(c: ClockReading): DoctorCheck {
  const uncertainty = Math.ceil(c.roundTripMs / 2);
  const where = c.offsetMs === 0 ? "in step with" : `${Math.abs(c.offsetMs).toLocaleString("en-US")} ms ${c.offsetMs > 0 ? "ahead of" : "behind"}`;
  const said = `FaunaDB's clock is ${where} this machine's (± ${uncertainty} ms: the round trip took ${c.roundTripMs} ms)`;
  if (Math.abs(c.offsetMs) - uncertainty <= MAX_CLOCK_OFFSET_MS) return { name: "clock", ok: true, detail: said };
  return {
    name: "clock",
    ok: false,
    detail: `${said}: more than the ${MAX_CLOCK_OFFSET_MS / 1000} s JWT verification tolerates. Secrets expire by FaunaDB's clock and JWTs are checked by this one: keep both on NTP`,
  };
}

/** The schema check and the index check, from one drift reading. */
export function schemaChecks(d: SchemaDrift): [DoctorCheck, DoctorCheck] {
  const problems: string[] = [];
  // An earlier version's layout is migrated, missing objects included, only with --migrate.
  const deploy = d.migrations.length > 0 ? "npm run deploy-schema -- --with-users --migrate" : "npm run deploy-schema -- --with-users";
  if (d.migrations.length > 0) problems.push(`an earlier version's layout: ${d.migrations.join("; ")} (${deploy} changes them in place, the ledger intact)`);
  if (d.missing.length > 0) problems.push(`missing: ${d.missing.join(", ")} (${deploy} creates them)`);
  if (d.conflicts.length > 0) {
    problems.push(`defined otherwise than deploy-schema defines them: ${d.conflicts.join("; ")} (deploy-schema refuses to change them: see its ERR_SCHEMA_CONFLICT advice)`);
  }
  const role = d.role === null ? "" : d.role.state === "matches" ? `; role ${d.role.name} as deployed by --with-user-role` : d.role.state === "absent" ? `; role ${d.role.name} not deployed or not visible to this key (optional: --with-user-role)` : "";
  const schema: DoctorCheck =
    problems.length === 0
      ? { name: "schema", ok: true, detail: `every collection and index deploy-schema deploys is there, as it defines them${role}` }
      : { name: "schema", ok: false, detail: `${problems.join("; ")}${role}` };
  const indexes: DoctorCheck =
    d.building.length === 0
      ? { name: "indexes", ok: true, detail: d.missing.some((m) => m.startsWith("index ")) ? "every index that exists is active (see schema for the missing ones)" : "every index is active" }
      : {
          name: "indexes",
          ok: false,
          detail: `FaunaDB is still building ${d.building.join(", ")}: until then every query that reads one fails; run the doctor again once the build is done (npm run deploy-schema waits for it)`,
        };
  return [schema, indexes];
}
