/**
 * Index builds on the emulator's cluster profile (issue 18.2): an index over more than 128
 * documents builds in the background, and every read of it fails "Index 'X' is not
 * active." until it is done. deploy-schema waits for it (and says so with exit 5 when its
 * bound ends first); an exchange meanwhile is a 503 with Retry-After naming the index in
 * its log line, and the first one after deploy-schema returns is a 200. The same for the
 * migration of an earlier layout, whose new index over Tokens() builds in the background.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call } from "./support/http-client.ts";
import { runScript } from "./support/processes.ts";
import { deployEarlierLayout } from "./support/earlier-layout.ts";
import { createUsers, issueTokens } from "./cleanup-fixtures.ts";
import { DEFAULT_USERS_INDEX, LIVE_TOKENS_INDEX } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

const USERS = 1000;
const subs = (prefix: string) => Array.from({ length: USERS }, (_, i) => `auth0|${prefix}-${i}`);

/** Polls until `index` exists (deploy-schema has created it), at most 20 s. */
async function created(s: Stack, index: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await s.admin.query<boolean>(q.Exists(q.Index(index))))) {
    assert.ok(Date.now() < until, `${index} was never created`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An exchange for `sub` over HTTP, its JWT and secret kept out of the logs. */
async function exchange(s: Stack, sub: string) {
  const jwt = s.issuer.mint({ sub });
  logs.forbid(jwt);
  const r = await call(s.url, bearer(jwt));
  if (r.status === 200) logs.forbid(r.body.secret as string);
  return r;
}

describe("deploy-schema --with-users on 1,000 existing users (a background build)", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({
      target: { profile: "cluster", indexBuildRate: 400 },
      // The app's users are there before deploy-schema ever ran with --with-users.
      prepare: async (admin) => {
        for (const name of ["users", "members"]) await admin.query(q.CreateCollection({ name }));
        for (const c of ["users", "members"]) {
          for (let i = 0; i < USERS; i += 250) {
            await admin.query(q.Map(subs(c).slice(i, i + 250), q.Lambda("s", q.Create(q.Collection(c), { data: { auth0_id: q.Var("s") } }))));
          }
        }
      },
      schema: {},
    });
    logs.forbid(s.target.serverSecret, s.target.adminSecret);
  });
  after(() => s.close());

  test("returns once the index answers; an exchange during the build is a 503, the next after it a 200", async (t) => {
    if (!emulatorOnly(t, s.target, "the cluster profile")) return;
    const env = { FAUNA_ENDPOINT: s.target.endpoint, FAUNA_SECRET: s.target.serverSecret };
    const deploying = runScript("scripts/deploy-schema.ts", ["--with-users"], env);
    await created(s, DEFAULT_USERS_INDEX);
    const during = await exchange(s, "auth0|users-7");
    assert.equal(during.status, 503, JSON.stringify(during.body));
    assert.equal(during.body.error, "temporarily_unavailable");
    assert.equal(during.headers.get("retry-after"), "5");
    assert.match(logs.text(), /"event":"token_exchange".*"outcome":"ERR_INDEX_NOT_ACTIVE","status":503.*"index":"users_by_auth0_id"/);
    const done = await deploying;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /created +index users_by_auth0_id/);
    assert.equal(await s.admin.query(q.Select("active", q.Get(q.Index(DEFAULT_USERS_INDEX)))), true);
    const next = await exchange(s, "auth0|users-7");
    assert.equal(next.status, 200, JSON.stringify(next.body));
  });

  test("--wait-seconds shorter than the build: exit 5 (ERR_INDEX_NOT_ACTIVE) with what it did; run again, it waits and exits 0", async (t) => {
    if (!emulatorOnly(t, s.target, "the cluster profile")) return;
    const env = { FAUNA_ENDPOINT: s.target.endpoint, FAUNA_SECRET: s.target.serverSecret, FAUNA_USERS_COLLECTION: "members", FAUNA_USERS_INDEX: "members_by_sub" };
    const short = await runScript("scripts/deploy-schema.ts", ["--with-users", "--wait-seconds", "1", "--json"], env);
    assert.equal(short.code, 5, short.stderr);
    assert.match(short.stderr, /^deploy-schema: ERR_INDEX_NOT_ACTIVE: FaunaDB is still building members_by_sub after 1 s; everything else is done/);
    const json = JSON.parse(short.stdout) as { created: string[]; building: string[]; error: { code: string; indexes: string[] } };
    assert.deepEqual([json.created, json.building, json.error.code, json.error.indexes], [["index members_by_sub"], ["members_by_sub"], "ERR_INDEX_NOT_ACTIVE", ["members_by_sub"]]);
    const again = await runScript("scripts/deploy-schema.ts", ["--with-users"], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Schema up to date: nothing changed\./);
    assert.equal(await s.admin.query(q.Select("active", q.Get(q.Index("members_by_sub")))), true);
  });
});

describe("deploy-schema --migrate of an earlier layout with 1,000 live tokens", () => {
  let s: Stack;
  before(async () => {
    s = await startStack({ target: { profile: "cluster", indexBuildRate: 400 }, prepare: deployEarlierLayout, schema: false });
    logs.forbid(s.target.serverSecret, s.target.adminSecret);
    const server = s.target.client(s.target.serverSecret);
    const users = await createUsers(server, ["auth0|m-0", "auth0|m-1"]);
    const now = await server.query<number>(q.ToMillis(q.Now()));
    await issueTokens(server, Array.from({ length: USERS }, (_, i) => ({ user: users[i % 2]!, expiresAt: now + 3_600_000 })), 250);
  });
  after(() => s.close());

  test("the index over Tokens() builds in the background: an exchange meanwhile is a 503 naming it; after --migrate returns, 200", async (t) => {
    if (!emulatorOnly(t, s.target, "the cluster profile")) return;
    const env = { FAUNA_ENDPOINT: s.target.endpoint, FAUNA_SECRET: s.target.serverSecret };
    const migrating = runScript("scripts/deploy-schema.ts", ["--with-users", "--migrate"], env);
    await created(s, LIVE_TOKENS_INDEX);
    const during = await exchange(s, "auth0|m-0");
    assert.equal(during.status, 503, JSON.stringify(during.body));
    assert.match(logs.text(), new RegExp(`"outcome":"ERR_INDEX_NOT_ACTIVE","status":503.*"index":"${LIVE_TOKENS_INDEX}"`));
    const done = await migrating;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /migrated index auth0_token_exchanges_by_user: serialized: true → false/);
    const next = await exchange(s, "auth0|m-0");
    assert.equal(next.status, 200, JSON.stringify(next.body));
    // The bound counts the tokens issued before the migration: 500 live, so the exchange evicted down to 20.
    assert.equal(await s.admin.query(q.Count(q.Match(q.Index(LIVE_TOKENS_INDEX), q.Select(["data", 0], q.Paginate(q.Match(q.Index(DEFAULT_USERS_INDEX), "auth0|m-0")))))), 20);
  });
});
