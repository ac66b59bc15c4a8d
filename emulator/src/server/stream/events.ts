/**
 * What a stream sends: newline-separated JSON objects `{type, txn, event}` (FaunaDB
 * separates them with CRLF). `start` carries the stream's start time, `version` and
 * `history_rewrite` a document's change, `set` a set member arriving or leaving,
 * `error` why the stream ends. Which parts of an event are sent is the `fields` choice.
 */
import { strictEqual } from "../../order.ts";
import { renderValue } from "../../wire/render.ts";
import type { Ref, Value } from "../../values.ts";

export const EVENT_FIELDS = ["action", "document", "diff", "prev", "index"] as const;
export type EventField = (typeof EVENT_FIELDS)[number];
/** What a stream sends when the request names no `fields`. */
export const DEFAULT_FIELDS: ReadonlySet<EventField> = new Set(["action", "document"]);

/** One line of a stream. */
export function line(type: "start" | "version" | "history_rewrite" | "set" | "error", txn: bigint, event: Value): string {
  return `${renderValue(
    new Map<string, Value>([
      ["type", type],
      ["txn", txn],
      ["event", event],
    ]),
  )}\r\n`;
}

export const startLine = (ts: bigint): string => line("start", ts, ts);

export const errorLine = (txn: bigint, code: string, description: string): string =>
  line(
    "error",
    txn,
    new Map<string, Value>([
      ["code", code],
      ["description", description],
    ]),
  );

/** `{ref, ts, …fields}`, as documents appear in events. */
function docObject(ref: Ref, ts: bigint, fields?: ReadonlyMap<string, Value>): Map<string, Value> {
  const m = new Map<string, Value>([
    ["ref", ref],
    ["ts", ts],
  ]);
  if (fields) for (const [k, v] of fields) m.set(k, v);
  return m;
}

/** The fields that change `a` into `b`: changed values (objects diffed recursively), removed keys as null. */
export function objectDiff(a: ReadonlyMap<string, Value>, b: ReadonlyMap<string, Value>): Map<string, Value> {
  const out = new Map<string, Value>();
  for (const [k, v] of b) {
    const old = a.get(k);
    if (old === undefined) out.set(k, v);
    else if (old instanceof Map && v instanceof Map) {
      const inner = objectDiff(old, v);
      if (inner.size) out.set(k, inner);
    } else if (!strictEqual(old, v)) out.set(k, v);
  }
  for (const k of a.keys()) if (!b.has(k)) out.set(k, null);
  return out;
}

export type DocAction = "create" | "update" | "delete";

/**
 * A document change: `document` is the version (a deletion shows the data it removed),
 * `diff` what changed, `prev` the version before; all at the change's ts.
 */
export function versionEvent(
  fields: ReadonlySet<EventField>,
  action: DocAction,
  ref: Ref,
  ts: bigint,
  prev: ReadonlyMap<string, Value> | undefined,
  next: ReadonlyMap<string, Value> | undefined,
): Value {
  const ev = new Map<string, Value>();
  const none = new Map<string, Value>();
  if (fields.has("action")) ev.set("action", action);
  if (fields.has("document")) ev.set("document", docObject(ref, ts, action === "delete" ? prev : next));
  if (fields.has("diff")) ev.set("diff", docObject(ref, ts, action === "delete" ? none : objectDiff(prev ?? none, next ?? none)));
  if (fields.has("prev")) ev.set("prev", docObject(ref, ts, prev));
  return ev;
}

/** A version removed from history (`Remove`): its action and `{ref, ts}`. */
export function removedVersionEvent(fields: ReadonlySet<EventField>, action: DocAction, ref: Ref, ts: bigint): Value {
  const ev = new Map<string, Value>();
  if (fields.has("action")) ev.set("action", action);
  if (fields.has("document")) ev.set("document", docObject(ref, ts));
  return ev;
}

/** A set member arriving or leaving: `document` is `{ref, ts}`, `index` the entry (terms and covered values). */
export function setEvent(
  fields: ReadonlySet<EventField>,
  action: "add" | "remove",
  ref: Ref,
  ts: bigint,
  index: { ref: Ref; terms: Value[]; values: Value[] },
): Value {
  const ev = new Map<string, Value>();
  if (fields.has("action")) ev.set("action", action);
  if (fields.has("document")) ev.set("document", docObject(ref, ts));
  if (fields.has("index")) {
    ev.set(
      "index",
      new Map<string, Value>([
        ["ref", index.ref],
        ["terms", index.terms],
        ["values", index.values],
      ]),
    );
  }
  return ev;
}
