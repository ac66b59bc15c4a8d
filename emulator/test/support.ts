/**
 * Helpers for the emulator's test suite (written from /work/shared/fql4-spec.md).
 * - `expectError`: "this driver query fails with status S, code C, description D, position P".
 * - `raw` / `rawQuery`: the same requests over plain HTTP/1.1 (Node's global fetch), for
 *   byte-level and JSON-level assertions the driver would hide (key order, Integer vs Double,
 *   headers, tagged values).
 * - JSON builders for the exact wire form of refs (§2.3).
 */
import assert from "node:assert/strict";
import faunadb from "faunadb";

export const q = faunadb.query;
export const { errors, values } = faunadb;
export type Expr = faunadb.Expr;
export type Client = faunadb.Client;

export type Position = (string | number)[];

export interface ExpectedError {
  status: number;
  code: string;
  /** Exact description, or a RegExp it must match. Omit only where the spec gives none. */
  description?: string | RegExp;
  /** Exact position; `null` asserts that the error carries no `position` key at all. */
  position?: Position | null;
  /** Exact `failures` array of a validation error. */
  failures?: unknown[];
  /** Exact `cause` array of a call error. */
  cause?: unknown[];
}

/** The usual expectation for a 400 `invalid argument`. */
export const invalidArg = (description: string, position: Position): ExpectedError => ({
  status: 400,
  code: "invalid argument",
  description,
  position,
});

export interface ErrorEntry {
  position?: Position;
  code: string;
  description: string;
  failures?: unknown[];
  cause?: unknown[];
}

const classByStatus: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "PermissionDenied",
  404: "NotFound",
  405: "MethodNotAllowed",
  429: "TooManyRequests",
  500: "InternalError",
  503: "UnavailableError",
};

/** Await `p` (a driver query) and assert it fails as described; returns the error's entries. */
export async function expectError(p: Promise<unknown>, exp: ExpectedError): Promise<ErrorEntry[]> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    const e = err as faunadb.errors.FaunaHTTPError;
    if (!(e instanceof faunadb.errors.FaunaHTTPError)) {
      assert.fail(`expected a FaunaHTTPError (${exp.status} ${exp.code}), got ${String((e as Error)?.stack ?? e)}`);
    }
    const body = e.requestResult.responseContent as unknown as { errors: ErrorEntry[] };
    const context = JSON.stringify(body);
    assert.equal(e.requestResult.statusCode, exp.status, `status; body: ${context}`);
    assert.equal(e.name, classByStatus[exp.status] ?? "UnknownError", `driver class; body: ${context}`);
    const first = body.errors[0];
    assert.ok(first, `errors array is empty: ${context}`);
    assert.equal(first.code, exp.code, `code; body: ${context}`);
    const expectedMessage =
      exp.status === 401
        ? `${exp.code}. Check that endpoint, schema, port and secret are correct during client’s instantiation`
        : exp.code;
    assert.equal(e.message, expectedMessage, "driver message");
    if (exp.description instanceof RegExp) {
      assert.match(first.description, exp.description, `description; body: ${context}`);
      assert.match(e.description, exp.description);
    } else if (exp.description !== undefined) {
      assert.equal(first.description, exp.description, `description; body: ${context}`);
      assert.equal(e.description, exp.description);
    }
    if (exp.position === null) {
      assert.ok(!("position" in first), `expected no position; body: ${context}`);
    } else if (exp.position !== undefined) {
      assert.deepEqual(first.position, exp.position, `position; body: ${context}`);
    }
    if (exp.failures !== undefined) assert.deepEqual(first.failures, exp.failures, `failures; body: ${context}`);
    if (exp.cause !== undefined) assert.deepEqual(first.cause, exp.cause, `cause; body: ${context}`);
    assert.deepEqual(e.errors(), body.errors);
    return body.errors;
  }
  assert.fail(`expected ${exp.status} ${exp.code}, but the query succeeded with ${safeJson(value)}`);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** JSON.parse of text (plain parse: tagged values stay as objects). */
  json: any;
}

