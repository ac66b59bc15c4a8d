/**
 * CORS as FaunaDB answers it (`api/…/CoreApplication.scala` `addCORSHeaders`,
 * `ProtocolSpec.scala`): only for a request that carries an `Origin`, on both protocols.
 * The origin is reflected with credentials allowed, and every `x-` header of the answer
 * is exposed, so a browser reads `x-txn-time` and the metrics. A preflight (`OPTIONS`
 * with an `Origin`) is answered 200 without running anything; `OPTIONS` without one is
 * an ordinary request (405).
 */
import type { Response } from "./responses.ts";

/** `CoreApplication.CORSAllowedHeaders`, in the server's order. */
const ALLOWED_HEADERS = [
  "accept-encoding",
  "authorization",
  "content-type",
  "x-driver-env",
  "x-faunadb-api-version",
  "x-fauna-driver",
  "x-fauna-source",
  "x-fauna-tags",
  "x-format",
  "x-last-seen-txn",
  "x-last-txn-ts",
  "x-linearized",
  "x-max-contention-retries",
  "x-max-retries-on-contention",
  "x-query-tags",
  "x-query-timeout",
  "x-query-timeout-ms",
  "x-runtime-environment",
  "x-runtime-environment-os",
  "x-nodejs-version",
  "traceparent",
  "x-typecheck",
  "x-performance-hints",
].join(", ");

/** The answer to a preflight: no body, the allowed methods and headers, cached for a day. */
export function preflight(origin: string): Response {
  return {
    status: 200,
    body: "",
    headers: {
      // Nothing to expose on a preflight: it has no `x-` headers of its own.
      "access-control-expose-headers": "",
      "access-control-allow-origin": origin,
      "access-control-allow-credentials": "true",
      "access-control-max-age": "86400",
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
    },
  };
}

/** Adds CORS to an answer to a request from `origin`: the answer's own `x-` headers, in order, are exposed. */
export function withCors(res: Response, origin: string | undefined): Response {
  if (origin === undefined) return res;
  const exposed = Object.keys(res.headers).filter((h) => h.length >= 2 && h.startsWith("x-"));
  res.headers = {
    ...res.headers,
    "access-control-expose-headers": exposed.join(", "),
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
  };
  return res;
}
