/**
 * Transactions that overlap and contend, as on a FaunaDB cluster (cluster profile).
 *
 * A query is evaluated at once, at its snapshot, recording the rows it read (documents,
 * serialized index partitions; see storage/read-set.ts). A read-only or failed query is
 * answered there and then, as the server answers it without a commit. A query that wrote
 * has its writes undone and waits `commitDelayMs` (by the emulator's clock or real time,
 * whichever first), while other queries run. At its commit, its reads are validated
 * against every row committed since its snapshot: on a conflict the whole query runs
 * again (after a random 0..200 ms, as the server waits) up to 5 attempts in all, then it
 * is answered 409 `contended transaction`; otherwise it is evaluated again, synchronously,
 * at its original snapshot (`Now()` unchanged) with the commit's timestamp, and that
 * evaluation's writes are applied and its result answered. The reads it validated are
 * unchanged, so the result is the snapshot's, with the commit's `ts`.
 *
 * `X-Query-Timeout` (default 2 min) is a real-time deadline: past it the query is answered
 * 440 or 503 as the server chooses (409 once it has contended) and nothing is committed.
 */
import type { EmulatorTransactions } from "../api.ts";
import { addMetrics, noMetrics, type Metrics } from "../storage/meter.ts";
import type { ReadSet } from "../storage/read-set.ts";
import { writtenRows } from "../storage/read-set.ts";
import type { Change } from "../storage/records.ts";
import type { Timers } from "./timers.ts";

/** One evaluation of a request, as the engine reports it. */
export interface Attempt {
  status: number;
  body: string;
  unauthorized?: boolean;
  /** Whether it succeeded with writes (a snapshot evaluation's are undone already). */
  wrote: boolean;
  /** Its rows read: set on snapshot evaluations. */
  reads?: ReadSet;
  read: number;
  scanned: number;
  written: number;
  /** What it costs by FaunaDB's rules (storage/meter.ts). */
  cost: Metrics;
  /** µs: its snapshot, and the commit time its writes carry. */
  snapshot: bigint;
  commit: bigint;
}

export interface Counters {
  read: number;
  written: number;
  scanned: number;
  /** The metrics headers' figures, over every attempt. */
  cost: Metrics;
}

/** What the transactions need of the engine; `R` is its answer to a query. */
export interface TxnEngine<R> {
  snapshotMicros(): bigint;
  /** Evaluates at `snapshot` (µs); `commit` undefined: a snapshot evaluation (writes undone, reads recorded). */
  attempt(authorization: string | undefined, bodyText: string, snapshot: bigint, commit: bigint | undefined): Attempt;
  /** The answer to a query, its metrics from the counters of all its attempts. */
  answer(status: number, body: string, txnTime: bigint, counters: Counters, started: number, retries: number, bodyIn: string): R;
  /** The 401 answer. */
  unauthorized(snapshot: bigint): R;
}

export interface TxnSettings {
  commitDelayMs: number;
  maxAttempts: number;
  retryJitterMs: number;
  /** Whether `X-Query-Timeout` is enforced. */
  queryTimeout: boolean;
}

/** The server's default when a request sets no `X-Query-Timeout`. */
const DEFAULT_TIMEOUT_MS = 120_000;
/** Below this the server calls a timeout the client's fault: 440 (CoreApplication.AggressiveTimeout). */
const AGGRESSIVE_MS = 1_000;
const CONTENDED = `{"errors":[{"code":"contended transaction","description":"Transaction was aborted due to detection of concurrent modification."}]}`;

/** One query through its attempts. */
interface Run {
  authorization: string | undefined;
  bodyText: string;
  started: number;
  /** performance.now() past which it times out. */
  deadline: number;
  attempts: number;
  counters: Counters;
}

type Waited = "due" | "deadline";

export class Transactions<R> implements EmulatorTransactions {
  /** Commits so far; a snapshot remembers the count it was taken at. */
  private seq = 0;
  /** Row → the commit (by `seq`) that last wrote it; kept only while some snapshot waits for its commit. */
  private readonly lastWrite = new Map<string, number>();
  private waiting = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  constructor(
    private readonly engine: TxnEngine<R>,
    private readonly settings: TxnSettings,
    private readonly timers: Timers,
  ) {}

  get pending(): number {
    return this.waiting;
  }

