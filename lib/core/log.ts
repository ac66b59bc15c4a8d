/**
 * One JSON line per event. Redaction is enforced here rather than trusted to
 * callers: fields named like credentials are dropped and any string that looks
 * like a JWT or a Fauna secret is masked, so a careless call cannot leak one.
 * And every line is plain to read: a character that is invisible or changes how the
 * text around it is shown is written as a `\uXXXX` escape (the parsed value is the same).
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
/** What LOG_LEVEL may say: a level, below which nothing is written, or `silent`. */
export type LogThreshold = LogLevel | "silent";
export const LOG_THRESHOLDS: readonly LogThreshold[] = ["debug", "info", "warn", "error", "silent"];
export type LogFields = Record<string, unknown>;
export type LogSink = (line: string, level: LogLevel) => void;

const ORDER: Record<LogThreshold, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/**
 * Field names whose value is a credential. Matched as whole words of the name
 * (`token`, `access_token`, `apiKey`), not as substrings, so counts such as
 * `tokensDeleted` and refs such as `token_ref` stay readable.
 */
const SENSITIVE_WORD = /(^|[_-])(secret|token|jwt|authorization|password|cookie|key)s?$/i;
const SENSITIVE_CAMEL = /[a-z0-9](Secret|Token|Jwt|Authorization|Password|Cookie|Key)s?$/;
const isSensitiveKey = (k: string): boolean => SENSITIVE_WORD.test(k) || SENSITIVE_CAMEL.test(k);
/** Three base64url segments starting with a JSON header (`{"` encodes as `ey`). */
const JWT_LIKE = /ey[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
/** Fauna key and token secrets start with `fn` and are long base64url strings. */
const FAUNA_SECRET_LIKE = /\bfn[A-Za-z0-9_-]{16,}/g;

export function redactString(s: string): string {
  return s.replace(JWT_LIKE, "[redacted-jwt]").replace(FAUNA_SECRET_LIKE, "[redacted-secret]");
}

function redact(value: unknown, depth: number): unknown {
  if (typeof value === "string") return redactString(value);
  if (value === null || typeof value !== "object") return value;
  if (depth > 4) return "[truncated]";
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: redactString(value.message), ...(typeof code === "string" ? { code } : {}) };
  }
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSensitiveKey(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

const defaultSink: LogSink = (line, level) => {
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
};

let sink: LogSink = defaultSink;

/** Route log lines elsewhere (tests capture them); returns a function restoring the previous sink. */
export function setLogSink(next: LogSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

let threshold = ORDER.info;

/**
 * Write nothing below `level` from now on (LOG_LEVEL, as the configuration reader read
 * it: the adapters set it when they build a handler). Returns a function restoring the
 * previous threshold.
 */
export function setLogLevel(level: LogThreshold): () => void {
  const previous = threshold;
  threshold = ORDER[level];
  return () => {
    threshold = previous;
  };
}

/**
 * Controls JSON leaves as they are (DEL, C1: U+0085 is a line break to some viewers), format
 * characters (bidi overrides and isolates, zero-width ones, U+FEFF, …) and the line and
 * paragraph separators: unverified text (an unlisted `iss`, a header, a claim) must not
 * reorder, hide or break a log line. JSON.stringify already escapes C0 and lone surrogates.
 */
const UNSAFE_IN_LINE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * The text with each such character as `\uXXXX` (a pair for one beyond U+FFFF). In a
 * serialized JSON line they occur only inside strings, where JSON allows the escape; the
 * commands' plain error lines use it too, for the same unverified text.
 */
export function escapeInvisible(line: string): string {
  const unit = (c: string, i: number) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`;
  return line.replace(UNSAFE_IN_LINE, (c) => (c.length === 1 ? unit(c, 0) : unit(c, 0) + unit(c, 1)));
}

export function log(level: LogLevel, event: string, fields: LogFields = {}): void {
  if (ORDER[level] < threshold) return;
  const record = { level, event, time: new Date().toISOString(), ...(redact(fields, 0) as LogFields) };
  sink(escapeInvisible(JSON.stringify(record)), level);
}
