/** Values and errors to FaunaDB's tagged response JSON (spec §2.3, §3). */
import type { Pos, QueryError } from "../errors.ts";
import { formatDate, formatInstant } from "../time.ts";
import { BytesV, DateV, LambdaV, PageV, Ref, SetV, TimeV, type Value } from "../values.ts";
import { javaDouble, quoteJson } from "./json.ts";

export function renderValue(v: Value): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "string":
      return quoteJson(v);
    case "bigint":
      return v.toString();
    case "number": {
      const s = javaDouble(v);
      return Number.isFinite(v) ? s : quoteJson(s);
    }
  }
  if (Array.isArray(v)) return `[${v.map(renderValue).join(",")}]`;
  if (v instanceof PageV) {
    const parts: string[] = [];
    if (v.before !== undefined) parts.push(`"before":${renderValue(v.before)}`);
    if (v.after !== undefined) parts.push(`"after":${renderValue(v.after)}`);
    parts.push(`"data":${renderValue(v.data)}`);
    return `{${parts.join(",")}}`;
  }
  if (v instanceof Map) return renderObject(v);
  if (v instanceof Ref) return renderRef(v);
  if (v instanceof TimeV) return `{"@ts":${quoteJson(formatInstant(v.ns))}}`;
  if (v instanceof DateV) return `{"@date":${quoteJson(formatDate(v.days))}}`;
  if (v instanceof BytesV) return `{"@bytes":${quoteJson(Buffer.from(v.bytes).toString("base64"))}}`;
  if (v instanceof SetV) return `{"@set":${renderObjectPlain(v.describe())}}`;
  if (v instanceof LambdaV) return `{"@query":${renderObjectPlain(v.renderBody())}}`;
  throw new Error("unrenderable value");
}

function renderObjectPlain(m: Map<string, Value>): string {
  const parts: string[] = [];
  for (const [k, x] of m) parts.push(`${quoteJson(k)}:${renderValue(x)}`);
  return `{${parts.join(",")}}`;
}

function renderObject(m: Map<string, Value>): string {
  const body = renderObjectPlain(m);
  for (const k of m.keys()) if (k.startsWith("@")) return `{"@obj":${body}}`;
  return body;
}

export function renderRef(r: Ref): string {
  const parts = [`"id":${quoteJson(r.id)}`];
  if (r.coll) parts.push(`"collection":${renderRef(r.coll)}`);
  if (r.db) parts.push(`"database":${renderRef(r.db)}`);
  return `{"@ref":{${parts.join(",")}}}`;
}

const renderPos = (p: Pos | (string | number)[]): string => renderValue(p.map((x) => (typeof x === "number" ? BigInt(x) : x)) as Value);

/** One error of a response's `errors` array: position, code, description, and any failures or causes. */
export function renderError(e: QueryError): string {
  const parts = [`"position":${renderPos(e.position)}`];
  parts.push(`"code":${JSON.stringify(e.code)}`, `"description":${JSON.stringify(e.description)}`);
  if (e.extra.failures) {
    parts.push(
      `"failures":[${e.extra.failures
        .map((f) => `{"field":${renderPos(f.field)},"code":${JSON.stringify(f.code)},"description":${JSON.stringify(f.description)}}`)
        .join(",")}]`,
    );
  }
  if (e.extra.cause) parts.push(`"cause":[${e.extra.cause.map(renderError).join(",")}]`);
  return `{${parts.join(",")}}`;
}
