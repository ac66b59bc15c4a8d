/**
 * Request metadata headers FaunaDB answers on: `traceparent` (W3C trace context) on
 * every response, and `x-fauna-tags`, validated and echoed back when sent.
 */
import { randomBytes } from "node:crypto";

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;

/**
 * The response's `traceparent`: a valid incoming one keeps its trace id and flags and
 * gets a new span id (this server's span); anything else starts a new trace, unsampled.
 */
export function traceparentFor(incoming: string | undefined): string {
  const m = incoming ? TRACEPARENT.exec(incoming.trim()) : null;
  const span = randomBytes(8).toString("hex");
  if (m && m[1] !== "ff" && !/^0+$/.test(m[2]!) && !/^0+$/.test(m[3]!)) return `00-${m[2]}-${span}-${m[4]}`;
  return `00-${randomBytes(16).toString("hex")}-${span}-00`;
}

export const MAX_TAGS = 25;
export const MAX_TAG_KEY = 40;
export const MAX_TAG_VALUE = 80;
const MAX_TAGS_HEADER = 3000;
/** `TagsParser`: `key=value` pairs of ASCII letters, digits and `_`, joined by `,`, nothing else. */
const TAGS = /^\w+=\w+(,\w+=\w+)*$/;

/**
 * Parses `x-fauna-tags` (`k=v,k2=v2`) as the server does (`trace/…/QueryLogContext.scala`):
 * returns the header to echo (the pairs in reverse request order) or the 400's description,
 * `Invalid header 'x-fauna-tags': ` and one of "header is too long" (over 3,000 characters),
 * "invalid tags" (anything but `k=v` pairs of word characters), "too many tags" (over 25),
 * then, checking from the last pair back, "invalid key" (over 40), "invalid value" (over 80),
 * "duplicate key". An empty header is no tags.
 */
export function parseTags(header: string): { echo: string } | { error: string } {
  const refuse = (why: string) => ({ error: `Invalid header 'x-fauna-tags': ${why}` });
  if (header.length > MAX_TAGS_HEADER) return refuse("header is too long");
  if (header === "") return { echo: "" };
  if (!TAGS.test(header)) return refuse("invalid tags");
  const pairs = header.split(",").map((p) => p.split("=") as [string, string]);
  if (pairs.length > MAX_TAGS) return refuse("too many tags");
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = pairs.length - 1; i >= 0; i--) {
    const [key, value] = pairs[i]!;
    if (key.length > MAX_TAG_KEY) return refuse("invalid key");
    if (value.length > MAX_TAG_VALUE) return refuse("invalid value");
    if (seen.has(key)) return refuse("duplicate key");
    seen.add(key);
    out.push(`${key}=${value}`);
  }
  return { echo: out.join(",") };
}
