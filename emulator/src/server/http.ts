/**
 * Routes and headers, shared by the HTTP/2 and HTTP/1.1 paths: `POST /` runs a
 * query, `GET /ping` needs no secret, everything else is FaunaDB's 404/405.
 */
import type { Engine } from "../engine.ts";
import type { Faults } from "./faults.ts";
import { preflight, withCors } from "./cors.ts";
import { parseTags, traceparentFor } from "./trace.ts";
import { fromResult, JSON_TYPE, type PlainResponse, type Response } from "./responses.ts";
import type { StreamHub } from "./stream/hub.ts";
import { openStream } from "./stream/route.ts";

export interface PlainRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}


const header = (h: PlainRequest["headers"], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

function errorBody(code: string, description: string): string {
  return JSON.stringify({ errors: [{ code, description }] });
}

/** Every response carries a `traceparent`; a request's valid tags are echoed back; a request with an `Origin` gets CORS. */
export function handle(engine: Engine, faults: Faults, hub: StreamHub, req: PlainRequest): Response | Promise<Response> {
  const trace = { traceparent: traceparentFor(header(req.headers, "traceparent")) };
  const origin = header(req.headers, "origin");
  if (req.method === "OPTIONS" && origin !== undefined) {
    const res = preflight(origin);
    res.headers.traceparent = trace.traceparent;
    return res;
  }
  const stamp = (res: Response): Response => {
    res.headers = { ...res.headers, ...trace };
    return withCors(res, origin);
  };
  const res = route(engine, faults, hub, req, trace);
  return res instanceof Promise ? res.then(stamp) : stamp(res);
}

function route(engine: Engine, faults: Faults, hub: StreamHub, req: PlainRequest, trace: Record<string, string>): Response | Promise<Response> {
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
  if (url.pathname === "/stream") {
    if (req.method !== "POST") return base(405, errorBody("method not allowed", "Allowed methods are POST."), { allow: "POST" });
    return requestHeaderError(req, base, trace) ?? openStream(engine, hub, header(req.headers, "authorization"), req.body, url.searchParams.get("fields"), base);
  }
  if (url.pathname !== "/") return base(404, errorBody("not found", "Not Found"));
  if (req.method !== "POST" && req.method !== "GET") {
    return base(405, errorBody("method not allowed", "Allowed methods are GET, POST."), { allow: "GET, POST" });
  }
  const refused = requestHeaderError(req, base, trace);
  if (refused) return refused;

  let body = req.body;
  if (req.method === "GET") {
    const q = url.searchParams.get("q");
    if (q === null) return base(400, errorBody("bad request", "Missing query parameter 'q'."));
    body = q;
  }
  const fault = faults.take();
  if (fault !== undefined) {
    engine.stats.queries++;
    const answer = () => base(fault.status, errorBody(fault.code, fault.description));
    return fault.before ? Promise.resolve(fault.before()).then(answer, answer) : answer();
  }
  const timeout = header(req.headers, "x-query-timeout");
  const result = engine.query(header(req.headers, "authorization"), body, { timeoutMs: timeout === undefined ? undefined : Number(timeout) });
  return result instanceof Promise ? result.then(fromResult) : fromResult(result);
}

/** The request headers FaunaDB validates before it runs anything; the 400 for a bad one. */
function requestHeaderError(req: PlainRequest, base: (status: number, body: string) => PlainResponse, trace: Record<string, string>): PlainResponse | undefined {
  const tags = header(req.headers, "x-fauna-tags");
  if (tags !== undefined) {
    const parsed = parseTags(tags);
    if ("error" in parsed) return base(400, errorBody("bad request", parsed.error));
    if (parsed.echo) trace["x-fauna-tags"] = parsed.echo;
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

  return undefined;
}

