/** §1 Transport: HTTP/2 (driver) and HTTP/1.1 (fetch) on one port, routes, headers. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import { q, raw, rawQuery, assertBody, expectError, sleep, errors } from "./support.ts";

let target: FaunaTarget;
before(async () => {
  target = await startTarget();
  await target.client().query(q.CreateCollection({ name: "things" }));
});
after(() => target.close());

const METRICS = ["x-compute-ops", "x-byte-read-ops", "x-byte-write-ops", "x-query-time", "x-txn-retries"];

describe("transport: one port, two protocols", () => {
  test("the driver (HTTP/2 prior knowledge) and fetch (HTTP/1.1) both get answers on the same port", async () => {
    assert.equal(await target.client().query(q.Add(1, 2)), 3);
    const res = await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 2));
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"resource":3}');
  });

  test("the driver survives its HTTP/2 session being closed between queries (new session each time)", async () => {
    const c = target.client();
    assert.equal(await c.query(q.Add(1, 1)), 2);
    await sleep(150); // target clients close idle sessions after 50 ms
    assert.equal(await c.query(q.Add(2, 2)), 4);
    await sleep(150);
    assert.equal(await c.query(q.Add(3, 3)), 6);
  });

  test("a text/plain body over HTTP/1.1 (what the fetch adapter sends) is accepted", async () => {
    const res = await raw(target.endpoint, { secret: target.adminSecret, body: '{"add":[2,3]}', headers: {} });
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"resource":5}');
  });

  test("success responses are JSON with content-type application/json", async () => {
    const res = await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 2));
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/i);
  });
});

describe("transport: routes", () => {
  test("GET /ping needs no auth and answers Scope write is OK", async () => {
    const res = await raw(target.endpoint, { path: "/ping" });
    assertBody(res, 200, { resource: "Scope write is OK" });
  });

  test("GET /ping?scope=… echoes read/all and maps anything else to node", async () => {
    assertBody(await raw(target.endpoint, { path: "/ping?scope=read" }), 200, { resource: "Scope read is OK" });
    assertBody(await raw(target.endpoint, { path: "/ping?scope=all" }), 200, { resource: "Scope all is OK" });
    assertBody(await raw(target.endpoint, { path: "/ping?scope=bogus" }), 200, { resource: "Scope node is OK" });
  });

  test("client.ping() over HTTP/2 resolves to the scope message", async () => {
    assert.equal(await target.client().ping(), "Scope write is OK");
    assert.equal(await target.client().ping("read"), "Scope read is OK");
  });

  test("unknown route → 404 not found (no position)", async () => {
    const res = await raw(target.endpoint, { path: "/nope", secret: target.adminSecret });
    assertBody(res, 404, { errors: [{ code: "not found", description: "Not Found" }] });
  });

  test("wrong method on / → 405 with an Allow header listing GET and POST", async () => {
    const res = await raw(target.endpoint, { method: "PUT", secret: target.adminSecret, body: '{"add":1}' });
    assertBody(res, 405, { errors: [{ code: "method not allowed", description: "Allowed methods are GET, POST." }] });
    const allow = (res.headers.get("allow") ?? "").toUpperCase();
    assert.match(allow, /GET/);
    assert.match(allow, /POST/);
  });
});

/** One raw HTTP/2 (prior knowledge) request. */
function h2(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(target.endpoint);
    session.on("error", reject);
    const req = session.request({ ":method": method, ":path": path, ...headers });
    let status = 0;
    let hdrs: http2.IncomingHttpHeaders = {};
    let text = "";
    req.setEncoding("utf8");
    req.on("response", (h) => {
      status = Number(h[":status"]);
      hdrs = h;
    });
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      session.close();
      resolve({ status, headers: hdrs, text });
    });
    req.on("error", reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

describe("transport: the same routes over raw HTTP/2", () => {
  test("GET /ping, unknown route 404, wrong method 405 with Allow", async () => {
    const ping = await h2("GET", "/ping");
    assert.equal(ping.status, 200);
    assert.equal(ping.text, '{"resource":"Scope write is OK"}');
    const nf = await h2("GET", "/nope", { authorization: `Bearer ${target.adminSecret}` });
    assert.equal(nf.status, 404);
    assert.equal(nf.text, '{"errors":[{"code":"not found","description":"Not Found"}]}');
    const wm = await h2("PUT", "/", { authorization: `Bearer ${target.adminSecret}` }, '{"add":1}');
    assert.equal(wm.status, 405);
    assert.equal(wm.text, '{"errors":[{"code":"method not allowed","description":"Allowed methods are GET, POST."}]}');
    assert.match(String(wm.headers.allow ?? "").toUpperCase(), /GET.*POST|POST.*GET/);
  });

  test("POST / without content-type or version header over HTTP/2", async () => {
    const r = await h2("POST", "/", { authorization: `Bearer ${target.adminSecret}` }, '{"add":[1,2]}');
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"resource":3}');
    assert.match(String(r.headers["x-txn-time"]), /^\d+$/);
  });
});

