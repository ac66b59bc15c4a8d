/**
 * Records everything a test file logs or prints (the structured logger and raw
 * stdout/stderr) so the file can assert at the end that no secret and no JWT
 * was ever written out. Output still reaches the terminal unless `quiet`.
 */
import { setLogSink } from "../../lib/core/log.ts";

export interface LogCapture {
  text(): string;
  /** The structured log lines (parsed) of one event, in order, from what was captured so far. */
  events(event: string): Record<string, unknown>[];
  /** Remember a value that must never appear in the output. */
  forbid(...values: string[]): void;
  /** Throws naming the first forbidden value (by kind and position, not content) found. */
  assertClean(): void;
  stop(): void;
}

const JWT_LIKE = /ey[A-Za-z0-9_-]{4,}\.ey[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/;
const FAUNA_SECRET_LIKE = /\bfn[A-Za-z0-9_-]{16,}/;

export function captureLogs(opts: { quiet?: boolean } = { quiet: true }): LogCapture {
  const chunks: string[] = [];
  const forbidden = new Set<string>();
  const restoreSink = setLogSink((line) => {
    chunks.push(line);
    if (!opts.quiet) process.stderr.write(`${line}\n`);
  });
  const originalOut = process.stdout.write.bind(process.stdout);
  const originalErr = process.stderr.write.bind(process.stderr);
  const tap =
    (original: typeof process.stdout.write) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
      return (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = tap(originalOut) as typeof process.stdout.write;
  process.stderr.write = tap(originalErr) as typeof process.stderr.write;
  return {
    text: () => chunks.join("\n"),
    events: (event) =>
      chunks
        .join("\n")
        .split("\n")
        .filter((l) => l.startsWith("{") && l.includes(`"event":"${event}"`))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    forbid(...values) {
      for (const v of values) if (v) forbidden.add(v);
    },
    assertClean() {
      const all = chunks.join("\n");
      let n = 0;
      for (const v of forbidden) {
        n++;
        if (all.includes(v)) throw new Error(`forbidden value #${n} (${v.slice(0, 3)}…, ${v.length} chars) appeared in the output`);
      }
      if (JWT_LIKE.test(all)) throw new Error("something shaped like a JWT appeared in the output");
      if (FAUNA_SECRET_LIKE.test(all)) throw new Error("something shaped like a Fauna secret appeared in the output");
    },
    stop() {
      restoreSink();
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    },
  };
}

/**
 * A file's last `after` hook: closes what the file started, then checks its output. In
 * that order, so that a failed check fails the file; the other way round, the check's
 * throw skips the hooks after it and the servers left open keep the file from ever exiting.
 */
export function closeThenCheck(logs: LogCapture, close: () => Promise<unknown> | undefined): () => Promise<void> {
  return async () => {
    try {
      await close();
    } finally {
      logs.stop();
      logs.assertClean();
    }
  };
}
