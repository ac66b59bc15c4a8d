/**
 * A TCP proxy between the functions and the database that breaks things on demand, for
 * `npm run bench:faults` and the hardening tests: it can drop connections while answers flow back (so an answer
 * may be lost after its transaction committed), and it can play a database that is
 * stopped (every connection closed, new ones refused) for a while.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface FaultProxy {
  url: string;
  /** Chance, per chunk of an answer, that the connection is dropped there (0 to 1). */
  setDropRate(rate: number): void;
  /** Close every connection and refuse new ones for `ms`. */
  stopFor(ms: number): void;
  readonly dropped: number;
  /** Chunks of answers passed back so far. */
  readonly chunks: number;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, random: () => number): Promise<FaultProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let dropRate = 0;
  let stoppedUntil = 0;
  let dropped = 0;
  let chunks = 0;

  const server: Server = createServer((client) => {
    if (Date.now() < stoppedUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(port), hostname);
    open.add(client);
    open.add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("data", (d) => upstream.write(d));
    upstream.on("data", (d) => {
      chunks++;
      if (dropRate > 0 && random() < dropRate) {
        dropped++;
        kill();
        return;
      }
      client.write(d);
    });
    client.on("close", kill).on("error", kill);
    upstream.on("close", kill).on("error", kill);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    setDropRate(rate) {
      dropRate = rate;
    },
    stopFor(ms) {
      stoppedUntil = Date.now() + ms;
      for (const s of open) s.destroy();
      open.clear();
    },
    get dropped() {
      return dropped;
    },
    get chunks() {
      return chunks;
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
