/**
 * The database server without its transport: secrets, databases, the clock and
 * the counters, and `query()`, which runs one request as one transaction.
 */
import { createHash, randomBytes } from "node:crypto";
import type { EmulatorProfile } from "./api.ts";
import { authenticate, type Authenticated } from "./auth/authenticate.ts";
import type { Expr } from "./eval/ast.ts";
import type { Change, DocRecord } from "./storage/records.ts";
import type { Value } from "./values.ts";
import { Clock } from "./clock.ts";
import { Cluster } from "./cluster/cluster.ts";
import { PROFILES } from "./cluster/profile.ts";
import type { Attempt, Counters } from "./cluster/transactions.ts";
import { leadingError, QueryError, QueryErrors } from "./errors.ts";
import { MAX_REQUEST_BYTES, RequestError, requestTooLarge } from "./limits.ts";
import type { Metrics } from "./storage/meter.ts";
import { Ctx, type Host, type SecretRecord } from "./eval/context.ts";
import { Env, evaluate } from "./eval/evaluate.ts";
import { parseQuery } from "./eval/parse.ts";
import { resolveSelf } from "./eval/self-refs.ts";
import { registerForms } from "./eval/registry.ts";
import { FORMS } from "./forms/index.ts";
import { Stats } from "./stats.ts";
import { Database } from "./storage/database.ts";
import { ReadSet } from "./storage/read-set.ts";
import { Txn } from "./storage/txn.ts";
import { JsonSyntaxError, parseJson } from "./wire/json.ts";
import { renderError, renderValue } from "./wire/render.ts";

registerForms(FORMS);

export interface QueryResult {
  status: number;
  body: string;
  txnTime: bigint;
  /** Absent on 401s, which FaunaDB answers without metrics. */
  metrics?: {
    read: number;
    written: number;
    scanned: number;
    ms: number;
    bytesIn: number;
    bytesOut: number;
    /** What FaunaDB bills: compute, byte read and write ops, storage bytes (storage/meter.ts). */
    cost: Metrics;
    /** Times the query ran again after contending (cluster profile): `x-txn-retries`. */
    retries: number;
  };
  unauthorized?: boolean;
}

export interface QueryOptions {
  /** `X-Query-Timeout`, ms (enforced on the cluster profile). */
  timeoutMs?: number;
}

/** An evaluation's answer before metrics: status and body, and how FaunaDB bills it. */
interface Evaluated {
  status: number;
  body: string;
  unauthorized?: true;
  outcome: Outcome;
}

/** FaunaDB bills a failed query 1 compute op and nothing else, an aborted one what it did (storage/meter.ts). */
type Outcome = "ok" | "aborted" | "failed";

const UNAUTHORIZED = `{"errors":[{"code":"unauthorized","description":"Unauthorized"}]}`;

/** The request body as an expression; a body that is not JSON is `invalid expression`. */
function parseBody(bodyText: string, ctx: Ctx): Expr {
  let json;
  try {
    json = parseJson(bodyText);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new QueryError("invalid expression", "Request body is not valid JSON.", []);
    throw e;
  }
  return parseQuery(json, (coll, pos) => resolveSelf(ctx, coll, pos));
}

/** A failed evaluation as FaunaDB answers it: its status and `{"errors": […]}` body, and whether it was an `Abort`. */
function errorBody(e: unknown): { status: number; body: string; outcome: Outcome } {
  if (e instanceof RequestError) return { status: e.status, body: requestErrorBody(e), outcome: "failed" };
  const errors = e instanceof QueryErrors ? e.errors : e instanceof QueryError ? [e] : limitError(e);
  if (!errors) {
    console.error("[emulator] internal error:", e);
    const internal = new QueryError("internal error", "An internal server error occurred.", []);
    return { status: 500, body: `{"errors":[${renderError(internal)}]}`, outcome: "failed" };
  }
  const leading = leadingError(errors);
  const outcome = leading.code === "transaction aborted" ? "aborted" : "failed";
  return { status: leading.status, body: `{"errors":[${errors.map(renderError).join(",")}]}`, outcome };
}

const requestErrorBody = (e: RequestError): string => JSON.stringify({ errors: [{ code: e.code, description: e.description }] });

export class Engine implements Host {
  readonly root = new Database("");
  readonly clock = new Clock();
  readonly stats = new Stats();
  private readonly secrets = new Map<string, SecretRecord>();
  /** Set while streams are open: every committed write is reported to them. */
  onCommit: ((changes: Change[], commitMicros: bigint) => void) | undefined;
  private lastTxn = 0n;
  private lastId = 0n;
  /** The cluster profile's machinery; undefined on the default profile, whose path it never touches. */
  readonly cluster: Cluster<QueryResult> | undefined;
  /** Secrets issued by an evaluation that will be discarded (a cluster transaction's snapshot evaluation). */
  private issued: string[] | undefined;

