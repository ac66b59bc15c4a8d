/**
 * The emulator's scale figures (issue "A local FaunaDB…", Scale): with N tokens
 * and their ledger documents, how much memory the emulator holds, and how many
 * index entries a Range + Paginate of 1,000 entries touches.
 *
 *   node --expose-gc --import tsx bench/emulator-scale.ts [--tokens 200000 | --help]
 */
import { parseArgs } from "node:util";
import faunadb from "faunadb";
import { startEmulator } from "fql4-emulator";

const q = faunadb.query;
const HELP = `Usage: npm run bench:emulator -- [--tokens N]

The emulator's scale figures: N tokens (default 200000) with their ledger documents,
the heap they hold, and the index entries a Range + Paginate of 1,000 entries touches.
Prints its figures; asserts nothing.`;

let values: { tokens: string; help?: boolean };
try {
  ({ values } = parseArgs({ options: { tokens: { type: "string", default: "200000" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false }));
} catch (e) {
  console.error(`bench:emulator: ${(e as Error).message}\n${HELP.split("\n")[0]}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (!/^\d+$/.test(values.tokens)) {
  console.error(`bench:emulator: --tokens must be a whole number, got ${values.tokens}`);
  process.exit(2);
}
const total = Number(values.tokens);
const BATCH = 1000;

const gc = (globalThis as { gc?: () => void }).gc;
const heapMiB = () => {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const emu = await startEmulator({ port: 0 });
const client = new faunadb.Client({ secret: "secret", endpoint: emu.url, checkNewVersion: false });
try {
  await client.query(q.Do(q.CreateCollection({ name: "users" }), q.CreateCollection({ name: "ledger" })));
  await client.query(
    q.CreateIndex({
      name: "ledger_by_expiration",
      source: q.Collection("ledger"),
      values: [{ field: ["data", "expires_at"] }, { field: ["data", "token_ref"] }, { field: ["ref"] }],
    }),
  );
  const user = ((await client.query(q.Create(q.Collection("users"), { data: { auth0_id: "auth0|bench" } }))) as { ref: unknown }).ref;
  const before = heapMiB();
  const started = performance.now();
  for (let done = 0; done < total; done += BATCH) {
    const offsets = Array.from({ length: Math.min(BATCH, total - done) }, (_, i) => done + i + 60);
    await client.query(
      q.Foreach(
        offsets,
        q.Lambda(
          "s",
          q.Let(
            { exp: q.TimeAdd(q.Now(), q.Var("s"), "seconds"), tok: q.Create(q.Tokens(), { instance: user, ttl: q.Var("exp") }) },
            q.Create(q.Collection("ledger"), {
              data: { token_ref: q.Select("ref", q.Var("tok")), user_ref: user, expires_at: q.Var("exp"), issued_at: q.Now() },
            }),
          ),
        ),
      ),
    );
  }
  const loadSeconds = (performance.now() - started) / 1000;
  const after = heapMiB();

  emu.stats.reset();
  const page = (await client.query(
    q.Paginate(q.Range(q.Match(q.Index("ledger_by_expiration")), [q.TimeAdd(q.Now(), Math.floor(total / 2), "seconds")], []), { size: 1000 }),
  )) as { data: unknown[] };
  const s = emu.stats.snapshot();

  console.log(`tokens + ledger documents:        ${total} + ${total}`);
  console.log(`load time:                        ${loadSeconds.toFixed(1)} s (${Math.round((2 * total) / loadSeconds)} documents/s, ${BATCH} tokens per query)`);
  console.log(`heap held by the data:            ${(after - before).toFixed(0)} MiB${gc ? "" : " (run with --expose-gc for an exact figure)"}`);
  console.log(`Range + Paginate(size 1000):      ${page.data.length} entries returned, ${s.indexEntriesScanned} index entries scanned, ${s.documentsRead} documents read`);
} finally {
  await client.close();
  await emu.close();
}