describe("transport: request headers", () => {
  test("x-query-timeout above 600000 → 400 bad request with the exact description", async () => {
    const res = await raw(target.endpoint, {
      secret: target.adminSecret,
      body: '{"add":[1,1]}',
      headers: { "x-query-timeout": "600001" },
    });
    assertBody(res, 400, {
      errors: [{ code: "bad request", description: "Invalid header 'x-query-timeout': Must be less than or equal to 600000." }],
    });
  });

  test("x-query-timeout that is not a number, or 0, → 400 bad request", async () => {
    for (const v of ["abc", "0"]) {
      const res = await raw(target.endpoint, {
        secret: target.adminSecret,
        body: '{"add":[1,1]}',
        headers: { "x-query-timeout": v },
      });
      assert.equal(res.status, 400, `x-query-timeout: ${v}`);
      assert.equal(res.json?.errors?.[0]?.code, "bad request");
      assert.ok(!("position" in res.json.errors[0]));
    }
  });

  test("x-query-timeout 600000 and 1 are accepted", async () => {
    for (const v of ["600000", "1000"]) {
      const res = await raw(target.endpoint, {
        secret: target.adminSecret,
        body: '{"add":[1,1]}',
        headers: { "x-query-timeout": v },
      });
      assert.equal(res.status, 200, `x-query-timeout: ${v}: ${res.text}`);
    }
  });

  test("driver queryTimeout over the limit surfaces as BadRequest 'bad request'", async () => {
    await expectError(target.client().query(q.Add(1, 1), { queryTimeout: 600001 }), {
      status: 400,
      code: "bad request",
      description: "Invalid header 'x-query-timeout': Must be less than or equal to 600000.",
      position: null,
    });
  });

  test("x-last-seen-txn that is not a long → 400 bad request", async () => {
    const res = await raw(target.endpoint, {
      secret: target.adminSecret,
      body: '{"add":[1,1]}',
      headers: { "x-last-seen-txn": "yesterday" },
    });
    assert.equal(res.status, 400);
    assert.equal(res.json?.errors?.[0]?.code, "bad request");
  });

  test("a numeric x-last-seen-txn (what the driver echoes) is accepted", async () => {
    const first = await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 1));
    const res = await raw(target.endpoint, {
      secret: target.adminSecret,
      body: '{"add":[1,1]}',
      headers: { "x-last-seen-txn": first.headers.get("x-txn-time") ?? "" },
    });
    assert.equal(res.status, 200);
  });
});

