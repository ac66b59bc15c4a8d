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
   * width 100,000, 16 MiB written, 8 MiB request bodies. What the cluster profile turns on.
   * Default false.
   */
  limits?: boolean;
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
  close(): Promise<void>;
}
