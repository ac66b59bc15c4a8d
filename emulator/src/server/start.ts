/** startEmulator(): an engine behind the one-port transport. */
import { Engine } from "../engine.ts";
import type { EmulatorHandle, EmulatorOptions } from "../api.ts";
import { Faults } from "./faults.ts";
import { handle } from "./http.ts";
import { createTransport } from "./transport.ts";
import { StreamHub } from "./stream/hub.ts";

export async function startEmulator(opts: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const secret = opts.secret ?? "secret";
  const host = opts.host ?? "127.0.0.1";
  const engine = new Engine(secret);
  engine.limits = opts.limits ?? false;
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
    close: async () => {
      hub.shutdown();
      await transport.close();
    },
  };
}
