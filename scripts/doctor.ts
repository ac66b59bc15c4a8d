/**
 * npm run doctor [-- --revocation-timeout SECONDS] [--json] [--env-from FILE]
 * Whether the FaunaDB that FAUNA_ENDPOINT and FAUNA_SECRET name is ready for this
 * product (lib/core/doctor/). Exit 0 ready, 1 not ready, 2 usage or configuration,
 * 3 unreachable, 4 the key refused or not enough; errors: scripts/command-line.ts.
 */
import { CommandError, EXIT, runCommand, usageError } from "./command-line.ts";
import { loadDeploySchemaConfig } from "../lib/core/config/load.ts";
import { DEFAULT_REVOCATION_TIMEOUT_MS, MAX_REVOCATION_TIMEOUT_MS, runDoctor, type DoctorCheck, type DoctorReport } from "../lib/core/doctor/doctor.ts";

const USAGE = `Usage: npm run doctor -- [--revocation-timeout SECONDS]

Tells whether the FaunaDB that FAUNA_ENDPOINT and FAUNA_SECRET name is ready for
this product, one check after another:
  reachable    GET /ping?scope=write answers 200
  fql_v4       POST / answers an FQL v4 query
  key          FAUNA_SECRET is accepted, and what it is (admin, server, server-readonly,
               other), learnt from what it may do; the functions need a server key
  clock        FaunaDB's clock against this machine's (with the round trip)
  schema       the collections and indexes deploy-schema deploys, as it defines them
               (read only; the fix is npm run deploy-schema)
  indexes      every one of them active (not still being built)
  ttl          a token whose ttl has passed is refused, one whose ttl is ahead accepted
  revocation   the revocation window: a token is deleted and used until FaunaDB refuses
               it (0 ms on a single node; up to about 60 s through a cluster's cache)
  cleanup      the throw-away collection, document and tokens of the last two deleted
It leaves nothing behind (on SIGINT or SIGTERM too), and never prints a secret.

Options:
  --revocation-timeout SECONDS   wait at most this long for the deleted token to be
                                 refused (default ${DEFAULT_REVOCATION_TIMEOUT_MS / 1000}, at most ${MAX_REVOCATION_TIMEOUT_MS / 1000})

Prints each check as it is decided; with --json one object:
  {"ok": true|false, "checks": [{"name", "ok", "detail"}], "role", "clock_offset_ms",
   "round_trip_ms", "revocation_window_ms", …}
Exit 0: ready; 1: not ready (the failed checks say what to fix).

Environment: FAUNA_ENDPOINT, FAUNA_SECRET (the key the functions use), FAUNA_USERS_COLLECTION,
FAUNA_USERS_INDEX.`;

function timeoutMs(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_REVOCATION_TIMEOUT_MS;
  const s = Number(raw);
  if (!/^\d+$/.test(raw) || s < 1 || s * 1000 > MAX_REVOCATION_TIMEOUT_MS) {
    throw usageError(`--revocation-timeout must be a whole number of seconds from 1 to ${MAX_REVOCATION_TIMEOUT_MS / 1000}, got ${JSON.stringify(raw)}`);
  }
  return s * 1000;
}

const line = (c: DoctorCheck) => `  ${c.ok ? "ok  " : "FAIL"}  ${c.name.padEnd(10)}  ${c.detail}`;

/** The report as the command's outcome: exit 0 when ready, else the verdict's exit code with the report beside it. */
function outcome(r: DoctorReport): { result: Record<string, unknown>; text: string } {
  const result = { ...r } as Record<string, unknown>;
  const failed = r.checks.filter((c) => !c.ok).map((c) => c.name);
  switch (r.verdict) {
    case "ready":
      return { result, text: `Ready: FaunaDB at ${r.endpoint} is ready for fauna-token-exchange.` };
    case "unreachable":
      throw new CommandError(EXIT.unreachable, "ERR_DATABASE_UNAVAILABLE", `FaunaDB at ${r.endpoint} could not be reached or is not serving: try again later, or check FAUNA_ENDPOINT`, { result });
    case "refused":
      throw new CommandError(EXIT.refused, "ERR_FAUNA_SECRET_REFUSED", `FAUNA_SECRET was refused, or may not do what the product needs (${failed.join(", ")}): use a server key of this database`, { result });
    case "interrupted":
      throw new CommandError(EXIT.failed, "ERR_INTERRUPTED", "interrupted before every check was decided; the throw-away identity was deleted (see cleanup)", { result });
    default:
      throw new CommandError(EXIT.failed, "ERR_NOT_READY", `FaunaDB at ${r.endpoint} is not ready: ${failed.join(", ")} (see each check's detail)`, { result });
  }
}

process.exitCode = await runCommand({
  name: "doctor",
  usage: USAGE,
  options: { "revocation-timeout": { type: "string" } },
  emptyResult: { ok: false, checks: [] },
  async run({ values, json }) {
    const revocationTimeoutMs = timeoutMs(values["revocation-timeout"]);
    const { fauna, usersCollection, usersIndex } = loadDeploySchemaConfig(process.env);
    // The first signal ends the wait and lets the throw-away identity be deleted; a second one exits at once.
    const interrupt = new AbortController();
    const onSignal = () => interrupt.abort();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
      const report = await runDoctor({
        fauna,
        usersCollection,
        usersIndex,
        revocationTimeoutMs,
        signal: interrupt.signal,
        ...(json ? {} : { onCheck: (c: DoctorCheck) => console.log(line(c)) }),
      });
      return outcome(report);
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
});
