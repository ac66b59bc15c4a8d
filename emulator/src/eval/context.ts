/** What a query runs with: the host it runs on, its database, who is asking, and its transaction. */
import { err, type Pos } from "../errors.ts";
import { isLive, type Database, type DocRecord } from "../storage/database.ts";
import type { Txn } from "../storage/txn.ts";
import type { Ref } from "../values.ts";

export const BUILTIN_ROLES = ["admin", "server", "server-readonly", "client"] as const;
export type BuiltinRole = (typeof BUILTIN_ROLES)[number];
export const isBuiltinRole = (r: unknown): r is BuiltinRole => (BUILTIN_ROLES as readonly unknown[]).includes(r);

export interface Principal {
  kind: "root" | "key" | "token";
  /** Built-in role, or null when privileges come only from custom roles (tokens, role keys). */
  builtin: BuiltinRole | null;
  /** Custom role names that apply (a token's matching roles, a key's own role). */
  roles: string[];
  /** The token's (or @doc-scoped secret's) identity document. */
  identity?: Ref;
  /** The token document behind a token secret. */
  token?: Ref;
  /** The key document, when the key lives in the database the query runs in. */
  key?: Ref;
  /** Tokens get the non-revocable baseline rights of spec §4.5. */
  baseline: boolean;
}

/** Where a secret leads: the key or token document it was issued for. */
export interface SecretRecord {
  db: Database;
  collKey: "#keys" | "#tokens";
  id: string;
}

/**
 * What authentication and evaluation need from the server they run in (the engine
 * implements it): the root database and its secret, fresh ids, and the secret table.
 * The layers below the engine see only this, never the engine itself.
 */
export interface Host {
  readonly root: Database;
  readonly rootSecret: string;
  /** A document id: ~18 digits, increasing over time, like FaunaDB's. */
  newId(): string;
  /** Issues a secret for a key or token document; `hashed` is what the document stores. */
  newSecret(kind: "key" | "token", rec: SecretRecord): { secret: string; hashed: string };
  lookupSecret(secret: string): SecretRecord | undefined;
  /**
   * A key or token document deleted so recently that a cluster's credential cache still
   * holds it (its last version, if its ttl has not passed at `nowNs`); undefined otherwise,
   * and always on the default profile.
   */
  cachedCredential(rec: SecretRecord, nowNs: bigint): DocRecord | undefined;
  /** An index over more source documents (or versions) than this builds in the background; Infinity: never. */
  readonly indexBuildSyncSize: number;
}

export class Ctx {
  depth = 0;
  constructor(
    readonly host: Host,
    readonly db: Database,
    public principal: Principal,
    readonly txn: Txn,
  ) {}

  get snapshotNs(): bigint {
    return this.txn.snapshotNs;
  }

  /**
   * µs: the valid time reads happen at, set by `At`, `Get(ref, ts)`, `Paginate(…, {ts})`;
   * undefined reads the current state. Writes are refused while it is set.
   */
  validTs: bigint | undefined;

  /** What ttls are compared with: the snapshot, or the valid time reads happen at. */
  get readNs(): bigint {
    return this.validTs === undefined ? this.txn.snapshotNs : this.validTs * 1000n;
  }

  /** A document as this query reads it: the version in force at the read time, if its ttl has not passed then. */
  read(db: Database, collKey: string, id: string): DocRecord | undefined {
    if (this.validTs === undefined) {
      this.txn.reads?.doc(db, collKey, id);
      return db.live(collKey, id, this.snapshotNs);
    }
    const rec = db.recordAt(collKey, id, this.validTs);
    return rec && isLive(rec, this.readNs) ? rec : undefined;
  }

  /**
   * Runs `fn` reading at `ts` (µs). A time at or after the snapshot reads the current
   * state, as FaunaDB does (it only warns about a valid time in the future).
   */
  at<T>(ts: bigint, fn: () => T): T {
    const saved = this.validTs;
    this.validTs = ts >= this.txn.snapshotNs / 1000n ? undefined : ts;
    try {
      return fn();
    } finally {
      this.validTs = saved;
    }
  }

  /** Writes happen at the snapshot only: inside an `At` in the past they are `invalid write time`. */
  assertWritable(pos: Pos): void {
    if (this.validTs !== undefined) throw err.invalidWriteTime(pos);
  }

  /** Run `fn` with other privileges (a UDF's role, a role predicate) but the same identity. */
  as<T>(principal: Principal, fn: () => T): T {
    const saved = this.principal;
    this.principal = principal;
    try {
      return fn();
    } finally {
      this.principal = saved;
    }
  }
}

/**
 * What role predicates run as: they may read anything in the database but write
 * nothing, so a predicate can never change data as a side effect of a permission check.
 */
export const PREDICATE_PRINCIPAL: Principal = { kind: "key", builtin: "server-readonly", roles: [], baseline: false };
