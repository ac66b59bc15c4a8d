/**
 * User indexes over `Tokens()` (spec §5.5; the server allows user indexes on its public
 * native collections and refuses only `Databases()`): entries from a token's `instance`,
 * `ttl`, `data`, `ref` and `ts`, built from the tokens already there, leaving when a token
 * is deleted (Delete, Logout) and disappearing when its ttl passes.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import { q, expectError, type Client, type Doc, type Page, type Ref } from "./support.ts";

let target: FaunaTarget;
let admin: Client;
let server: Client;

interface Token {
  ref: Ref;
  ts: number;
  secret: string;
}

const BY_INSTANCE = "live_tokens_by_instance";

async function newUser(): Promise<Ref> {
  return (await server.query<Doc>(q.Create(q.Collection("users"), {}))).ref;
}
function tokenFor(user: Ref, extra: Record<string, unknown> = {}): Promise<Token> {
  return server.query<Token>(q.Create(q.Tokens(), { instance: user, ...extra }));
}
const inSeconds = (s: number) => q.TimeAdd(q.Now(), s, "seconds");
/** The token refs of a user's entries, in index order (entries are `[ttl, ref]`). */
async function entriesOf(user: Ref): Promise<string[]> {
  const page = await server.query<Page<[unknown, Ref]>>(q.Paginate(q.Match(q.Index(BY_INSTANCE), user)));
  return page.data.map(([, ref]) => ref.id);
}

before(async () => {
  target = await startTarget();
  admin = target.client();
  server = target.client(target.serverSecret);
  await admin.query(q.CreateCollection({ name: "users" }));
});
after(() => target.close());

describe("indexes with source Tokens()", () => {
  let early: Token;
  let late: Token;
  let forever: Token;
  let alice: Ref;
  let bob: Ref;
  let bobs: Token;

  before(async () => {
    alice = await newUser();
    bob = await newUser();
    // Made before the index: it is built from the tokens already there.
    late = await tokenFor(alice, { ttl: inSeconds(3600) });
    early = await tokenFor(alice, { ttl: inSeconds(600) });
    forever = await tokenFor(alice);
    bobs = await tokenFor(bob, { ttl: inSeconds(600) });
    await admin.query(q.CreateIndex({ name: BY_INSTANCE, source: q.Tokens(), terms: [{ field: ["instance"] }], values: [{ field: ["ttl"] }, { field: ["ref"] }] }));
  });

  test("CreateIndex accepts Tokens() as its source (a server key too) and shows it", async () => {
    const idx = await admin.query<{ source: Ref; active: boolean }>(q.Get(q.Index(BY_INSTANCE)));
    assert.equal(idx.source.id, "tokens");
    assert.equal(idx.source.collection, undefined);
    assert.equal(idx.active, true);
    await server.query(q.CreateIndex({ name: "tokens_by_ts", source: { collection: q.Tokens() }, values: [{ field: ["ts"] }, { field: ["ref"] }] }));
    const page = await server.query<Page<[number, Ref]>>(q.Paginate(q.Match(q.Index("tokens_by_ts"))));
    assert.ok(page.data.some(([ts, ref]) => ref.id === bobs.ref.id && ts === bobs.ts));
  });

  test("a user's entries: by instance, sorted by ttl (a token without one last), other users' apart", async () => {
    assert.deepEqual(await entriesOf(alice), [early.ref.id, late.ref.id, forever.ref.id]);
    assert.deepEqual(await entriesOf(bob), [bobs.ref.id]);
    assert.equal(await server.query(q.Count(q.Match(q.Index(BY_INSTANCE), alice))), 3);
    const first = await server.query<Page<[{ value: string }, Ref]>>(q.Paginate(q.Match(q.Index(BY_INSTANCE), bob)));
    assert.ok(first.data[0]![0] !== null, "the entry carries the ttl");
  });

  test("a new token enters; Delete and Logout take theirs out", async () => {
    const u = await newUser();
    const a = await tokenFor(u, { ttl: inSeconds(60) });
    const b = await tokenFor(u, { ttl: inSeconds(120) });
    const c = await tokenFor(u, { ttl: inSeconds(180) });
    assert.deepEqual(await entriesOf(u), [a.ref.id, b.ref.id, c.ref.id]);
    await server.query(q.Delete(a.ref));
    assert.equal(await target.client(b.secret).query(q.Logout(false)), true);
    assert.deepEqual(await entriesOf(u), [c.ref.id]);
    await target.client(c.secret).query(q.Logout(true));
    assert.deepEqual(await entriesOf(u), []);
  });

  test("terms and values from data, ref and ts", async () => {
    const u = await newUser();
    const t = await tokenFor(u, { data: { device: "phone" } });
    await tokenFor(u, { data: { device: "laptop" } });
    await admin.query(q.CreateIndex({ name: "tokens_by_device", source: q.Tokens(), terms: [{ field: ["data", "device"] }], values: [{ field: ["ref"] }, { field: ["ts"] }] }));
    const page = await server.query<Page<[Ref, number]>>(q.Paginate(q.Match(q.Index("tokens_by_device"), "phone")));
    assert.deepEqual(page.data.map(([ref, ts]) => [ref.id, ts]), [[t.ref.id, t.ts]]);
  });

  test("an entry disappears when its token's ttl passes", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    const u = await newUser();
    const soon = await tokenFor(u, { ttl: inSeconds(5) });
    const later = await tokenFor(u, { ttl: inSeconds(3600) });
    assert.deepEqual(await entriesOf(u), [soon.ref.id, later.ref.id]);
    emu.clock.advance(10_000);
    assert.deepEqual(await entriesOf(u), [later.ref.id]);
    assert.equal(await server.query(q.Count(q.Match(q.Index(BY_INSTANCE), u))), 1);
  });

  test("Databases() is not a source (invalid reference), nor a native collection of another database", async () => {
    await expectError(admin.query(q.CreateIndex({ name: "dbs", source: q.Databases() })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: [],
      failures: [{ field: ["source"], code: "invalid reference", description: "Cannot read reference." }],
    });
    await admin.query(q.CreateDatabase({ name: "child" }));
    await expectError(admin.query(q.CreateIndex({ name: "child_tokens", source: q.Tokens(q.Database("child")) })), {
      status: 400,
      code: "validation failed",
      description: "document data is not valid.",
      position: [],
      failures: [{ field: ["source"], code: "invalid reference", description: "Cannot read reference." }],
    });
  });
});
