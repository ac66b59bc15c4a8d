/**
 * The database server without its transport: secrets, databases, the clock and
 * the counters, and `query()`, which runs one request as one transaction.
 */
import { createHash, randomBytes } from "node:crypto";
import { authenticate, type Authenticated } from "./auth/authenticate.ts";
import type { Expr } from "./eval/ast.ts";
import type { Change } from "./storage/records.ts";
import type { Value } from "./values.ts";
import { Clock } from "./clock.ts";
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
    /** Times the transaction was run again after a conflict. */
    retries: number;
  };
  unauthorized?: boolean;
}

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

/**
 * A failed evaluation as FaunaDB answers it: its status and `{"errors": […]}` body, and
 * whether it was an `Abort` (FaunaDB still bills an aborted query's reads).
 */
function errorBody(e: unknown): { status: number; body: string; aborted?: boolean } {
  if (e instanceof RequestError) return { status: e.status, body: requestErrorBody(e) };
  const errors = e instanceof QueryErrors ? e.errors : e instanceof QueryError ? [e] : limitError(e);
  if (!errors) {
    console.error("[emulator] internal error:", e);
    const internal = new QueryError("internal error", "An internal server error occurred.", []);
    return { status: 500, body: `{"errors":[${renderError(internal)}]}` };
  }
  const leading = leadingError(errors);
  return { status: leading.status, body: `{"errors":[${errors.map(renderError).join(",")}]}`, aborted: leading.code === "transaction aborted" };
}

const requestErrorBody = (e: RequestError): string => JSON.stringify({ errors: [{ code: e.code, description: e.description }] });

export class Engine implements Host {
  readonly root = new Database("");
  readonly clock = new Clock();
  readonly stats = new Stats();
  private readonly secrets = new Map<string, SecretRecord>();
  /** Set while streams are open: every committed write is reported to them. */
  onCommit: ((changes: Change[], commitMicros: bigint) => void) | undefined;
  /** A cluster's per-transaction limits (limits.ts): compute, width, transaction and request size. */
  limits = false;
  private lastTxn = 0n;
  private lastId = 0n;

  constructor(readonly rootSecret: string) {}

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
    return { secret, hashed: hashSecret(secret) };
  }

  lookupSecret(secret: string): SecretRecord | undefined {
    return this.secrets.get(secret);
  }

  query(authorization: string | undefined, bodyText: string): QueryResult {
    const started = performance.now();
    const snapshot = this.snapshotMicros();
    const commit = this.commitMicros(snapshot);
    this.stats.queries++;
    const txn = new Txn(snapshot * 1000n, commit, this.limits);
    let micros = snapshot;
    if (this.limits && bodyText.length > MAX_REQUEST_BYTES / 3 && Buffer.byteLength(bodyText) > MAX_REQUEST_BYTES) {
      const tooLarge = requestTooLarge();
      return this.finish(tooLarge.status, requestErrorBody(tooLarge), micros, txn, started, bodyText, "failed");
    }
    // History past every collection's history_days is collected before anything reads it.
    this.root.collectHistory(snapshot);
    const auth = authenticate(this, authorization, txn);
    if (!auth) {
      return { status: 401, body: UNAUTHORIZED, txnTime: micros, unauthorized: true };
    }
    let status = 200;
    let body: string;
    let outcome: "ok" | "aborted" | "failed" = "ok";
    const ctx = new Ctx(this, auth.db, auth.principal, txn);
    if (this.onCommit) txn.changes = [];
    try {
      const value = evaluate(parseBody(bodyText, ctx), Env.empty, ctx);
      body = `{"resource":${renderValue(value)}}`;
      if (txn.created) status = 201;
      this.stats.documentsWritten += txn.written;
      if (txn.written > 0) {
        this.lastTxn = commit;
        micros = commit;
        if (txn.changes?.length) this.onCommit?.(txn.changes, commit);
      }
    } catch (e) {
      txn.rollback();
      const failed = errorBody(e);
      outcome = failed.aborted ? "aborted" : "failed";
      if (failed.status === 500) return this.finish(500, failed.body, micros, txn, started, bodyText, outcome);
      status = failed.status;
      body = failed.body;
    }
    return this.finish(status, body, micros, txn, started, bodyText, outcome);
  }

  /**
   * A stream request's expression: authenticated and evaluated like a query at the
   * current snapshot, but read-only and never committed. Answers the value and the
   * context it was read in, or the error response (401, 400, …) to send instead.
   */
  evaluateForStream(authorization: string | undefined, bodyText: string): { value: Value; ctx: Ctx; snapshotMicros: bigint } | QueryResult {
    const snapshot = this.snapshotMicros();
    const txn = new Txn(snapshot * 1000n, this.commitMicros(snapshot), this.limits);
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

  private finish(status: number, body: string, micros: bigint, txn: Txn, started: number, bodyIn: string, outcome: "ok" | "aborted" | "failed"): QueryResult {
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
        cost: txn.meter.summary(outcome),
        retries: 0,
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