  whenPending(n: number): Promise<void> {
    if (this.waiting >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /** Records what a commit wrote, for the snapshots still waiting to be validated. */
  committed(changes: readonly Change[]): void {
    this.seq++;
    if (this.waiting === 0) return;
    for (const row of writtenRows(changes)) this.lastWrite.set(row, this.seq);
  }

  run(authorization: string | undefined, bodyText: string, timeoutMs: number | undefined): R | Promise<R> {
    const started = performance.now();
    const limit = this.settings.queryTimeout ? (timeoutMs ?? DEFAULT_TIMEOUT_MS) : Infinity;
    const run: Run = { authorization, bodyText, started, deadline: started + limit, attempts: 0, counters: { read: 0, written: 0, scanned: 0, cost: noMetrics() } };
    const first = this.evaluate(run);
    return "answer" in first ? first.answer : this.untilCommitted(run, first.attempt);
  }

  /** A snapshot evaluation: the final answer (a read, an error, a timeout), or the write that waits for its commit. */
  private evaluate(run: Run): { answer: R } | { attempt: Attempt } {
    run.attempts++;
    const snapshot = this.engine.snapshotMicros();
    const a = this.engine.attempt(run.authorization, run.bodyText, snapshot, undefined);
    if (a.unauthorized) return { answer: this.engine.unauthorized(snapshot) };
    run.counters.read += a.read;
    run.counters.scanned += a.scanned;
    addMetrics(run.counters.cost, a.cost, "reads");
    if (performance.now() > run.deadline) return { answer: this.timedOut(run) };
    if (!a.wrote) return { answer: this.answer(run, a.status, a.body, snapshot) };
    return { attempt: a };
  }

  private async untilCommitted(run: Run, first: Attempt): Promise<R> {
    let a = first;
    for (;;) {
      const settled = await this.commitWhenDue(run, a);
      if (settled === "deadline") return this.timedOut(run);
      if (settled !== "conflict") return settled.answer;
      // The server bills every attempt: a contended attempt's writes count too.
      run.counters.written += a.written;
      addMetrics(run.counters.cost, a.cost, "writes");
      if (run.attempts >= this.settings.maxAttempts) return this.contended(run);
      const jitter = Math.random() * this.settings.retryJitterMs;
      if ((await this.wait<Waited>(run, jitter, () => "due", () => "deadline")) === "deadline") return this.contended(run);
      const next = this.evaluate(run);
      if ("answer" in next) return next.answer;
      a = next.attempt;
    }
  }

  /**
   * Waits for the commit; when it is due, validates and commits at once (synchronously, so
   * writes falling due together commit one after the other, each validated against those
   * before it).
   */
  private commitWhenDue(run: Run, a: Attempt): Promise<{ answer: R } | "conflict" | "deadline"> {
    const snapSeq = this.seq;
    this.waiting++;
    this.wake();
    type Settled = { answer: R } | "conflict" | "deadline";
    const settle = (outcome: () => Settled): Settled => {
      this.waiting--;
      const out = outcome();
      if (this.waiting === 0) this.lastWrite.clear();
      return out;
    };
    return this.wait(
      run,
      this.settings.commitDelayMs,
      () => settle(() => (a.reads!.conflicts((row) => (this.lastWrite.get(row) ?? 0) > snapSeq) ? "conflict" : { answer: this.commit(run, a) })),
      () => settle(() => "deadline"),
    );
  }

  /** Validated: evaluated again at the same snapshot, writes applied at the commit's time. */
  private commit(run: Run, a: Attempt): R {
    const c = this.engine.attempt(run.authorization, run.bodyText, a.snapshot, this.engineCommitTime(a.snapshot));
    if (c.unauthorized) return this.engine.unauthorized(a.snapshot);
    run.counters.written += c.written;
    addMetrics(run.counters.cost, c.cost, "writes");
    return this.answer(run, c.status, c.body, c.wrote ? c.commit : a.snapshot);
  }

  private engineCommitTime(snapshot: bigint): bigint {
    const now = this.engine.snapshotMicros();
    return now > snapshot ? now : snapshot;
  }

  private answer(run: Run, status: number, body: string, txnTime: bigint): R {
    return this.engine.answer(status, body, txnTime, run.counters, run.started, run.attempts - 1, run.bodyText);
  }

  private contended(run: Run): R {
    return this.answer(run, 409, CONTENDED, this.engine.snapshotMicros());
  }

  /**
   * Past the deadline: 409 once the query has contended (the server reports the
   * contention), else 440 when it ran less than 1 s or less than twice what the server
   * expects of it (1 ms per read, 101 ms for a write), else 503 `time out`.
   */
  private timedOut(run: Run): R {
    if (run.attempts > 1) return this.contended(run);
    const elapsed = Math.floor(performance.now() - run.started);
    const expected = 2 * (run.counters.read + 101);
    const needs = elapsed < AGGRESSIVE_MS ? AGGRESSIVE_MS : elapsed < expected ? expected : undefined;
    const body =
      needs === undefined
        ? `{"errors":[{"code":"time out","description":"Read timed out"}]}`
        : `{"errors":[{"code":"processing time limit exceeded","description":"Client set aggressive deadline: query needs ${needs}, timed out within ${elapsed}"}]}`;
    return this.answer(run, needs === undefined ? 503 : 440, body, this.engine.snapshotMicros());
  }

  /** Waits `ms` (clock or real time), or until the run's deadline (real time), whichever first; answers what the one that came says. */
  private wait<T>(run: Run, ms: number, due: () => T, late: () => T): Promise<T> {
    return new Promise((resolve) => {
      let deadline: NodeJS.Timeout | undefined;
      const cancel = this.timers.after(ms, () => {
        if (deadline) clearTimeout(deadline);
        resolve(due());
      });
      const left = run.deadline - performance.now();
      if (left === Infinity) return;
      deadline = setTimeout(() => {
        cancel();
        resolve(late());
      }, Math.min(Math.max(left, 0), 2_147_483_647));
      // The server keeps the process alive while it serves; a deadline alone does not.
      deadline.unref();
    });
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => w.n <= this.waiting);
    if (!ready.length) return;
    this.waiters = this.waiters.filter((w) => w.n > this.waiting);
    for (const w of ready) w.resolve();
  }
}
