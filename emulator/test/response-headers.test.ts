/**
 * Issue 10, smaller gaps on the wire: `traceparent` on every response, `x-fauna-tags`
 * validated and echoed, and a `@query` without `api_version` (a 2.12 lambda).
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, raw, rawQuery, type Client } from "./support.ts";

let target: FaunaTarget;
let admin: Client;

const W3C = /^00-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const INCOMING = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

before(async () => {
  target = await startTarget();
  admin = target.client();
});
after(() => target.close());

/** A driver client that records the response headers of its last query. */
function observed(extra: Partial<ConstructorParameters<typeof faunadb.Client>[0]> = {}) {
  let headers: Record<string, string> = {};
  const client = new faunadb.Client({
    secret: target.adminSecret,
    endpoint: target.endpoint,
    checkNewVersion: false,
    http2SessionIdleTime: 50,
    observer: (res) => {
      headers = res.responseHeaders as unknown as Record<string, string>;
    },
    ...extra,
  });
  return { client, last: () => headers };
}

describe("traceparent", () => {
  test("every response carries a W3C traceparent, a new trace when none was sent", async () => {
    for (const res of [
      await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 1)),
      await raw(target.endpoint, { path: "/ping" }),
      await rawQuery(target.endpoint, "wrong-secret", q.Add(1, 1)),
      await rawQuery(target.endpoint, target.adminSecret, "{"),
    ]) {
      assert.match(res.headers.get("traceparent") ?? "", W3C, `status ${res.status}`);
    }
    const a = (await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 1))).headers.get("traceparent")!;
    const b = (await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 1))).headers.get("traceparent")!;
    assert.notEqual(W3C.exec(a)![1], W3C.exec(b)![1], "a new trace id per request");
    assert.equal(W3C.exec(a)![3], "00", "a trace the server starts is unsampled");
  });

  test("a valid incoming traceparent keeps its trace id (driver option)", async () => {
    const { client, last } = observed();
    try {
      assert.equal(await client.query(q.Add(1, 1), { traceparent: INCOMING } as never), 2);
      const m = W3C.exec(last()["traceparent"] ?? "");
      assert.ok(m, `traceparent ${last()["traceparent"]}`);
      assert.equal(m[1], "0af7651916cd43dd8448eb211c80319c");
      assert.notEqual(m[2], "b7ad6b7169203331", "the server's own span");
      assert.equal(m[3], "01", "the caller's flags are kept");
    } finally {
      await client.close();
    }
  });

  test("an invalid incoming traceparent starts a new trace", async () => {
    const res = await rawQuery(target.endpoint, target.adminSecret, q.Add(1, 1));
    const bad = await raw(target.endpoint, { secret: target.adminSecret, body: q.Add(1, 1), headers: { traceparent: "not-a-trace" } });
    assert.match(bad.headers.get("traceparent") ?? "", W3C);
    assert.equal(res.status, 200);
  });
});

describe("x-fauna-tags", () => {
  test("echoed only when sent, in reverse request order (driver `tags` option)", async () => {
    const { client, last } = observed();
    try {
      await client.query(q.Add(1, 1), { tags: { first: "a", second: "b", third: "c" } } as never);
      assert.equal(last()["x-fauna-tags"], "third=c,second=b,first=a");
      await client.query(q.Add(1, 1));
      assert.equal(last()["x-fauna-tags"], undefined);
    } finally {
      await client.close();
    }
  });

  test("validation, as the server's TagsParser: malformed (any character but letters, digits, _), long keys and values, too many, duplicates are 400", async () => {
    const cases: [string, string][] = [
      ["novalue", "invalid tags"],
      ["a=b,=c", "invalid tags"],
      ["foo,,", "invalid tags"],
      ["v@@!ar=Bar2", "invalid tags"],
      ["foo=inva@l!d value", "invalid tags"],
      ["a=b, c=d", "invalid tags"],
      [`${"k".repeat(41)}=v`, "invalid key"],
      [`k=${"v".repeat(81)}`, "invalid value"],
      [Array.from({ length: 26 }, (_, i) => `k${i}=v`).join(","), "too many tags"],
      ["k=a,k=b", "duplicate key"],
      // Checked from the last pair back: the long value at the end is found before the long key.
      [`${"k".repeat(41)}=v,k=${"v".repeat(81)}`, "invalid value"],
      [`k=${"v".repeat(3000)}`, "header is too long"],
    ];
    for (const [header, why] of cases) {
      const res = await raw(target.endpoint, { secret: target.adminSecret, body: q.Add(1, 1), headers: { "x-fauna-tags": header } });
      assert.equal(res.status, 400, `${header}: ${res.text}`);
      assert.deepEqual(res.json, { errors: [{ code: "bad request", description: `Invalid header 'x-fauna-tags': ${why}` }] }, header);
    }
  });

  test("limits are inclusive: 40-char keys, 80-char values, 25 tags pass", async () => {
    const header = [`${"k".repeat(40)}=${"v".repeat(80)}`, ...Array.from({ length: 24 }, (_, i) => `t${i}=x`)].join(",");
    const res = await raw(target.endpoint, { secret: target.adminSecret, body: q.Add(1, 1), headers: { "x-fauna-tags": header } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get("x-fauna-tags")?.split(",").length, 25);
  });
});

describe("@query api_version", () => {
  test("a @query without api_version is a 2.12 lambda and is echoed as one", async () => {
    const res = await rawQuery(target.endpoint, target.adminSecret, JSON.stringify({ "@query": { lambda: "x", expr: { var: "x" } } }));
    assert.equal(res.text, JSON.stringify({ resource: { "@query": { api_version: "2.12", lambda: "x", expr: { var: "x" } } } }));
  });

  test("a @query with api_version 4, and Query(Lambda), are echoed as 4", async () => {
    const res = await rawQuery(target.endpoint, target.adminSecret, JSON.stringify({ "@query": { api_version: "4", lambda: "x", expr: { var: "x" } } }));
    assert.equal(res.json.resource["@query"].api_version, "4");
    const q4 = await rawQuery(target.endpoint, target.adminSecret, q.Query(q.Lambda("x", q.Var("x"))));
    assert.equal(q4.json.resource["@query"].api_version, "4");
  });

  test("a function stored from a bare @query keeps version 2.12 and still runs", async () => {
    const body = { "@query": { lambda: "x", expr: { add: [{ var: "x" }, 1] } } };
    const made = await rawQuery(target.endpoint, target.adminSecret, JSON.stringify({ create_function: { object: { name: "inc", body } } }));
    assert.equal(made.status, 201, made.text);
    assert.equal(made.json.resource.body["@query"].api_version, "2.12");
    assert.equal(await admin.query(q.Call(q.Function("inc"), 41)), 42);
});
});