  constructor(
    readonly rootSecret: string,
    readonly profile: EmulatorProfile = PROFILES.default,
  ) {
    if (profile.contention) this.cluster = new Cluster(this, profile);
  }

  get indexBuildSyncSize(): number {
    return this.profile.indexBuildSyncSize;
  }

  /** The clock in µs: a query's snapshot (what Now() returns; a frozen clock stays put). */
  snapshotMicros(): bigint {
    return this.clock.nowNs() / 1000n;
  }

  /**
   * A write transaction's commit time: the snapshot, pushed past the previous
   * commit so every commit is strictly later (spec §5.1: snapshot ≤ commit).
   */
  commitMicros(snapshot: bigint): bigint {
    return snapshot > this.lastTxn ? snapshot : this.lastTxn + 1n;
  }

  /** Document ids: ~18-digit numbers increasing over time, like FaunaDB's. */
  newId(): string {
    let id = BigInt(Date.now()) * 100_000n;
    if (id <= this.lastId) id = this.lastId + 1n;
    this.lastId = id;
    return id.toString();
  }

  newSecret(kind: "key" | "token", rec: SecretRecord): { secret: string; hashed: string } {
    const secret = `${kind === "key" ? "fnA" : "fnE"}${randomBytes(kind === "key" ? 28 : 36).toString("base64url")}`;
    this.secrets.set(secret, rec);
    this.issued?.push(secret);
    return { secret, hashed: hashSecret(secret) };
  }

  lookupSecret(secret: string): SecretRecord | undefined {
    return this.secrets.get(secret);
  }

  cachedCredential(rec: SecretRecord, nowNs: bigint): DocRecord | undefined {
    return this.cluster?.cachedCredential(rec.db, rec.collKey, rec.id, nowNs)?.rec;
  }

  /** ns: until when the credential cache keeps a deleted key or token authenticating (streams wake up then). */
  cachedCredentialUntil(rec: SecretRecord): bigint | undefined {
    return this.cluster?.cachedCredential(rec.db, rec.collKey, rec.id, this.clock.nowNs())?.untilNs;
  }

  /** One request as one transaction; on the cluster profile a write answers once it commits (or contends, or times out). */
  query(authorization: string | undefined, bodyText: string, opts: QueryOptions = {}): QueryResult | Promise<QueryResult> {
    this.stats.queries++;
    const started = performance.now();
    if (this.profile.limits && bodyText.length > MAX_REQUEST_BYTES / 3 && Buffer.byteLength(bodyText) > MAX_REQUEST_BYTES) {
      const tooLarge = requestTooLarge();
      const snapshot = this.snapshotMicros();
      const none = new Txn(snapshot * 1000n, snapshot);
      return this.finish(tooLarge.status, requestErrorBody(tooLarge), snapshot, this.counters(none, "failed"), started, bodyText);
    }
    if (this.cluster) return this.cluster.transactions.run(authorization, bodyText, opts.timeoutMs);
    const snapshot = this.snapshotMicros();
    const txn = new Txn(snapshot * 1000n, this.commitMicros(snapshot), this.profile.limits);
    if (this.onCommit) txn.changes = [];
    const r = this.evaluateIn(txn, authorization, bodyText);
    if (r.unauthorized) return this.unauthorized(snapshot);
    const micros = r.status < 300 && txn.written > 0 ? this.applied(txn) : snapshot;
    return this.finish(r.status, r.body, micros, this.counters(txn, r.outcome), started, bodyText);
  }

  /** A transaction's counters and what it costs. */
  private counters(txn: Txn, outcome: Outcome): Counters {
    return { read: txn.read, written: txn.written, scanned: txn.scanned, cost: txn.meter.summary(outcome) };
  }

  /** Authenticates and evaluates a request in `txn`; a failure's writes are undone. */
  private evaluateIn(txn: Txn, authorization: string | undefined, bodyText: string): Evaluated {
    // History past every collection's history_days is collected before anything reads it.
    this.root.collectHistory(txn.snapshotNs / 1000n);
    // The credential check is a read of its own, not the query's (CoreApplication.scala:249-257): what
    // role membership predicates read there is not validated at commit.
    const reads = txn.reads;
    txn.reads = undefined;
    const auth = authenticate(this, authorization, txn);
    txn.reads = reads;
    if (!auth) return { status: 401, body: UNAUTHORIZED, unauthorized: true, outcome: "failed" };
    const ctx = new Ctx(this, auth.db, auth.principal, txn);
    try {
      const value = evaluate(parseBody(bodyText, ctx), Env.empty, ctx);
      return { status: txn.created ? 201 : 200, body: `{"resource":${renderValue(value)}}`, outcome: "ok" };
    } catch (e) {
      txn.rollback();
      return errorBody(e);
    }
  }

  /** A transaction's writes are in: counted, its time is the last commit's, streams and the cluster hear of it. */
  private applied(txn: Txn): bigint {
    this.stats.documentsWritten += txn.written;
    this.lastTxn = txn.tsMicros;
    if (txn.changes?.length) {
      // The cluster first: the credential cache must hold a deleted token before streams re-check it.
      this.cluster?.committed(txn.changes);
      this.onCommit?.(txn.changes, txn.tsMicros);
    }
    return txn.tsMicros;
  }

