/**
 * The cluster profile's behaviours in one place, for the engine: overlapping, contending
 * transactions, the credential cache and background index builds, all timed by the
 * emulator's clock (or real time, whichever first: see timers.ts).
 */
import type { EmulatorProfile } from "../api.ts";
import type { Clock } from "../clock.ts";
import type { Change, Database, DocRecord } from "../storage/database.ts";
import type { Txn } from "../storage/txn.ts";
import { CredentialCache } from "./credentials.ts";
import { IndexBuilds } from "./index-builds.ts";
import { Timers } from "./timers.ts";
import { Transactions, type TxnEngine } from "./transactions.ts";

export interface ClusterEngine<R> extends TxnEngine<R> {
  readonly clock: Clock;
  /** Commits a write made outside any query (a background build's end). */
  commitInternal(write: (txn: Txn) => void): void;
}

export class Cluster<R> {
  private readonly timers: Timers;
  readonly transactions: Transactions<R>;
  private readonly credentials: CredentialCache;
  private readonly builds: IndexBuilds;

  constructor(
    private readonly engine: ClusterEngine<R>,
    profile: EmulatorProfile,
  ) {
    this.timers = new Timers(engine.clock);
    this.transactions = new Transactions(engine, profile, this.timers);
    this.credentials = new CredentialCache(profile.authCacheMs);
    this.builds = new IndexBuilds(this.timers, profile.indexBuildRate, (write) => engine.commitInternal(write));
  }

  /** Every commit, a query's or the emulator's own. */
  committed(changes: readonly Change[]): void {
    this.transactions.committed(changes);
    this.credentials.committed(changes, this.engine.clock.nowNs());
    this.builds.committed(changes);
  }

  /** A deleted key or token the credential cache still holds: its last version, and until when (ns). */
  cachedCredential(db: Database, collKey: string, id: string, nowNs: bigint): { rec: DocRecord; untilNs: bigint } | undefined {
    return this.credentials.lookup(db, collKey, id, nowNs);
  }

  dispose(): void {
    this.timers.dispose();
  }
}
