/** startEmulator(): an engine behind the one-port transport. */
import { Engine } from "../engine.ts";
import type { EmulatorHandle, EmulatorOptions, EmulatorTransactions } from "../api.ts";
import { resolveProfile } from "../cluster/profile.ts";
import { Faults } from "./faults.ts";
import { handle } from "./http.ts";
import { createTransport } from "./transport.ts";
import { StreamHub } from "./stream/hub.ts";

/** What `transactions` is on the default profile: nothing ever waits for a commit. */
const NO_TRANSACTIONS: EmulatorTransactions = {
  pending: 0,
  whenPending: (n) =>
    n <= 0 ? Promise.resolve() : Promise.reject(new Error("no transaction ever waits for its commit on the default profile: start the emulator with profile: \"cluster\"")),
};

export async function startEmulator(opts: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const secret = opts.secret ?? "secret";
  const host = opts.host ?? "127.0.0.1";
  const profile = resolveProfile(opts);
  const engine = new Engine(secret, profile);
  const faults = new Faults();
  const hub = new StreamHub(engine);
  const transport = createTransport((req) => handle(engine, faults, hub, req));
  await new Promise<void>((resolve, reject) => {
    transport.server.once("error", reject);
    transport.server.listen(opts.port ?? 8443, host, () => resolve());
  });
  const addr = transport.server.address();
  const port = typeof addr === "object" && addr ? addr.port : (opts.port ?? 8443);
  return {
    url: `http://${host}:${port}`,
    port,
    secret,
    clock: engine.clock,
    stats: engine.stats,
    faults,
    profile,
    transactions: engine.cluster?.transactions ?? NO_TRANSACTIONS,
    close: async () => {
      engine.cluster?.dispose();
      hub.shutdown();
      await transport.close();
    },
  };
}