  /**
   * Cluster profile: one evaluation at `snapshot` (µs). With `commit`, its writes are
   * applied at that time; without, it is the snapshot evaluation: its reads are recorded
   * and its writes (and the secrets it issued) undone.
   */
  attempt(authorization: string | undefined, bodyText: string, snapshot: bigint, commit: bigint | undefined): Attempt {
    const txn = new Txn(snapshot * 1000n, commit === undefined ? this.commitMicros(snapshot) : this.commitMicros(commit), this.profile.limits);
    txn.changes = [];
    if (commit === undefined) {
      txn.reads = new ReadSet();
      this.issued = [];
    }
    const r = this.evaluateIn(txn, authorization, bodyText);
    const wrote = r.status < 300 && txn.written > 0;
    const counts = this.counters(txn, r.outcome);
    if (commit !== undefined) {
      if (wrote) this.applied(txn);
    } else {
      if (wrote) {
        txn.reads!.wrote(txn.changes);
        txn.rollback();
      }
      for (const s of this.issued!) this.secrets.delete(s);
      this.issued = undefined;
    }
    return { ...r, ...counts, wrote, reads: txn.reads, snapshot, commit: txn.tsMicros };
  }

  /** Commits a write made outside any query (cluster profile: a background index build's end). */
  commitInternal(write: (txn: Txn) => void): void {
    const now = this.snapshotMicros();
    const txn = new Txn(now * 1000n, this.commitMicros(now));
    txn.changes = [];
    write(txn);
    if (txn.written > 0) this.applied(txn);
  }

  unauthorized(snapshot: bigint): QueryResult {
    return { status: 401, body: UNAUTHORIZED, txnTime: snapshot, unauthorized: true };
  }

  answer(status: number, body: string, txnTime: bigint, counters: Counters, started: number, retries: number, bodyIn: string): QueryResult {
    return this.finish(status, body, txnTime, counters, started, bodyIn, retries);
  }

  /**
   * A stream request's expression: authenticated and evaluated like a query at the
   * current snapshot, but read-only and never committed. Answers the value and the
   * context it was read in, or the error response (401, 400, …) to send instead.
   */
  evaluateForStream(authorization: string | undefined, bodyText: string): { value: Value; ctx: Ctx; snapshotMicros: bigint } | QueryResult {
    const snapshot = this.snapshotMicros();
    const txn = new Txn(snapshot * 1000n, this.commitMicros(snapshot), this.profile.limits);
    this.root.collectHistory(snapshot);
    const auth = authenticate(this, authorization, txn);
    if (!auth) return { status: 401, body: UNAUTHORIZED, txnTime: snapshot, unauthorized: true };
    const ctx = new Ctx(this, auth.db, auth.principal, txn);
    try {
      const value = evaluate(parseBody(bodyText, ctx), Env.empty, ctx);
      if (txn.written > 0) {
        throw new QueryError("invalid expression", "Call performs a write, which is not allowed in stream requests.", []);
      }
      return { value, ctx, snapshotMicros: snapshot };
    } catch (e) {
      const failed = errorBody(e);
      return { status: failed.status, body: failed.body, txnTime: snapshot };
    } finally {
      txn.rollback();
    }
  }

  /** Whether a secret still authenticates now (streams check this as time and writes go by). */
  reauthenticate(authorization: string | undefined): Authenticated | undefined {
    const snapshot = this.snapshotMicros();
    return authenticate(this, authorization, new Txn(snapshot * 1000n, snapshot));
  }

  private finish(status: number, body: string, micros: bigint, txn: Counters, started: number, bodyIn: string, retries = 0): QueryResult {
    this.stats.documentsRead += txn.read;
    this.stats.indexEntriesScanned += txn.scanned;
    return {
      status,
      body,
      txnTime: micros,
      metrics: {
        read: txn.read,
        written: txn.written,
        scanned: txn.scanned,
        ms: Math.max(1, Math.round(performance.now() - started)),
        bytesIn: Buffer.byteLength(bodyIn),
        bytesOut: Buffer.byteLength(body),
        cost: txn.cost,
        retries,
      },
    };
  }
}

/**
 * JavaScript's own limits, met by pathological queries (nesting thousands deep, strings
 * beyond what V8 holds), answered as query errors instead of 500s. Emulator choice: the
 * real server has limits of its own whose exact errors the spec does not give.
 */
function limitError(e: unknown): QueryError[] | undefined {
  if (!(e instanceof RangeError)) return undefined;
  if (/call stack/i.test(e.message)) return [new QueryError("stack overflow", "The query nests too deeply.", [])];
  return [new QueryError("invalid argument", "The result is too large.", [])];
}

export const hashSecret = (s: string): string => createHash("sha256").update(s).digest("base64url");
