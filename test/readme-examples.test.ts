/**
 * The manual's example of a role of one's own ("notes that belong to their
 * author", docs/roles.md, "The user role"), run as written next to the user role,
 * and then tried with secrets from the exchange: the author can do everything
 * with their notes and nothing with anyone else's.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { markedBlock } from "./support/manual.ts";

const q = faunadb.query;
const MARKER = "<!-- This block is run by test/readme-examples.test.ts: keep it self-contained. -->";
const denied = (e: Error) => e.message === "permission denied";

let s: Stack;
let alice: faunadb.Client;
let bob: faunadb.Client;
let aliceRef: faunadb.values.Ref;
let bobRef: faunadb.values.Ref;

before(async () => {
  s = await startStack({ users: ["auth0|alice", "auth0|bob"] });
  await deploySchema(s.admin, { withUsers: true, withUserRole: true });
  const secret = async (sub: string) => (await call(s.url, bearer(s.issuer.mint({ sub })))).body.secret as string;
  alice = s.target.client(await secret("auth0|alice"));
  bob = s.target.client(await secret("auth0|bob"));
  aliceRef = await alice.query(q.CurrentIdentity());
  bobRef = await bob.query(q.CurrentIdentity());
});
after(() => s.close());

test("the notes_owner role of the manual, as written", async () => {
  const { code } = markedBlock(MARKER, "js");
  // The block's own lines that build its client from the environment are replaced by the test's admin client.
  assert.match(code, /^import faunadb from "faunadb";$/m);
  assert.match(code, /^const admin = new faunadb\.Client\(.*\);$/m);
  const body = code.replace(/^import faunadb from "faunadb";$/m, "").replace(/^const admin = .*$/m, "");
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (
    ...a: unknown[]
  ) => Promise<void>;
  await new AsyncFunction("faunadb", "admin", body)(faunadb, s.admin);

  // Alice writes, reads, lists, updates and deletes her notes.
  const note = await alice.query<{ ref: faunadb.values.Ref }>(q.Create(q.Collection("notes"), { data: { owner: q.CurrentIdentity(), text: "hi" } }));
  assert.equal(await alice.query(q.Select(["data", "text"], q.Get(note.ref))), "hi");
  const listed = await alice.query<{ data: faunadb.values.Ref[] }>(q.Paginate(q.Match(q.Index("notes_by_owner"), q.CurrentIdentity())));
  assert.deepEqual(listed.data.map((r) => r.id), [note.ref.id]);
  await alice.query(q.Update(note.ref, { data: { text: "hello" } }));
  // Her own user document is still hers to read: the roles add up.
  assert.equal(await alice.query(q.Select(["data", "auth0_id"], q.Get(q.CurrentIdentity()))), "auth0|alice");

  // Nobody else's notes, and none made in someone else's name or given away.
  await assert.rejects(bob.query(q.Get(note.ref)), denied);
  await assert.rejects(bob.query(q.Paginate(q.Match(q.Index("notes_by_owner"), aliceRef))), denied);
  await assert.rejects(bob.query(q.Update(note.ref, { data: { text: "mine now" } })), denied);
  await assert.rejects(bob.query(q.Delete(note.ref)), denied);
  await assert.rejects(bob.query(q.Create(q.Collection("notes"), { data: { owner: aliceRef, text: "forged" } })), denied);
  await assert.rejects(bob.query(q.Create(q.Collection("notes"), { data: { text: "no owner" } })), denied);
  await assert.rejects(alice.query(q.Update(note.ref, { data: { owner: bobRef } })), denied);
  assert.equal(await s.admin.query(q.Select(["data", "text"], q.Get(note.ref))), "hello");

  await alice.query(q.Delete(note.ref));
  assert.equal(await s.admin.query(q.Exists(note.ref)), false);
});
