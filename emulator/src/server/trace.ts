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
const WORD = /^\w+$/;

/**
 * Parses `x-fauna-tags` (`k=v,k2=v2`). Returns the header to echo (the pairs in reverse
 * request order) or the reason it is refused: "invalid tags" (not `k=v` pairs),
 * "invalid key" / "invalid value" (not word characters, or longer than 40 / 80),
 * "too many tags" (more than 25), "duplicate key".
 */
export function parseTags(header: string): { echo: string } | { error: string } {
  const pairs = header.split(",").map((p) => p.trim());
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0 || eq === pair.length - 1 || pair.indexOf("=", eq + 1) >= 0) return { error: "invalid tags" };
    const key = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (!WORD.test(key) || key.length > MAX_TAG_KEY) return { error: "invalid key" };
    if (!WORD.test(value) || value.length > MAX_TAG_VALUE) return { error: "invalid value" };
    if (seen.has(key)) return { error: "duplicate key" };
    seen.add(key);
    out.push(`${key}=${value}`);
  }
  if (out.length > MAX_TAGS) return { error: "too many tags" };
  return { echo: out.reverse().join(",") };
}
