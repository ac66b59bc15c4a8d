/**
 * Routes and headers, shared by the HTTP/2 and HTTP/1.1 paths: `POST /` runs a
 * query, `GET /ping` needs no secret, everything else is FaunaDB's 404/405.
 */
import type { Engine, QueryResult } from "../engine.ts";
import type { Faults } from "./faults.ts";
import { parseTags, traceparentFor } from "./trace.ts";

export interface PlainRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = "application/json;charset=utf-8";

const header = (h: PlainRequest["headers"], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

function errorBody(code: string, description: string): string {
  return JSON.stringify({ errors: [{ code, description }] });
}

/** Every response carries a `traceparent`; a request's valid tags are echoed back. */
export function handle(engine: Engine, faults: Faults, req: PlainRequest): PlainResponse | Promise<PlainResponse> {
  const trace = { traceparent: traceparentFor(header(req.headers, "traceparent")) };
  const stamp = (res: PlainResponse): PlainResponse => ({ ...res, headers: { ...res.headers, ...trace } });
  const res = route(engine, faults, req, trace);
  return res instanceof Promise ? res.then(stamp) : stamp(res);
}

function route(engine: Engine, faults: Faults, req: PlainRequest, trace: Record<string, string>): PlainResponse | Promise<PlainResponse> {
  // The request target is a path; `new URL` would read `//x` as a host (or throw).
  const [pathname, query = ""] = req.path.split("?", 2) as [string, string?];
  const url = { pathname, searchParams: new URLSearchParams(query) };
  const base = (status: number, body: string, extra: Record<string, string> = {}): PlainResponse => ({
    status,
    body,
    headers: { "content-type": JSON_TYPE, "x-txn-time": engine.snapshotMicros().toString(), ...extra },
  });

  if (url.pathname === "/ping") {
    if (req.method !== "GET" && req.method !== "HEAD") return base(405, errorBody("method not allowed", "Allowed methods are GET."), { allow: "GET" });
    const scope = url.searchParams.get("scope") ?? "write";
    const name = ["write", "read", "all"].includes(scope) ? scope : "node";
    return base(200, JSON.stringify({ resource: `Scope ${name} is OK` }));
  }
  if (url.pathname !== "/") return base(404, errorBody("not found", "Not Found"));
  if (req.method !== "POST" && req.method !== "GET") {
    return base(405, errorBody("method not allowed", "Allowed methods are GET, POST."), { allow: "GET, POST" });
  }

  const tags = header(req.headers, "x-fauna-tags");
  if (tags !== undefined) {
    const parsed = parseTags(tags);
    if ("error" in parsed) return base(400, errorBody("bad request", parsed.error));
    trace["x-fauna-tags"] = parsed.echo;
  }

  const lastSeen = header(req.headers, "x-last-seen-txn");
  if (lastSeen !== undefined && !/^-?\d+$/.test(lastSeen.trim())) {
    return base(400, errorBody("bad request", "Invalid header 'x-last-seen-txn': Must be a valid long."));
  }
  const timeout = header(req.headers, "x-query-timeout");
  if (timeout !== undefined) {
    const n = Number(timeout);
    if (!/^\d+$/.test(timeout.trim())) return base(400, errorBody("bad request", "Invalid header 'x-query-timeout': Must be a valid long."));
    if (n > 600000) return base(400, errorBody("bad request", "Invalid header 'x-query-timeout': Must be less than or equal to 600000."));
    if (n < 1) return base(400, errorBody("bad request", "Invalid header 'x-query-timeout': Must be greater than or equal to 1."));
  }

  let body = req.body;
  if (req.method === "GET") {
    const q = url.searchParams.get("q");
    if (q === null) return base(400, errorBody("bad request", "Missing query parameter 'q'."));
    body = q;
  }
  const refused = faults.take();
  if (refused !== undefined) {
    engine.stats.queries++;
    const answer = () => base(refused.status, errorBody(refused.code, refused.description));
    return refused.before ? Promise.resolve(refused.before()).then(answer, answer) : answer();
  }
  return fromResult(engine.query(header(req.headers, "authorization"), body));
}

function fromResult(r: QueryResult): PlainResponse {
  const headers: Record<string, string> = { "content-type": JSON_TYPE, "x-txn-time": r.txnTime.toString() };
  if (r.unauthorized) headers["www-authenticate"] = 'Basic realm="Unauthorized"';
  if (r.metrics && r.status !== 500) {
    const m = r.metrics;
    Object.assign(headers, {
      "x-compute-ops": String(Math.max(1, Math.ceil((m.read + m.scanned) / 50))),
      "x-byte-read-ops": String(m.read + Math.ceil(m.scanned / 16)),
      "x-byte-write-ops": String(m.written),
      "x-query-time": String(m.ms),
      "x-txn-retries": "0",
      "x-query-bytes-in": String(m.bytesIn),
      "x-query-bytes-out": String(m.bytesOut),
      "x-storage-bytes-read": "0",
      "x-storage-bytes-write": "0",
      // The emulator's own exact counters, for tests and benchmarks.
      "x-emulator-documents-read": String(m.read),
      "x-emulator-documents-written": String(m.written),
      "x-emulator-index-entries-scanned": String(m.scanned),
    });
  }
  return { status: r.status, headers, body: r.body };
}
