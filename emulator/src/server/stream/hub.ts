/**
 * Open streams and what they see. Every committed write is matched against the
 * streams watching its document, its index matches or its collection, filtered by
 * what each stream's caller may read, and written to the stream as it commits.
 *
 * A stream must not outlive its secret: when a commit touches what the secret rests on
 * (its token or key, the token's identity, a database), when its ttl passes (by real
 * time or by the emulator's clock), or before events are delivered, the secret is
 * authenticated again; once it no longer authenticates, the stream gets an `error`
 * event (`permission denied`, "Authorization lost during stream evaluation.") and ends.
 */
import { parseAuthorization } from "../../auth/authenticate.ts";
import { allowed, baselineAllows } from "../../auth/permissions.ts";
import { Ctx, type Principal } from "../../eval/context.ts";
import type { Engine } from "../../engine.ts";
import { qualify } from "../../access/docs.ts";
import { docFilter } from "../../sets/sets.ts";
import { entriesFor, isLive, termKey, type Change, type Database, type DocRecord, type IndexEntry, type IndexStore, type Version } from "../../storage/database.ts";
import { Txn } from "../../storage/txn.ts";
import { Ref, TimeV, type Value } from "../../values.ts";
import { errorLine, line, removedVersionEvent, setEvent, startLine, versionEvent, type DocAction, type EventField } from "./events.ts";
import type { Target } from "./open.ts";

/** Where a stream's lines go: the HTTP/2 stream or the HTTP/1.1 chunked response. */
export interface StreamSink {
  write(text: string): void;
  end(): void;
}

/** One open stream. */
export class Subscription {
  sink: StreamSink | undefined;
  /** Lines written before the response was ready. */
  private pending: string[] = [];
  closed = false;
  /** ns: when the secret stops authenticating by itself (its, or its identity's, ttl). */
  expiresNs: bigint | undefined;
  /** `collKey\0id` of the documents the secret rests on, per database. */
  deps: [Database, string][] = [];

  constructor(
    readonly authorization: string | undefined,
    readonly db: Database,
    public principal: Principal,
    readonly fields: ReadonlySet<EventField>,
    readonly target: Target,
  ) {}

  write(text: string): void {
    if (this.closed) return;
    if (this.sink) this.sink.write(text);
    else this.pending.push(text);
  }

  attach(sink: StreamSink): void {
    this.sink = sink;
    for (const t of this.pending) sink.write(t);
    this.pending = [];
    if (this.closed) sink.end();
  }
}

const docKey = (collKey: string, id: string): string => `${collKey}\u0000${id}`;
const LOST = "Authorization lost during stream evaluation.";

function bucket<K, V>(m: Map<K, Map<string, Set<V>>>, k: K, key: string, create: boolean): Set<V> | undefined {
  let inner = m.get(k);
  if (!inner && create) m.set(k, (inner = new Map()));
  let set = inner?.get(key);
  if (!set && create) inner!.set(key, (set = new Set()));
  return set;
}

function unbucket<K, V>(m: Map<K, Map<string, Set<V>>>, k: K, key: string, v: V): void {
  const inner = m.get(k);
  const set = inner?.get(key);
  if (!set) return;
  set.delete(v);
  if (set.size === 0) inner!.delete(key);
  if (inner!.size === 0) m.delete(k);
}

export class StreamHub {
  private readonly subs = new Set<Subscription>();
  private readonly byDoc = new Map<Database, Map<string, Set<Subscription>>>();
  private readonly byIndex = new Map<IndexStore, Map<string, Set<Subscription>>>();
  private readonly byColl = new Map<Database, Map<string, Set<Subscription>>>();
  private readonly byDep = new Map<Database, Map<string, Set<Subscription>>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly stopClock: () => void;

  constructor(private readonly engine: Engine) {
    this.stopClock = engine.clock.onChange(() => this.expire());
  }

  get size(): number {
    return this.subs.size;
  }

  /** Registers a stream and queues its `start` line (sent once a sink is attached). */
  subscribe(authorization: string | undefined, db: Database, principal: Principal, fields: ReadonlySet<EventField>, target: Target, startMicros: bigint): Subscription {
    const sub = new Subscription(authorization, db, principal, fields, target);
    this.subs.add(sub);
    if (target.kind === "doc") bucket(this.byDoc, target.db, docKey(target.collKey, target.id), true)!.add(sub);
    else if (target.kind === "index") bucket(this.byIndex, target.idx, target.termKey, true)!.add(sub);
    else bucket(this.byColl, target.db, target.collKey, true)!.add(sub);
    this.track(sub);
    this.engine.onCommit = (changes, ts) => this.commit(changes, ts);
    sub.write(startLine(startMicros));
    this.schedule();
    return sub;
  }

