/**
 * The two profiles and their defaults. "default" is the kind, fast emulator every test
 * has used; "cluster" behaves as a FaunaDB cluster does where a product at scale breaks.
 * The defaults of the cluster profile, and why (README: "Profiles"):
 * - commitDelayMs 20: a commit on a cluster waits for the transaction log, which batches
 *   transactions in 10 ms epochs (tx/…/Epoch.scala `MillisPerEpoch`): the epoch it lands
 *   in, then the one that applies it;
 * - authCacheMs 60,000: the key cache's ttl (`cache_key_ttl_seconds`, CoreConfig.scala),
 *   the only bound the server guarantees: invalidation after a commit is asynchronous and
 *   may fail (SchemaCacheInvalidationService.scala);
 * - indexBuildRate 400 documents per second: a thousand documents in 2.5 s;
 * - 5 attempts and a 0..200 ms wait before each retry (RepoContext `maxAttempts`,
 *   Query.scala `maxDelayMillis`); background builds above 128 (`Index.BuildSyncSize`).
 */
import type { EmulatorOptions, EmulatorProfile, ProfileName } from "../api.ts";

export const PROFILES: Record<ProfileName, EmulatorProfile> = {
  default: {
    name: "default",
    contention: false,
    commitDelayMs: 0,
    maxAttempts: 1,
    retryJitterMs: 0,
    authCacheMs: 0,
    indexBuildSyncSize: Infinity,
    indexBuildRate: Infinity,
    limits: false,
    queryTimeout: false,
  },
  cluster: {
    name: "cluster",
    contention: true,
    commitDelayMs: 20,
    maxAttempts: 5,
    retryJitterMs: 200,
    authCacheMs: 60_000,
    indexBuildSyncSize: 128,
    indexBuildRate: 400,
    limits: true,
    queryTimeout: true,
  },
};

/** The options a profile lets a caller set, with what each must be. */
const TUNABLE = {
  commitDelayMs: { min: 0, what: "a number of milliseconds, 0 or more" },
  authCacheMs: { min: 0, what: "a number of milliseconds, 0 or more" },
  indexBuildRate: { min: Number.MIN_VALUE, what: "a number of documents per second, above 0" },
} as const;

/** The profile `opts` ask for, every option resolved; a mistake is a RangeError that says what to fix. */
export function resolveProfile(opts: EmulatorOptions): EmulatorProfile {
  const name = opts.profile ?? "default";
  const base = PROFILES[name];
  if (!base || !Object.hasOwn(PROFILES, name)) throw new RangeError(`profile must be "default" or "cluster", got ${JSON.stringify(name)}`);
  const profile = { ...base };
  // Limits are the one behaviour either profile can take on its own (e.g. to test a query's cost).
  if (opts.limits !== undefined) profile.limits = opts.limits;
  for (const key of Object.keys(TUNABLE) as (keyof typeof TUNABLE)[]) {
    const v = opts[key];
    if (v === undefined) continue;
    if (name !== "cluster") throw new RangeError(`${key} applies to the cluster profile only: add profile: "cluster" (--profile cluster)`);
    if (typeof v !== "number" || !Number.isFinite(v) || v < TUNABLE[key].min) throw new RangeError(`${key} must be ${TUNABLE[key].what}, got ${String(v)}`);
    profile[key] = v;
  }
  return profile;
}
