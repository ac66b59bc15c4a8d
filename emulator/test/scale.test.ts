/**
 * Scale: with a few thousand documents, reading N entries of an index (Range + Paginate, Match
 * on a term, a page of Documents) must visit about N entries, not the whole collection.
 * The 200,000-document figure is a benchmark elsewhere; this stays fast.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import { q, type Client, type Page } from "./support.ts";

const TOTAL = 3000;
const BATCH = 500;
let target: FaunaTarget;
let admin: Client;

before(async () => {
  target = await startTarget();
  admin = target.client();
  await admin.query(q.CreateCollection({ name: "big" }));
  await admin.query(q.CreateIndex({ name: "big_by_n", source: q.Collection("big"), values: [{ field: ["data", "n"] }, { field: ["ref"] }] }));
  await admin.query(q.CreateIndex({ name: "big_by_group", source: q.Collection("big"), terms: [{ field: ["data", "g"] }] }));
  for (let start = 0; start < TOTAL; start += BATCH) {
    const rows = Array.from({ length: BATCH }, (_, i) => ({ n: start + i, g: (start + i) % 100 }));
    await admin.query(q.Foreach(rows, q.Lambda("d", q.Create(q.Collection("big"), { data: q.Var("d") }))));
  }
});
after(() => target.close());

/** Runs `expr` and returns [result, indexEntriesScanned during it]. */
async function scanned<T>(t: Parameters<typeof emulatorOnly>[0], expr: Parameters<Client["query"]>[0]): Promise<[T, number] | undefined> {
  const emu = emulatorOnly(t, target, "stats");
  if (!emu) return undefined;
  emu.stats.reset();
  const res = await admin.query<T>(expr);
  return [res, emu.stats.snapshot().indexEntriesScanned];
}

describe(`scale (${TOTAL} documents)`, () => {
  test("all documents are there", async () => {
    assert.equal(await admin.query(q.Count(q.Documents(q.Collection("big")))), TOTAL);
  });

  test("Paginate(Range) of 50 entries scans ~50 index entries, not the collection", async (t) => {
    const r = await scanned<Page>(t, q.Paginate(q.Range(q.Match(q.Index("big_by_n")), [1500], [1549]), { size: 100 }));
    if (!r) return;
    const [page, n] = r;
    assert.equal(page.data.length, 50);
    assert.deepEqual(
      page.data.map((e) => (e as [number])[0]),
      Array.from({ length: 50 }, (_, i) => 1500 + i),
    );
    assert.ok(n >= 50 && n <= 60, `indexEntriesScanned ${n}`);
  });

  test("a page of 20 from the middle (after cursor) scans ~20", async (t) => {
    const r = await scanned<Page>(t, q.Paginate(q.Match(q.Index("big_by_n")), { size: 20, after: [2500] }));
    if (!r) return;
    const [page, n] = r;
    assert.equal((page.data[0] as [number])[0], 2500);
    assert.equal(page.data.length, 20);
    assert.ok(n >= 20 && n <= 25, `indexEntriesScanned ${n}`);
  });

  test("Match on a term with 30 documents scans ~30", async (t) => {
    const r = await scanned<Page>(t, q.Paginate(q.Match(q.Index("big_by_group"), 7), { size: 100 }));
    if (!r) return;
    const [page, n] = r;
    assert.equal(page.data.length, TOTAL / 100);
    assert.ok(n >= 30 && n <= 35, `indexEntriesScanned ${n}`);
  });

  test("a page of 10 Documents scans ~10", async (t) => {
    const r = await scanned<Page>(t, q.Paginate(q.Documents(q.Collection("big")), { size: 10 }));
    if (!r) return;
    const [page, n] = r;
    assert.equal(page.data.length, 10);
    assert.ok(n >= 10 && n <= 15, `indexEntriesScanned ${n}`);
  });

  test("the Range page answers quickly", async () => {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) {
      await admin.query(q.Paginate(q.Range(q.Match(q.Index("big_by_n")), [i * 100], [i * 100 + 49])));
    }
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `10 Range pages took ${ms.toFixed(0)} ms`);
  });
});
