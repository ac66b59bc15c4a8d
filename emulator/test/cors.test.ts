/**
 * CORS as FaunaDB answers it (api/…/CoreApplication.scala `addCORSHeaders`,
 * ProtocolSpec.scala): a request with an `Origin` gets it reflected, credentials
 * allowed and its own `x-` headers exposed; one without gets no CORS headers; a
 * preflight is a 200 with the driver's headers and a day's max-age; OPTIONS without an
 * `Origin` is an ordinary request (405). On both protocols.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { headerNames, q, raw } from "./support.ts";

let target: FaunaTarget;
const ORIGIN = "http://app.example.test";

before(async () => {
  target = await startTarget();
});
after(() => target.close());

const ALLOWED_HEADERS =
  "accept-encoding, authorization, content-type, x-driver-env, x-faunadb-api-version, x-fauna-driver, x-fauna-source, x-fauna-tags, " +
  "x-format, x-last-seen-txn, x-last-txn-ts, x-linearized, x-max-contention-retries, x-max-retries-on-contention, x-query-tags, " +
  "x-query-timeout, x-query-timeout-ms, x-runtime-environment, x-runtime-environment-os, x-nodejs-version, traceparent, x-typecheck, x-performance-hints";

const accessControl = (h: Headers | http2.IncomingHttpHeaders): string[] =>
  (h instanceof Headers ? headerNames(h) : Object.keys(h)).filter((k) => k.startsWith("access-control-")).sort();

describe("CORS on answers", () => {
  test("a query with an Origin: the origin reflected, credentials allowed, its x- headers exposed in order", async () => {
    const res = await raw(target.endpoint, { secret: target.adminSecret, body: JSON.stringify(q.Add(1, 1)), headers: { origin: ORIGIN, "x-fauna-tags": "page=home" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    const exposed = res.headers.get("access-control-expose-headers")!.split(", ");
    const xHeaders = headerNames(res.headers).filter((h) => h.startsWith("x-"));
    assert.deepEqual([...exposed].sort(), xHeaders.sort());
    for (const h of ["x-txn-time", "x-fauna-tags", "x-compute-ops", "x-byte-read-ops", "x-byte-write-ops", "x-query-time", "x-query-bytes-in", "x-query-bytes-out", "x-storage-bytes-read", "x-storage-bytes-write", "x-txn-retries"]) {
      assert.ok(exposed.includes(h), `${h} exposed: ${exposed.join(", ")}`);
    }
    assert.ok(exposed.indexOf("x-compute-ops") < exposed.indexOf("x-txn-retries"), "in the answer's order");
    assert.equal(res.headers.get("access-control-max-age"), null, "max-age only on a preflight");
  });

  test("errors and 401s with an Origin carry CORS too (a browser must read them)", async () => {
    for (const secret of [target.adminSecret, "wrong"]) {
      const res = await raw(target.endpoint, { secret, body: JSON.stringify(q.Divide(1, 0)), headers: { origin: ORIGIN } });
      assert.ok(res.status === 400 || res.status === 401, String(res.status));
      assert.equal(res.headers.get("access-control-allow-origin"), ORIGIN);
      assert.match(res.headers.get("access-control-expose-headers")!, /x-txn-time/);
    }
  });

  test("without an Origin there are no CORS headers", async () => {
    const res = await raw(target.endpoint, { secret: target.adminSecret, body: JSON.stringify(q.Add(1, 1)) });
    assert.deepEqual(accessControl(res.headers), []);
  });

  test("HTTP/2 (the driver's protocol) answers CORS the same way", async () => {
    const session = http2.connect(target.endpoint);
    try {
      const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/", authorization: `Bearer ${target.adminSecret}`, origin: ORIGIN });
        req.on("response", (h) => {
          req.resume();
          req.on("end", () => resolve(h));
        });
        req.on("error", reject);
        req.end(JSON.stringify(q.Add(1, 1)));
      });
      assert.equal(headers["access-control-allow-origin"], ORIGIN);
      assert.equal(headers["access-control-allow-credentials"], "true");
      assert.match(String(headers["access-control-expose-headers"]), /x-compute-ops/);
    } finally {
      session.close();
    }
  });
});

describe("CORS preflight", () => {
  test("OPTIONS with an Origin: 200, no body, exactly the server's CORS headers", async () => {
    const requested = { "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, x-faunadb-api-version" };
    const res = await raw(target.endpoint, { method: "OPTIONS", headers: { origin: ORIGIN, ...requested } });
    assert.deepEqual([res.status, res.text], [200, ""]);
    const cors = Object.fromEntries(accessControl(res.headers).map((h) => [h, res.headers.get(h)]));
    assert.deepEqual(cors, {
      "access-control-allow-credentials": "true",
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE",
      "access-control-allow-origin": ORIGIN,
      "access-control-expose-headers": "",
      "access-control-max-age": "86400",
    });
  });

  test("OPTIONS without an Origin is an ordinary request: 405 on /", async () => {
    const res = await raw(target.endpoint, { method: "OPTIONS" });
    assert.equal(res.status, 405);
    assert.deepEqual(accessControl(res.headers), []);
  });

  test("every header the driver sends is allowed", async () => {
    const allowed = new Set(ALLOWED_HEADERS.split(", "));
    // faunadb 4.8's request headers (src/_http/index.js), as a browser lists them in a preflight.
    for (const h of ["authorization", "content-type", "x-faunadb-api-version", "x-last-seen-txn", "x-query-timeout", "x-fauna-tags", "traceparent", "x-driver-env"]) {
      assert.ok(allowed.has(h), h);
    }
  });
});