describe("transport: response headers", () => {
  test("x-txn-time is an integer (µs) on every response and strictly increases across writes", async () => {
    const a = await rawQuery(target.endpoint, target.adminSecret, q.Create(q.Collection("things"), { data: { n: 1 } }));
    const b = await rawQuery(target.endpoint, target.adminSecret, q.Create(q.Collection("things"), { data: { n: 2 } }));
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const ta = a.headers.get("x-txn-time");
    const tb = b.headers.get("x-txn-time");
    assert.match(ta ?? "", /^\d+$/);
    assert.match(tb ?? "", /^\d+$/);
    assert.ok(BigInt(tb!) > BigInt(ta!), `${tb} > ${ta}`);
    // the write's ts is the transaction time, same unit
    assert.equal(String(a.json.resource.ts), ta);
    assert.equal(String(b.json.resource.ts), tb);
    // µs since epoch: within a day of the wall clock (emulator clock starts at real time)
    const nowUs = BigInt(Date.now()) * 1000n;
    const diff = BigInt(ta!) - nowUs;
    assert.ok(diff < 86_400_000_000n && diff > -86_400_000_000n, `x-txn-time ${ta} is µs near now`);
  });

  test("x-txn-time never decreases across reads", async () => {
    let last = 0n;
    for (let i = 0; i < 5; i++) {
      const r = await rawQuery(target.endpoint, target.adminSecret, q.Add(i, 1));
      const t = BigInt(r.headers.get("x-txn-time") ?? "0");
      assert.ok(t >= last);
      last = t;
    }
  });

  test("x-txn-time is also sent on 400 and 401 responses", async () => {
    const bad = await rawQuery(target.endpoint, target.adminSecret, q.Abort("x"));
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get("x-txn-time") ?? "", /^\d+$/);
    const unauth = await rawQuery(target.endpoint, "not-a-secret", q.Add(1, 1));
    assert.equal(unauth.status, 401);
    assert.match(unauth.headers.get("x-txn-time") ?? "", /^\d+$/);
  });

  test("x-txn-time is also sent on /ping and on the 404 route", async () => {
    const ping = await raw(target.endpoint, { path: "/ping" });
    assert.match(ping.headers.get("x-txn-time") ?? "", /^\d+$/);
    const nf = await raw(target.endpoint, { path: "/nope" });
    assert.match(nf.headers.get("x-txn-time") ?? "", /^\d+$/);
  });

  test("metric headers are integers on success and on query errors", async () => {
    for (const expr of [q.Add(1, 1), q.Abort("m")]) {
      const r = await rawQuery(target.endpoint, target.adminSecret, expr);
      for (const h of METRICS) assert.match(r.headers.get(h) ?? "", /^\d+$/, `${h} on ${r.status}`);
    }
  });

  test("a pure expression writes nothing; a Create reports byte-write ops", async () => {
    const pure = await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 1));
    assert.equal(pure.headers.get("x-byte-write-ops"), "0");
    const w = await rawQuery(target.endpoint, target.adminSecret, q.Create(q.Collection("things"), { data: { n: 3 } }));
    assert.ok(Number(w.headers.get("x-byte-write-ops")) >= 1);
    assert.ok(Number(w.headers.get("x-compute-ops")) >= 1);
  });

  test("queryWithMetrics (HTTP/2) exposes the five metrics as integers", async () => {
    const { value, metrics } = await target.client().queryWithMetrics(q.Add(20, 22));
    assert.equal(value, 42);
    for (const h of METRICS) {
      const v = (metrics as Record<string, unknown>)[h];
      assert.ok(Number.isInteger(v), `${h} = ${String(v)}`);
    }
  });

  test("401 carries www-authenticate and no metric headers", async () => {
    const r = await raw(target.endpoint, { body: '{"add":[1,1]}' });
    assertBody(r, 401, { errors: [{ code: "unauthorized", description: "Unauthorized" }] });
    assert.equal(r.headers.get("www-authenticate"), 'Basic realm="Unauthorized"');
    for (const h of METRICS) assert.equal(r.headers.get(h), null, `${h} must be absent on 401`);
  });

  test("bad JSON body → 400 invalid expression 'Request body is not valid JSON.'", async () => {
    const r = await raw(target.endpoint, { secret: target.adminSecret, body: "{not json" });
    assert.equal(r.status, 400);
    assert.equal(r.json?.errors?.[0]?.code, "invalid expression");
    assert.equal(r.json?.errors?.[0]?.description, "Request body is not valid JSON.");
  });

  test("driver maps a non-2xx JSON error to its Fauna error class", async () => {
    await assert.rejects(target.client().query(q.Abort("boom")), (e: unknown) => e instanceof errors.BadRequest);
  });
});

