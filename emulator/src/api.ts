/** The public, programmatic face of the emulator (what tests, benches and `npm start` use): types only, importing nothing. */
export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. Default 8443. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** The root key's secret. Default "secret". */
  secret?: string;
  /**
   * A cluster's per-transaction limits, refused as FaunaDB refuses them: 12,000 compute ops,
   * width 100,000, 16 MiB written, 8 MiB request bodies. Default: the profile's (on for
   * "cluster", off for "default"); set, it applies on either profile.
   */
  limits?: boolean;
  /**
   * "default" (one query at a time, no caches, every index active at once: fast and kind) or
   * "cluster" (as strict as a FaunaDB cluster: queries overlap and contend, credentials go
   * through a cache, big indexes build in the background, limits and `X-Query-Timeout` are
   * enforced). Default "default".
   */
  profile?: ProfileName;
  /** Cluster only: ms from a write's snapshot to its commit (what lets queries overlap). Default 20. */
  commitDelayMs?: number;
  /** Cluster only: ms a deleted key or token keeps authenticating, by the emulator's clock. Default 60,000. */
  authCacheMs?: number;
  /** Cluster only: documents per second a background index build indexes, by the emulator's clock. Default 400. */
  indexBuildRate?: number;
}

export type ProfileName = "default" | "cluster";

/** What a profile switches on, with every option resolved: what the engine reads. */
export interface EmulatorProfile {
  name: ProfileName;
  /** Writes commit `commitDelayMs` after their snapshot, validated (OCC); conflicts are retried, then 409. */
  contention: boolean;
  commitDelayMs: number;
  /** Attempts per query before 409 `contended transaction` (the server's 5: the first and 4 retries). */
  maxAttempts: number;
  /** Retries wait a random 0..this ms first, as the server does (200). */
  retryJitterMs: number;
  /** A deleted key or token authenticates for this long after its deletion commits (0: refused at once). */
  authCacheMs: number;
  /** An index over more documents (or versions) than this builds in the background (Infinity: never). */
  indexBuildSyncSize: number;
  indexBuildRate: number;
  /** Resource limits (compute ops, width, transaction size) are enforced. */
  limits: boolean;
  /** `X-Query-Timeout` (default 2 min) is enforced: 440 or 503, nothing committed. */
  queryTimeout: boolean;
}

/** Write transactions between their snapshot and their commit (cluster profile; always none on the default one). */
export interface EmulatorTransactions {
  /** How many write transactions are evaluated and wait for their commit now. */
  readonly pending: number;
  /** Resolves once at least `n` write transactions wait for their commit. */
  whenPending(n: number): Promise<void>;
}

/** The emulator's notion of "now". Starts at real time; tests move it instead of sleeping. */
export interface EmulatorClock {
  now(): Date;
  /** Jump to an absolute instant; time keeps flowing from there unless frozen. */
  set(t: Date | string | number): void;
  /** Move forward (or backward with a negative number) by this many milliseconds. */
  advance(ms: number): void;
  /** Stop time at the current (or the given) instant. */
  freeze(t?: Date | string | number): void;
  /** Let a frozen clock flow again from where it stands. */
  resume(): void;
}

export interface StatsSnapshot {
  /** Query requests answered (POST /), including failed ones. */
  queries: number;
  /** Documents fetched by Get, Exists, Select on a document, writes' pre-reads, set reads. */
  documentsRead: number;
  /** Documents created, updated, replaced or deleted (committed queries only). */
  documentsWritten: number;
  /** Index or collection entries visited while reading sets. */
  indexEntriesScanned: number;
}

export interface EmulatorStats extends StatsSnapshot {
  snapshot(): StatsSnapshot;
  reset(): void;
}

export interface FaultOptions {
  /** How many refusals (default 1). */
  count?: number;
  /** Queries to let through first (default 0). */
  skip?: number;
  /** HTTP status (default 503, FaunaDB's "unavailable"). */
  status?: number;
  /** FaunaDB error code and description to answer with; defaults follow the status (409 → "contended transaction"). */
  code?: string;
  description?: string;
  /**
   * Runs just before a refused query is answered, e.g. the winning write of a race:
   * together with `{status: 400, code: "instance not unique"}` it reproduces a query
   * that lost a unique-index race against a concurrent transaction.
   */
  beforeRefusing?: () => Promise<unknown> | unknown;
}

export interface EmulatorFaults {
  /** Refuse query requests (`POST /`) without running them; `/ping` is never refused. */
  failQueries(opts: FaultOptions): void;
  clear(): void;
}

export interface EmulatorHandle {
  url: string;
  port: number;
  secret: string;
  clock: EmulatorClock;
  stats: EmulatorStats;
  faults: EmulatorFaults;
  /** The profile in force, every option resolved. */
  profile: EmulatorProfile;
  transactions: EmulatorTransactions;
  close(): Promise<void>;
}
