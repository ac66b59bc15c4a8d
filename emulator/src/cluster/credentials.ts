/**
 * The credential cache of a FaunaDB cluster, as the cluster profile shows it: a key or
 * token deleted (revoked, `Logout`, its database's keys going with it) keeps
 * authenticating for `authCacheMs` after the deletion commits, by the emulator's clock.
 * Its ttl still applies at every use, and a token whose identity document is gone is
 * refused at once (the identity is read at every use, not cached): only the key or token
 * document itself is looked up through the cache.
 */
import { isLive, type Change, type Database, type DocRecord } from "../storage/database.ts";

interface Held {
  rec: DocRecord;
  /** ns on the emulator's clock: when the cache forgets the document. */
  untilNs: bigint;
}

const CACHED = new Set(["#keys", "#tokens"]);
const keyOf = (collKey: string, id: string): string => `${collKey}\u0000${id}`;

export class CredentialCache {
  private readonly held = new Map<Database, Map<string, Held>>();

  constructor(private readonly windowMs: number) {}

  /** Remembers the keys and tokens a commit deleted (at `nowNs`), and forgets those it wrote anew. */
  committed(changes: readonly Change[], nowNs: bigint): void {
    if (this.windowMs <= 0) return;
    this.forgetExpired(nowNs);
    for (const ch of changes) {
      if (!CACHED.has(ch.collKey)) continue;
      const db = ch.db as Database;
      let inDb = this.held.get(db);
      if (ch.next) {
        inDb?.delete(keyOf(ch.collKey, ch.id));
      } else if (ch.prev) {
        if (!inDb) this.held.set(db, (inDb = new Map()));
        inDb.set(keyOf(ch.collKey, ch.id), { rec: ch.prev, untilNs: nowNs + BigInt(this.windowMs) * 1_000_000n });
      }
    }
  }

  /** Drops what the cache no longer holds (entries are in the order they were deleted, so it stops at the first kept). */
  private forgetExpired(nowNs: bigint): void {
    for (const [db, inDb] of this.held) {
      for (const [k, h] of inDb) {
        if (h.untilNs > nowNs) break;
        inDb.delete(k);
      }
      if (inDb.size === 0) this.held.delete(db);
    }
  }

  /** The deleted document's last version while the cache still holds it and its ttl has not passed. */
  lookup(db: Database, collKey: string, id: string, nowNs: bigint): Held | undefined {
    const inDb = this.held.get(db);
    const h = inDb?.get(keyOf(collKey, id));
    if (!h) return undefined;
    if (h.untilNs <= nowNs) {
      inDb!.delete(keyOf(collKey, id));
      if (inDb!.size === 0) this.held.delete(db);
      return undefined;
    }
    return isLive(h.rec, nowNs) ? h : undefined;
  }
}
