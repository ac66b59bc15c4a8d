/**
 * A cluster's per-transaction limits (`startEmulator({ limits: true })`, what the cluster
 * profile turns on), refused with the server's status, code and description
 * (api/…/ExceptionResponseHelpers.scala, repo/…/package.scala) and nothing committed:
 * 12,000 compute ops, width 100,000, 16 MiB written, 8 MiB request bodies. The default
 * profile has none of them: the same queries succeed there.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startEmulator } from "../index.ts";
import type { EmulatorHandle } from "../src/api.ts";
import { expectError, q, raw, type Expr } from "./support.ts";

let limited: EmulatorHandle;
let open: EmulatorHandle;
const clients: faunadb.Client[] = [];

function client(emu: EmulatorHandle): faunadb.Client {
  const c = new faunadb.Client({ secret: emu.secret, endpoint: emu.url, checkNewVersion: false, http2SessionIdleTime: 50, timeout: 120 });
  clients.push(c);
  return c;
}

before(async () => {
  [limited, open] = await Promise.all([startEmulator({ port: 0, limits: true }), startEmulator({ port: 0 })]);
  for (const emu of [limited, open]) await client(emu).query(q.Do(q.CreateCollection({ name: "docs" }), q.CreateCollection({ name: "big" })));
});
after(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await Promise.all([limited.close(), open.close()]);
});

const count = (emu: EmulatorHandle, coll: string) => client(emu).query(q.Count(q.Documents(q.Collection(coll))));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** 100,000 elements × (lambda + 5 Adds) + Map = 600,001 calls: one past 12,000 compute ops. */
const TOO_MUCH_COMPUTE = q.Map(
  range(100_000),
  q.Lambda("x", [1, 2, 3, 4, 5].map((k) => q.Add(q.Var("x"), k))),
);
const COMPUTE_REFUSED = { status: 400, code: "bad request", description: "Transaction does too much compute: got 12001, limit: 12000", position: null };

describe("limits: compute (12,000 ops of 50 calls)", () => {
  test("the 600,001st call is refused 400 bad request, without a position, and nothing is committed", async () => {
    await expectError(client(limited).query(q.Do(q.Create(q.Collection("docs")), TOO_MUCH_COMPUTE)), COMPUTE_REFUSED);
    assert.equal(await count(limited, "docs"), 0);
  });

  test("inside a function it is not wrapped in `call error`: the transaction itself is refused", async () => {
    const c = client(limited);
    await c.query(q.CreateFunction({ name: "heavy", body: q.Query(q.Lambda("_", TOO_MUCH_COMPUTE)) }));
    await expectError(c.query(q.Call(q.Function("heavy"), [])), COMPUTE_REFUSED);
  });

  test("without limits the same query succeeds and bills 12,001 compute ops", async () => {
    const res = await raw(open.url, { secret: open.secret, body: JSON.stringify(q.Count(TOO_MUCH_COMPUTE)) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-compute-ops"), "14001"); // + Count's 100,000 elements
  });
});

describe("limits: width (100,000)", () => {
  test("a Map over 100,001 elements is refused with the width the server reports; 100,000 pass", async () => {
    await expectError(client(limited).query(q.Do(q.Create(q.Collection("docs")), q.Map(range(100_001), q.Lambda("x", q.Var("x"))))), {
      status: 400,
      code: "bad request",
      description: "Query exceeds max width. Max: 100000, current: 100001.",
      position: null,
    });
    assert.equal(await count(limited, "docs"), 0);
    assert.equal(((await client(limited).query(q.Map(range(100_000), q.Lambda("x", q.Var("x"))))) as unknown[]).length, 100_000);
  });

  test("an array of 101,500 expressions is refused at the slice that crossed (the server fans out 1,000 at a time)", async () => {
    await expectError(client(limited).query(range(101_500).map((i) => q.Add(i, 1)) as unknown as Expr), {
      status: 400,
      code: "bad request",
      description: "Query exceeds max width. Max: 100000, current: 101000.",
      position: null,
    });
  });

  test("a Filter over 100,001 elements and a Do of 100,001 expressions are refused too", async () => {
    const wide = { status: 400, code: "bad request", description: "Query exceeds max width. Max: 100000, current: 100001.", position: null };
    await expectError(client(limited).query(q.Filter(range(100_001), q.Lambda("x", true))), wide);
    // Built as JSON: the driver's Do(...args) cannot take 100,001 arguments.
    const res = await raw(limited.url, { secret: limited.secret, body: JSON.stringify({ do: range(100_001) }) });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { errors: [{ code: wide.code, description: wide.description }] });
  });

  test("Paginate's size is capped at 100,000 (no error) in both profiles", async () => {
    for (const emu of [limited, open]) {
      const page = (await client(emu).query(q.Paginate(q.Documents(q.Collection("docs")), { size: 1_000_000 }))) as { data: unknown[] };
      assert.deepEqual(page.data, []);
    }
  });

  test("without limits a Map over 100,001 elements succeeds", async () => {
    assert.equal(((await client(open).query(q.Map(range(100_001), q.Lambda("x", q.Var("x"))))) as unknown[]).length, 100_001);
  });
});

describe("limits: transaction size (16 MiB written)", () => {
  const twentyMegabytes = q.Foreach(range(20), q.Lambda("i", q.Create(q.Collection("big"), { data: { i: q.Var("i"), s: q.Repeat("x".repeat(1000), 1000) } })));

  test("the write that takes a transaction past 16 MiB is refused, and nothing is committed", async () => {
    await expectError(client(limited).query(twentyMegabytes), {
      status: 400,
      code: "bad request",
      description: /^Transaction exceeded limit: got 1\d{7} bytes, limit 16777216 bytes$/,
      position: null,
    });
    assert.equal(await count(limited, "big"), 0);
  });

  test("without limits the same 20 MB are written", async () => {
    await client(open).query(twentyMegabytes);
    assert.equal(await count(open, "big"), 20);
  });
});

describe("limits: request size (8 MiB)", () => {
  const nineMegabytes = JSON.stringify(q.Create(q.Collection("docs"), { data: { s: "y".repeat(9 * 1024 * 1024) } }));

  test("a body over 8 MiB is answered 413 request too large, and nothing is written", async () => {
    const res = await raw(limited.url, { secret: limited.secret, body: nineMegabytes });
    assert.equal(res.status, 413);
    assert.deepEqual(res.json, { errors: [{ code: "request too large", description: "Request entity is too large" }] });
    assert.equal(await count(limited, "docs"), 0);
  });

  test("without limits it is run", async () => {
    const res = await raw(open.url, { secret: open.secret, body: nineMegabytes });
    assert.equal(res.status, 201);
  });
});