  /** Forgets a stream (the client went away, or the stream ended). */
  unsubscribe(sub: Subscription): void {
    if (!this.subs.delete(sub)) return;
    sub.closed = true;
    const t = sub.target;
    if (t.kind === "doc") unbucket(this.byDoc, t.db, docKey(t.collKey, t.id), sub);
    else if (t.kind === "index") unbucket(this.byIndex, t.idx, t.termKey, sub);
    else unbucket(this.byColl, t.db, t.collKey, sub);
    for (const [db, key] of sub.deps) unbucket(this.byDep, db, key, sub);
    sub.deps = [];
    if (this.subs.size === 0) this.engine.onCommit = undefined;
  }

  /** Ends every stream (the emulator is closing). */
  shutdown(): void {
    for (const sub of [...this.subs]) {
      this.unsubscribe(sub);
      sub.sink?.end();
    }
    if (this.timer) clearTimeout(this.timer);
    this.stopClock();
  }

  // ---- the secret -----------------------------------------------------------------------------

  /** Records what the stream's secret rests on and when it expires by itself. */
  private track(sub: Subscription): void {
    for (const [db, key] of sub.deps) unbucket(this.byDep, db, key, sub);
    sub.deps = [];
    sub.expiresNs = undefined;
    const secret = parseAuthorization(sub.authorization)?.split(":")[0];
    const rec = secret ? this.engine.lookupSecret(secret) : undefined;
    if (!rec) return;
    // A deleted key or token the credential cache still holds (cluster profile) authenticates until the cache forgets it.
    const own = rec.db.raw(rec.collKey, rec.id) ?? this.engine.cachedCredential(rec, this.engine.clock.nowNs());
    sub.expiresNs = own ? this.engine.cachedCredentialUntil(rec) : undefined;
    const deps: [Database, string, DocRecord | undefined][] = [[rec.db, docKey(rec.collKey, rec.id), own]];
    const instance = deps[0]![2]?.fields.get("instance");
    if (rec.collKey === "#tokens" && instance instanceof Ref && instance.collKey) {
      deps.push([rec.db, docKey(instance.collKey, instance.id), rec.db.raw(instance.collKey, instance.id)]);
    }
    for (const [db, key, doc] of deps) {
      sub.deps.push([db, key]);
      bucket(this.byDep, db, key, true)!.add(sub);
      const ttl = doc?.fields.get("ttl");
      if (ttl instanceof TimeV && (sub.expiresNs === undefined || ttl.ns < sub.expiresNs)) sub.expiresNs = ttl.ns;
    }
  }

  /** Authenticates the stream's secret again; ends the stream when it no longer does. */
  private revalidate(sub: Subscription, txnMicros: bigint): boolean {
    if (sub.closed) return false;
    const auth = this.engine.reauthenticate(sub.authorization);
    if (!auth || auth.db !== sub.db) {
      sub.write(errorLine(txnMicros, "permission denied", LOST));
      this.unsubscribe(sub);
      sub.sink?.end();
      return false;
    }
    sub.principal = auth.principal;
    this.track(sub);
    return true;
  }

  /** Checks the streams whose secret's ttl has passed by now. */
  private expire(): void {
    const now = this.engine.clock.nowNs();
    for (const sub of [...this.subs]) if (sub.expiresNs !== undefined && sub.expiresNs <= now) this.revalidate(sub, now / 1000n);
    this.schedule();
  }

