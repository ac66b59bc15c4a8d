/**
 * Cluster profile: credentials go through a cache. A deleted or logged-out key or token
 * keeps authenticating for `authCacheMs` (default 60 s) after its deletion commits, by the
 * emulator's clock; its ttl is never cached; a token whose identity is gone is refused at
 * once; a stream on such a token ends when the cache forgets it. The default profile
 * refuses a deleted secret at once.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEmulator } from "../index.ts";
import type { EmulatorHandle } from "../src/api.ts";
import { q, clientPool, expectError, type Client, type Doc } from "./support.ts";
import { startCluster, type ClusterTarget } from "./cluster-support.ts";
import { watch } from "./stream-support.ts";

const WINDOW = 60_000;
const UNAUTHORIZED = { status: 401, code: "unauthorized", description: "Unauthorized" };
const LOST = { code: "permission denied", description: "Authorization lost during stream evaluation." };

let cluster: ClusterTarget;
let plain: EmulatorHandle;
const plainPool = clientPool(() => plain.url);
const subs: { close(): void }[] = [];

before(async () => {
  cluster = await startCluster();
  plain = await startEmulator({ port: 0 });
  for (const admin of [cluster.client(), plainPool.client(plain.secret)]) {
    await admin.query(q.CreateCollection({ name: "people" }));
    await admin.query(q.CreateRole({ name: "person", membership: [{ resource: q.Collection("people") }], privileges: [{ resource: q.Collection("people"), actions: { read: true } }] }));
  }
});
after(async () => {
  for (const s of subs) s.close();
  await cluster.close();
  await plainPool.closeAll();
  await plain.close();
});

interface Issued {
  admin: Client;
  person: Doc;
  token: Doc & { secret: string };
  /** A client using the token's secret. */
  user: Client;
}

/** A person and a token for them (with an optional ttl), on either emulator. */
async function issue(on: "cluster" | "plain", ttl?: ReturnType<typeof q.TimeAdd>): Promise<Issued> {
  const client = (secret?: string) => (on === "cluster" ? cluster.client(secret) : plainPool.client(secret ?? plain.secret));
  const admin = client();
  const person = await admin.query<Doc>(q.Create(q.Collection("people"), { data: { name: "p" } }));
  const token = await admin.query<Doc & { secret: string }>(q.Create(q.Tokens(), { instance: person.ref, ...(ttl ? { ttl } : {}) }));
  const user = client(token.secret);
  assert.equal(await user.query(q.Add(1, 1)), 2, "the new token authenticates");
  return { admin, person, token, user };
}

describe("cluster profile: credentials through a cache", () => {
  test("a deleted token keeps authenticating for authCacheMs after the delete commits, then gets 401", async () => {
    const { admin, token, person, user } = await issue("cluster");
    await admin.query(q.Delete(token.ref));
    assert.equal(await admin.query(q.Exists(token.ref)), false, "the token document is gone");
    const me = await user.query<Doc>(q.Get(q.CurrentIdentity()));
    assert.equal(me.ref.id, person.ref.id, "the cached token still authenticates, as its identity");
    cluster.emu.clock.advance(WINDOW - 5_000);
    assert.equal(await user.query(q.Add(1, 1)), 2, "55 s after the delete: still cached");
    cluster.emu.clock.advance(5_100);
    await expectError(user.query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("Logout(true) from the token itself: the same window, then 401", async () => {
    const { user } = await issue("cluster");
    assert.equal(await user.query(q.Logout(true)), true);
    assert.equal(await user.query(q.Add(2, 2)), 4, "logged out, still cached");
    cluster.emu.clock.advance(WINDOW + 100);
    await expectError(user.query(q.Add(2, 2)), UNAUTHORIZED);
  });

  test("a deleted key, used before or not: the same window, then 401", async () => {
    const admin = cluster.client();
    const used = await admin.query<Doc & { secret: string }>(q.CreateKey({ role: "server" }));
    const unused = await admin.query<Doc & { secret: string }>(q.CreateKey({ role: "server" }));
    const server = cluster.client(used.secret);
    assert.equal(await server.query(q.Add(3, 3)), 6);
    await admin.query(q.Do(q.Delete(used.ref), q.Delete(unused.ref)));
    assert.equal(await server.query(q.Add(3, 3)), 6, "the deleted key is still cached");
    assert.equal(await cluster.client(unused.secret).query(q.Add(3, 3)), 6, "so is one never used before its deletion");
    cluster.emu.clock.advance(WINDOW + 100);
    await expectError(server.query(q.Add(3, 3)), UNAUTHORIZED);
    await expectError(cluster.client(unused.secret).query(q.Add(3, 3)), UNAUTHORIZED);
  });

  test("a token's ttl is never cached: deleted or not, it is refused the moment its ttl passes", async () => {
    const deleted = await issue("cluster", q.TimeAdd(q.Now(), 10, "seconds"));
    const kept = await issue("cluster", q.TimeAdd(q.Now(), 10, "seconds"));
    await deleted.admin.query(q.Delete(deleted.token.ref));
    assert.equal(await deleted.user.query(q.Add(1, 1)), 2, "within its ttl and the window");
    cluster.emu.clock.advance(10_500);
    await expectError(deleted.user.query(q.Add(1, 1)), UNAUTHORIZED);
    await expectError(kept.user.query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("a token whose identity document was deleted is refused at once (the identity is read at every use)", async () => {
    const { admin, person, user } = await issue("cluster");
    await admin.query(q.Delete(person.ref));
    await expectError(user.query(q.Add(1, 1)), UNAUTHORIZED);
  });

  test("a stream on a deleted token keeps delivering within the window, then ends with Authorization lost", async () => {
    const { admin, person, token, user } = await issue("cluster");
    const { queue, sub } = watch(user, person.ref);
    subs.push(sub);
    assert.equal((await queue.next("start")).type, "start");
    await admin.query(q.Delete(token.ref));
    await admin.query(q.Update(person.ref, { data: { name: "after the delete" } }));
    const v = await queue.next("the update, delivered while the token is cached");
    assert.equal(v.type, "version");
    cluster.emu.clock.advance(WINDOW + 100);
    const e = await queue.next("the error event");
    assert.equal(e.type, "error");
    assert.deepEqual(e.data, LOST);
  });

  test("the default profile refuses a deleted token and a logged-out one at once", async () => {
    const a = await issue("plain");
    await a.admin.query(q.Delete(a.token.ref));
    await expectError(a.user.query(q.Add(1, 1)), UNAUTHORIZED);
    const b = await issue("plain");
    await b.user.query(q.Logout(true));
    await expectError(b.user.query(q.Add(1, 1)), UNAUTHORIZED);
  });
});
