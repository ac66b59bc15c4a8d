/**
 * Helpers for stream tests: a driver subscription whose events are queued and awaited
 * one by one (each wait fails after a deadline instead of hanging), and a raw HTTP/1.1
 * stream reader that splits the chunked body into JSON lines.
 */
import faunadb from "faunadb";

export interface Received {
  type: string;
  /** The driver's `event.event` (the payload). */
  data: unknown;
  /** The whole `{type, txn, event}` object (undefined for the driver's own errors). */
  raw?: { type: string; txn: number; event: unknown };
}

const DEADLINE_MS = 5000;

/** Queues what a driver stream delivers; `next()` waits for the next item. */
export class EventQueue {
  private readonly items: Received[] = [];
  private waiter: ((r: Received) => void) | undefined;

  push(r: Received): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(r);
    } else this.items.push(r);
  }

  next(what = "an event", ms = DEADLINE_MS): Promise<Received> {
    const ready = this.items.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no stream event within ${ms} ms (waiting for ${what})`));
      }, ms);
      this.waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  /** Items already received and not yet taken. */
  get pending(): readonly Received[] {
    return this.items;
  }
}

type Sub = ReturnType<faunadb.Client["stream"]>;

/** Starts a driver stream with every event type queued. */
export function watch(
  client: faunadb.Client,
  expr: faunadb.Expr | faunadb.values.Ref | number,
  opts: { fields?: string[]; document?: boolean } = {},
): { queue: EventQueue; sub: Sub } {
  const queue = new EventQueue();
  const options = opts.fields ? { fields: opts.fields } : undefined;
  const e = expr as faunadb.Expr;
  const sub = (opts.document ? client.stream.document(e, options as never) : client.stream(e, options as never)) as Sub;
  const types = ["start", "version", "set", "history_rewrite", "error", ...(opts.document ? ["snapshot"] : [])];
  for (const type of types) {
    sub.on(type as never, ((data: unknown, raw: Received["raw"]) => queue.push({ type, data, raw })) as never);
  }
  sub.start();
  return { queue, sub };
}

/** Reads a `POST /stream` over HTTP/1.1 (fetch) line by line. */
export async function rawStream(endpoint: string, secret: string, body: string, query = ""): Promise<{
  status: number;
  headers: Headers;
  lines: () => Promise<unknown>;
  text: () => Promise<string>;
  close: () => void;
}> {
  const controller = new AbortController();
  const res = await fetch(new URL(`/stream${query}`, endpoint), {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "x-faunadb-api-version": "4" },
    body,
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    status: res.status,
    headers: res.headers,
    async lines() {
      const deadline = Date.now() + DEADLINE_MS;
      for (;;) {
        const at = buffer.indexOf("\r\n");
        if (at >= 0) {
          const one = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          return JSON.parse(one);
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error("no stream line in time");
        const chunk = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no stream line in time")), left)),
        ]);
        if (chunk.done) throw new Error(`stream ended; left over: ${JSON.stringify(buffer)}`);
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    async text() {
      let all = buffer;
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return all;
        all += decoder.decode(chunk.value, { stream: true });
      }
    },
    close: () => controller.abort(),
  };
}

/** Resolves when `done()` holds, polling; fails after the deadline. */
export async function until(done: () => boolean, what: string, ms = DEADLINE_MS): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
