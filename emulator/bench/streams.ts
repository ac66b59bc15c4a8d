/**
 * npm -w fql4-emulator run bench:streams [-- --streams 1000 --rounds 20 --clients 4]
 *
 * Stream figures for issue 10, measured with the real faunadb driver against an
 * in-process emulator: open N concurrent streams (`client.stream`, HTTP/2, N/clients
 * per driver session), then count the events the clients receive per second when
 *  1. each stream watches its own document and one query updates all N documents,
 *  2. every stream watches the same document (one update fans out to N events),
 *  3. every stream watches the same set (one create adds to N streams).
 * Prints its figures; asserts nothing. They show the emulator's shape, not FaunaDB's.
 */
import faunadb from "faunadb";
import { startEmulator } from "../index.ts";
import { benchArgs } from "./args.ts";

const q = faunadb.query;
const USAGE = `Usage: npm run bench:streams -- [--streams 1000] [--rounds 20] [--clients 4]
  --streams N   concurrent streams opened (spread over the clients)
  --rounds N    writes per case
  --clients N   driver clients (HTTP/2 sessions) the streams share`;

const values = benchArgs("bench:streams", USAGE, { streams: "1000", rounds: "20", clients: "4" });
const N = Number(values.streams);
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);

const gc = (globalThis as { gc?: () => void }).gc;
const heapMiB = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const emu = await startEmulator({ port: 0 });
const writer = new faunadb.Client({ secret: "secret", endpoint: emu.url, checkNewVersion: false });
const clients = Array.from({ length: CLIENTS }, () => new faunadb.Client({ secret: "secret", endpoint: emu.url, checkNewVersion: false }));

let received = 0;
let waiting: { target: number; resolve: () => void } | undefined;
const onEvent = () => {
  received++;
  if (waiting && received >= waiting.target) {
    const w = waiting;
    waiting = undefined;
    w.resolve();
  }
};
/** Resolves once `count` more events have arrived (fails after a generous deadline, never hangs). */
function expect(count: number): Promise<void> {
  const target = received + count;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received - (target - count)} of ${count} events arrived`)), 120_000);
    waiting = {
      target,
      resolve: () => {
        clearTimeout(timer);
        resolve();
      },
    };
  });
}

type Sub = ReturnType<faunadb.Client["stream"]>;
const subs: Sub[] = [];
async function openStreams(exprFor: (i: number) => faunadb.Expr): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${started} of ${N} streams started`)), 120_000);
    for (let i = 0; i < N; i++) {
      const s = clients[i % CLIENTS]!.stream(exprFor(i));
      s.on("start", () => {
        if (++started === N) {
          clearTimeout(timer);
          resolve();
        }
      });
      s.on("version", onEvent);
      s.on("set", onEvent);
      s.on("error", (e) => console.error("stream error:", e));
      s.start();
      subs.push(s);
    }
  });
  return performance.now() - t0;
}
function closeStreams(): void {
  for (const s of subs) s.close();
  subs.length = 0;
}

interface Run {
  events: number;
  seconds: number;
  latencies: number[];
}
async function rounds(write: (round: number) => faunadb.Expr, perRound: number): Promise<Run> {
  const latencies: number[] = [];
  const start = received;
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    const arrived = expect(perRound);
    const s = performance.now();
    await writer.query(write(r));
    await arrived;
    latencies.push(performance.now() - s);
  }
  return { events: received - start, seconds: (performance.now() - t0) / 1000, latencies };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
function report(name: string, run: Run): void {
  console.log(`${name}`);
  console.log(`  events delivered        ${run.events.toLocaleString("en")} in ${run.seconds.toFixed(2)} s`);
  console.log(`  events per second       ${Math.round(run.events / run.seconds).toLocaleString("en")}`);
  console.log(`  write → last event      p50 ${pct(run.latencies, 50).toFixed(0)} ms, max ${Math.max(...run.latencies).toFixed(0)} ms (${run.events / ROUNDS} events per write)`);
}

try {
  await writer.query(q.CreateCollection({ name: "watched" }));
  await writer.query(q.CreateCollection({ name: "feed" }));
  const refs = await writer.query<faunadb.values.Ref[]>(
    q.Map(Array.from({ length: N }, (_, i) => i), q.Lambda("i", q.Select("ref", q.Create(q.Collection("watched"), { data: { i: q.Var("i"), n: 0 } })))),
  );
  console.log(`stream benchmark (node ${process.version}): ${N} concurrent streams over ${CLIENTS} driver clients (HTTP/2), ${ROUNDS} writes per case`);
  const before = heapMiB();

  const openMs = await openStreams((i) => refs[i] as unknown as faunadb.Expr);
  console.log(`opening ${N} streams               ${openMs.toFixed(0)} ms (until every start event arrived)`);
  console.log(`heap held by ${N} open streams     ${(heapMiB() - before).toFixed(1)} MiB (clients and emulator in one process)`);
  report(`1. one document per stream, one query updates all ${N}:`, await rounds((r) => q.Foreach(refs, q.Lambda("ref", q.Update(q.Var("ref"), { data: { n: r + 1 } }))), N));
  closeStreams();

  await openStreams(() => refs[0] as unknown as faunadb.Expr);
  report(`2. ${N} streams on one document, one update each write:`, await rounds((r) => q.Update(refs[0]!, { data: { hot: r } }), N));
  closeStreams();

  await openStreams(() => q.Documents(q.Collection("feed")));
  report(`3. ${N} streams on one set (Documents), one create each write:`, await rounds(() => q.Create(q.Collection("feed"), { data: {} }), N));
  closeStreams();
} finally {
  await Promise.all([writer, ...clients].map((c) => c.close({ force: true } as never).catch(() => undefined)));
  await emu.close();
}