/** One HTTP/1.1 request (global fetch). `body`: a driver expression, or a string sent verbatim. */
export async function raw(
  endpoint: string,
  opts: {
    method?: string;
    path?: string;
    secret?: string | null;
    body?: Expr | string | null;
    headers?: Record<string, string>;
  } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { "x-faunadb-api-version": "4", ...(opts.headers ?? {}) };
  if (opts.secret) headers.authorization = `Bearer ${opts.secret}`;
  let body: string | undefined;
  if (opts.body !== undefined && opts.body !== null) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
  }
  const url = new URL(opts.path ?? "/", endpoint).toString();
  const res = await fetch(url, { method: opts.method ?? (body === undefined ? "GET" : "POST"), headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The names of a fetch response's headers, in order. */
export function headerNames(h: Headers): string[] {
  const names: string[] = [];
  h.forEach((_, name) => names.push(name));
  return names;
}

/** POST / with `expr` (driver expression or verbatim JSON text) over HTTP/1.1. */
export function rawQuery(endpoint: string, secret: string, expr: Expr | string): Promise<RawResponse> {
  return raw(endpoint, { secret, body: expr });
}

/** Exact JSON text of a response body, compared byte for byte with JSON.stringify(expected). */
export function assertBody(res: RawResponse, status: number, expected: unknown): void {
  assert.equal(res.text, JSON.stringify(expected), `body of ${res.status} response`);
  assert.equal(res.status, status, `status; body ${res.text}`);
}

// ---- exact wire JSON of refs (§2.3) -----------------------------------------------------------

export const nativeJ = (id: string) => ({ "@ref": { id } });
export const collJ = (name: string) => ({ "@ref": { id: name, collection: nativeJ("collections") } });
export const indexJ = (name: string) => ({ "@ref": { id: name, collection: nativeJ("indexes") } });
export const docJ = (coll: string, id: string) => ({ "@ref": { id, collection: collJ(coll) } });
export const schemaJ = (native: string, id: string) => ({ "@ref": { id, collection: nativeJ(native) } });

// ---- driver value helpers -------------------------------------------------------------------------

export type Ref = faunadb.values.Ref;

/** Asserts `v` is a driver Ref of a document in `coll` (and with `id`, when given); returns its id. */
export function assertDocRef(v: unknown, coll: string, id?: string): string {
  assert.ok(v instanceof faunadb.values.Ref, `expected a Ref, got ${safeJson(v)}`);
  const r = v as faunadb.values.Ref;
  assert.equal(r.collection?.id, coll, `collection of ${safeJson(v)}`);
  assert.equal(r.collection?.collection?.id, "collections", `collection of ${safeJson(v)}`);
  if (id !== undefined) assert.equal(r.id, id);
  assert.match(r.id, /^\d+$/, "document ids are numeric strings");
  return r.id;
}

/** Asserts `v` is a ref in a native collection (`tokens`, `keys`, `indexes`, …). */
export function assertNativeRef(v: unknown, native: string, id?: string): string {
  assert.ok(v instanceof faunadb.values.Ref, `expected a Ref, got ${safeJson(v)}`);
  const r = v as faunadb.values.Ref;
  assert.equal(r.collection?.id, native, `native collection of ${safeJson(v)}`);
  assert.equal(r.collection?.collection, undefined);
  if (id !== undefined) assert.equal(r.id, id);
  return r.id;
}

/** Ids of a list of refs. */
export const ids = (refs: unknown[]): string[] => refs.map((r) => (r as faunadb.values.Ref).id);

/** ISO text of a FaunaTime / FaunaDate returned by the driver. */
export function timeText(v: unknown): string {
  assert.ok(v instanceof faunadb.values.FaunaTime, `expected a FaunaTime, got ${safeJson(v)}`);
  return (v as unknown as { value: string }).value;
}
export function dateText(v: unknown): string {
  assert.ok(v instanceof faunadb.values.FaunaDate, `expected a FaunaDate, got ${safeJson(v)}`);
  return (v as unknown as { value: string }).value;
}

export interface Page<T = unknown> {
  data: T[];
  after?: unknown[];
  before?: unknown[];
}

export interface Doc<D = Record<string, unknown>> {
  ref: faunadb.values.Ref;
  ts: number;
  data?: D;
  ttl?: faunadb.values.FaunaTime;
  [k: string]: unknown;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Driver clients against one endpoint, closed together when a suite ends. */
export function clientPool(endpoint: () => string) {
  const clients: faunadb.Client[] = [];
  return {
    client(secret: string): faunadb.Client {
      const c = new faunadb.Client({ secret, endpoint: endpoint(), checkNewVersion: false, http2SessionIdleTime: 50 });
      clients.push(c);
      return c;
    },
    closeAll: () => Promise.all(clients.map((c) => c.close().catch(() => undefined))),
  };
}