  /** Wakes up when the next secret expires (a frozen clock only moves by calls, which wake it). */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.engine.clock.frozen) return;
    let next: bigint | undefined;
    for (const sub of this.subs) if (sub.expiresNs !== undefined && (next === undefined || sub.expiresNs < next)) next = sub.expiresNs;
    if (next === undefined) return;
    const ms = Number((next - this.engine.clock.nowNs()) / 1_000_000n) + 1;
    this.timer = setTimeout(() => this.expire(), Math.min(Math.max(ms, 0), 2_147_483_647));
    this.timer.unref();
  }

  // ---- commits --------------------------------------------------------------------------------

  private commit(changes: Change[], commitMicros: bigint): void {
    const touched = new Set<Subscription>();
    let all = false;
    for (const ch of changes) {
      if (ch.collKey === "#databases") all = true;
      for (const sub of bucket(this.byDep, ch.db as Database, docKey(ch.collKey, ch.id), false) ?? []) touched.add(sub);
    }
    const nowNs = commitMicros * 1000n;
    for (const sub of all ? [...this.subs] : [...this.subs].filter((s) => touched.has(s) || (s.expiresNs !== undefined && s.expiresNs <= nowNs))) {
      this.revalidate(sub, commitMicros);
    }
    for (const ch of coalesce(changes)) this.deliver(ch, commitMicros);
    this.schedule();
  }

  private deliver(ch: Change, ts: bigint): void {
    const db = ch.db as Database;
    for (const sub of bucket(this.byDoc, db, docKey(ch.collKey, ch.id), false) ?? []) this.docEvents(sub, ch, ts);
    for (const idx of db.indexesOf(ch.collKey)) {
      const parts = this.byIndex.get(idx);
      if (parts) this.indexEvents(parts, idx, ch, ts);
    }
    const coll = bucket(this.byColl, db, ch.collKey, false);
    if (coll) {
      const was = live(ch.prev, ts);
      const is = live(ch.next, ts);
      if (was !== is) {
        const rec = (is ? ch.next : ch.prev)!;
        for (const sub of coll) this.setEventTo(sub, db, rec, is ? "add" : "remove", ts, { ref: sub.target.kind === "docs" ? sub.target.collRef : rec.ref, terms: [], values: [] });
      }
    }
  }

  /** A context to check permissions and qualify refs for one stream at one commit. */
  private ctxFor(sub: Subscription, ts: bigint): Ctx {
    return new Ctx(this.engine, sub.db, sub.principal, new Txn(ts * 1000n, ts));
  }

  private docEvents(sub: Subscription, ch: Change, ts: bigint): void {
    const ctx = this.ctxFor(sub, ts);
    const db = ch.db as Database;
    const rec = ch.next ?? ch.prev;
    if (!rec) return;
    const ref = qualify(ctx, db, rec.ref);
    const readable = (action: "read" | "history_read", r: DocRecord | undefined) =>
      baselineAllows(ctx, action, ch.collKey, r?.fields) || allowed(ctx, action, ch.collKey, () => rec.ref);
    if (ch.versions) {
      if (!readable("history_read", rec)) return;
      const { added, removed } = versionDiff(ch.versions.from, ch.versions.to);
      for (const v of removed) this.send(sub, line("history_rewrite", ts, removedVersionEvent(sub.fields, v.action, ref, v.ts)));
      for (const v of added) {
        const before = previous(ch.versions.to, v);
        const event = versionEvent(sub.fields, v.action, ref, v.ts, before?.rec?.fields, v.rec?.fields);
        this.send(sub, line(v.ts === ts ? "version" : "history_rewrite", ts, event));
      }
      return;
    }
    const was = live(ch.prev, ts);
    if (!ch.next && !was) return;
    const action: DocAction = !ch.next ? "delete" : was ? "update" : "create";
    if (!readable("read", ch.next ?? ch.prev)) return;
    this.send(sub, line("version", ts, versionEvent(sub.fields, action, ref, ts, was ? ch.prev!.fields : undefined, ch.next?.fields)));
  }

  private indexEvents(parts: Map<string, Set<Subscription>>, idx: IndexStore, ch: Change, ts: bigint): void {
    const before = live(ch.prev, ts) ? entriesFor(idx.def, ch.prev!) : [];
    const after = ch.next && live(ch.next, ts) ? entriesFor(idx.def, ch.next) : [];
    const key = (e: IndexEntry) => `${termKey(e.terms)}\u0002${termKey(e.values)}`;
    const afterKeys = new Set(after.map(key));
    const beforeKeys = new Set(before.map(key));
    const moves: [IndexEntry, "add" | "remove", DocRecord][] = [
      ...before.filter((e) => !afterKeys.has(key(e))).map((e): [IndexEntry, "remove", DocRecord] => [e, "remove", ch.prev!]),
      ...after.filter((e) => !beforeKeys.has(key(e))).map((e): [IndexEntry, "add", DocRecord] => [e, "add", ch.next!]),
    ];
    for (const [e, action, rec] of moves) {
      for (const sub of parts.get(termKey(e.terms)) ?? []) {
        const t = sub.target;
        if (t.kind !== "index") continue;
        this.setEventTo(sub, ch.db as Database, rec, action, ts, { ref: t.indexRef, terms: e.terms, values: e.values });
      }
    }
  }

  private setEventTo(sub: Subscription, db: Database, rec: DocRecord, action: "add" | "remove", ts: bigint, index: { ref: Ref; terms: Value[]; values: Value[] }): void {
    const ctx = this.ctxFor(sub, ts);
    const filter = docFilter(ctx);
    if (filter && !filter(rec.ref, rec)) return;
    this.send(sub, line("set", ts, setEvent(sub.fields, action, qualify(ctx, db, rec.ref), ts, index)));
  }

  private send(sub: Subscription, text: string): void {
    sub.write(text);
  }
}

const live = (rec: DocRecord | undefined, ts: bigint): boolean => !!rec && isLive(rec, ts * 1000n);

/** One change per document and commit: several writes to it in one query are one version. */
function coalesce(changes: Change[]): Change[] {
  const out = new Map<string, Change>();
  const order: Change[] = [];
  for (const ch of changes) {
    const k = `${docKey(ch.collKey, ch.id)}`;
    const seen = out.get(k);
    if (seen && seen.db === ch.db && !seen.versions && !ch.versions) {
      seen.next = ch.next;
      continue;
    }
    const copy = { ...ch };
    out.set(k, copy);
    order.push(copy);
  }
  return order;
}

/** The versions a history rewrite added and removed. */
function versionDiff(from: readonly Version[], to: readonly Version[]): { added: Version[]; removed: Version[] } {
  const same = (a: Version, b: Version) => a.ts === b.ts && a.action === b.action && a.rec === b.rec;
  return { added: to.filter((v) => !from.some((w) => same(v, w))), removed: from.filter((v) => !to.some((w) => same(v, w))) };
}

const previous = (versions: readonly Version[], v: Version): Version | undefined => versions[versions.indexOf(v) - 1];
