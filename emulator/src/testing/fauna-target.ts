/**
 * The database every integration test talks to. By default an in-process
 * emulator; with FAUNA_TEST_ENDPOINT and FAUNA_TEST_ROOT_SECRET set, a real
 * (self-hosted) FaunaDB. Either way each suite runs in a fresh child database
 * created here and deleted on close, so the two targets are driven the same way.
 */
import { randomBytes } from "node:crypto";
import type { TestContext } from "node:test";
import faunadb from "faunadb";
import type { EmulatorHandle, EmulatorOptions } from "../api.ts";
import { startEmulator } from "../server/start.ts";

const q = faunadb.query;

export interface FaunaTarget {
  kind: "emulator" | "faunadb";
  endpoint: string;
  /** Admin key of this suite's own child database. */
  adminSecret: string;
  /** Server key of this suite's own child database. */
  serverSecret: string;
  /** The child database's name (inside the root database). */
  database: string;
  /** Present only on the emulator. */
  emulator?: EmulatorHandle;
  /** A driver client for the child database; `secret` defaults to the admin key. */
  client(secret?: string): faunadb.Client;
  close(): Promise<void>;
}

const clients: faunadb.Client[] = [];

function makeClient(endpoint: string, secret: string): faunadb.Client {
  const c = new faunadb.Client({ secret, endpoint, checkNewVersion: false, http2SessionIdleTime: 50 });
  clients.push(c);
  return c;
}

/** The emulator's profile and its options; a real FaunaDB is a cluster already, and ignores them. */
export type TargetProfile = Pick<EmulatorOptions, "profile" | "commitDelayMs" | "authCacheMs" | "indexBuildRate">;

export async function startTarget(profile: TargetProfile = {}): Promise<FaunaTarget> {
  const realEndpoint = process.env.FAUNA_TEST_ENDPOINT;
  const realRoot = process.env.FAUNA_TEST_ROOT_SECRET;
  let emulator: EmulatorHandle | undefined;
  let endpoint: string;
  let rootSecret: string;
  if (realEndpoint && realRoot) {
    endpoint = realEndpoint;
    rootSecret = realRoot;
  } else {
    emulator = await startEmulator({ ...profile, port: 0, secret: "secret" });
    endpoint = emulator.url;
    rootSecret = "secret";
  }
  const root = makeClient(endpoint, rootSecret);
  const database = `fte_test_${randomBytes(6).toString("hex")}`;
  await root.query(q.CreateDatabase({ name: database }));
  const admin = (await root.query(q.CreateKey({ database: q.Database(database), role: "admin" }))) as { secret: string };
  const server = (await root.query(q.CreateKey({ database: q.Database(database), role: "server" }))) as { secret: string };
  const own: faunadb.Client[] = [];
  return {
    kind: emulator ? "emulator" : "faunadb",
    endpoint,
    adminSecret: admin.secret,
    serverSecret: server.secret,
    database,
    emulator,
    client(secret = admin.secret) {
      const c = makeClient(endpoint, secret);
      own.push(c);
      return c;
    },
    async close() {
      try {
        await root.query(q.Delete(q.Database(database)));
      } finally {
        await Promise.all([...own, root].map((c) => c.close().catch(() => undefined)));
        if (emulator) await emulator.close();
      }
    },
  };
}

/**
 * For assertions only the emulator can make (its clock, its stats): returns the
 * emulator, or skips the test by name with the reason when the target is a real FaunaDB.
 */
export function emulatorOnly(t: TestContext, target: FaunaTarget, what: string): EmulatorHandle | undefined {
  if (target.emulator) return target.emulator;
  const reason = `needs the emulator's ${what}; a real FaunaDB offers no such control`;
  console.log(`# skipped "${t.name}": ${reason}`);
  t.skip(reason);
  return undefined;
}