describe("transport: CORS on HTTP/1.1", () => {
  test("preflight OPTIONS / answers 2xx with allow-origin, allow-methods (POST) and the requested headers", async () => {
    const res = await fetch(new URL("/", target.endpoint), {
      method: "OPTIONS",
      headers: {
        origin: "http://example.test",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,x-faunadb-api-version,content-type",
      },
    });
    await res.arrayBuffer();
    assert.ok(res.status >= 200 && res.status < 300, `status ${res.status}`);
    const origin = res.headers.get("access-control-allow-origin");
    assert.ok(origin === "*" || origin === "http://example.test", `allow-origin ${origin}`);
    assert.match(res.headers.get("access-control-allow-methods") ?? "", /POST/i);
    const allowHeaders = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
    assert.ok(
      allowHeaders === "*" || (allowHeaders.includes("authorization") && allowHeaders.includes("x-faunadb-api-version")),
      `allow-headers ${allowHeaders}`,
    );
  });

  test("a cross-origin POST gets access-control-allow-origin and exposes x-txn-time (as the server: test/cors.test.ts)", async () => {
    const res = await raw(target.endpoint, {
      secret: target.adminSecret,
      body: '{"add":[1,1]}',
      headers: { origin: "http://example.test" },
    });
    assert.equal(res.status, 200);
    const origin = res.headers.get("access-control-allow-origin");
    assert.ok(origin === "*" || origin === "http://example.test", `allow-origin ${origin}`);
    const expose = (res.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    assert.ok(expose === "*" || expose.includes("x-txn-time"), `expose-headers ${expose}`);
  });
});

describe("transport: requests that must not hurt the server", () => {
  test("paths like `//` and `//ping` are plain unknown paths (404), and the server keeps answering", async () => {
    for (const path of ["//", "//ping", "/%", "/?q=%zz"]) {
      const r = await fetch(`${target.endpoint}${path}`, { method: "POST", headers: { authorization: `Bearer ${target.adminSecret}` }, body: "1" });
      const body = (await r.json()) as { errors?: unknown[] };
      assert.ok(Array.isArray(body.errors) || path === "/?q=%zz", `${path}: ${JSON.stringify(body)}`);
      if (path !== "/?q=%zz") assert.equal(r.status, 404, path);
    }
    const ping = await fetch(`${target.endpoint}/ping`);
    assert.equal(ping.status, 200);
  });

  test("a body that is not UTF-8 is invalid JSON (400), not silently repaired", async () => {
    const bytes = Buffer.concat([Buffer.from('{"concat":["a","'), Buffer.from([0xff, 0xfe]), Buffer.from('"]}')]);
    const r = await fetch(target.endpoint, { method: "POST", headers: { authorization: `Bearer ${target.adminSecret}` }, body: bytes });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { errors: { code: string; description: string }[] };
    assert.equal(body.errors[0]!.code, "invalid expression");
    assert.equal(body.errors[0]!.description, "Request body is not valid JSON.");
  });

  test("(emulator choice) nesting thousands deep is a 400, not a 500 or a crash", async (t) => {
    if (!emulatorOnly(t, target, "limits")) return;
    const deep = "[".repeat(20000) + "]".repeat(20000);
    const r = await fetch(target.endpoint, { method: "POST", headers: { authorization: `Bearer ${target.adminSecret}` }, body: deep });
    assert.equal(r.status, 400, await r.clone().text());
    const nestedAdds = '{"add":['.repeat(3000) + "1" + ",1]}".repeat(3000);
    const r2 = await fetch(target.endpoint, { method: "POST", headers: { authorization: `Bearer ${target.adminSecret}` }, body: nestedAdds });
    assert.ok(r2.status === 200 || r2.status === 400, String(r2.status));
    assert.equal((await fetch(`${target.endpoint}/ping`)).status, 200);
  });
});
