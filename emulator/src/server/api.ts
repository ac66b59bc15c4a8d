/** The public, programmatic face of the emulator (what tests and `npm start` use). */
export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. Default 8443. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** The root key's secret. Default "secret". */
  secret?: string;
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

export interface EmulatorFaults {
  /**
   * Refuse query requests: after letting `skip` further queries through, answer the
   * next `count` with `status` (default 503, FaunaDB's "unavailable") without running them.
   */
  failQueries(opts: { count?: number; skip?: number; status?: number }): void;
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
