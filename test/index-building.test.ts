/**
 * An index FaunaDB is still building (issue 18.2): every read of it fails 400 `instance
 * not found`, "Index 'X' is not active.". The exchange, sign out everywhere, the cleanup
 * and revoke say "not yet" (503 + Retry-After, ERR_INDEX_NOT_ACTIVE, exit 5) with a log
 * line naming the index: never a 500, and never revokeSecret's "no such secret" (revoked: 0).
 * Here FaunaDB's answer is injected into the emulator's default profile; a real background
 * build is test/cluster-index-build.test.ts's.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call } from "./support/http-client.ts";
import { runScript } from "./support/processes.ts";
import { revokeSecret } from "../lib/core/revoke.ts";
import { deleteExpiredTokens } from "../lib/core/cleanup.ts";
import { createCleanupHandler } from "../lib/http/cleanup-handler.ts";
import { IndexNotActive } from "../lib/core/errors/index.ts";
import { LEDGER_BY_EXPIRATION_INDEX, LEDGER_BY_USER_INDEX } from "../lib/core/ledger/layout.ts";

const q = faunadb.query;
const logs = captureLogs();
after(() => {
  logs.stop();
  logs.assertClean();
});

/** FaunaDB's answer to a read of an index it is still building, for the next `count` queries. */
function building(s: Stack, index: string, count = 1): boolean {
  const emu = s.target.emulator;
  if (!emu) return false;
  emu.faults.failQueries({ count, status: 400, code: "instance not found", description: `Index '${index}' is not active.` });
  return true;
}

const lastLine = (event: string) => logs.text().split("\n").filter((l) => l.includes(`"event":"${event}"`)).at(-1) ?? "";

describe("an index still building is 'not yet', named", () => {
  let s: Stack;
  let secret: string;
  before(async () => {
    s = await startStack({ users: ["auth0|waiting"] });
    logs.forbid(s.target.serverSecret, s.target.adminSecret);
    const r = await call(s.url, bearer(s.issuer.mint({ sub: "auth0|waiting" })));
    secret = r.body.secret as string;
    logs.forbid(secret);
  });
  after(() => s.close());

  test("POST and DELETE: 503 temporarily_unavailable with Retry-After, the index in the log line", async (t) => {
    if (!emulatorOnly(t, s.target, "fault injection")) return;
    const jwt = s.issuer.mint({ sub: "auth0|waiting" });
    logs.forbid(jwt);
    building(s, "users_by_auth0_id");
    const post = await call(s.url, bearer(jwt));
    assert.equal(post.status, 503, JSON.stringify(post.body));
    assert.equal(post.body.error, "temporarily_unavailable");
    assert.equal(post.headers.get("retry-after"), "5");
    assert.match(lastLine("token_exchange"), /"level":"error".*"outcome":"ERR_INDEX_NOT_ACTIVE","status":503.*"index":"users_by_auth0_id"/);
    building(s, LEDGER_BY_USER_INDEX);
    const del = await call(s.url, { method: "DELETE", ...bearer(jwt) });
    assert.equal(del.status, 503, JSON.stringify(del.body));
    assert.equal(del.headers.get("retry-after"), "5");
    assert.match(lastLine("token_revoke"), new RegExp(`"outcome":"ERR_INDEX_NOT_ACTIVE".*"index":"${LEDGER_BY_USER_INDEX}"`));
    // Once built, the same JWT is exchanged.
    assert.equal((await call(s.url, bearer(jwt))).status, 200);
  });

  test("revokeSecret: IndexNotActive, never revoked: 0; the revoke command exits 5 naming it", async (t) => {
    if (!emulatorOnly(t, s.target, "fault injection")) return;
    const client = s.target.client(s.target.serverSecret);
    building(s, LEDGER_BY_USER_INDEX);
    await assert.rejects(revokeSecret(client, secret), (e: unknown) => e instanceof IndexNotActive && e.index === LEDGER_BY_USER_INDEX && e.code === "ERR_INDEX_NOT_ACTIVE");
    building(s, LEDGER_BY_USER_INDEX);
    const env = { FAUNA_ENDPOINT: s.target.endpoint, FAUNA_SECRET: s.target.serverSecret };
    const cli = await runScript("scripts/revoke.ts", ["--sub", "auth0|waiting"], env);
    assert.equal(cli.code, 5, cli.stderr);
    assert.match(cli.stderr, new RegExp(`^revoke: ERR_INDEX_NOT_ACTIVE: FaunaDB is still building the index ${LEDGER_BY_USER_INDEX}: run again once it is active`));
    s.target.emulator!.faults.clear();
    assert.deepEqual(await revokeSecret(client, secret), { revoked: 1, ledgerEntriesDeleted: 1 });
  });

  test("the cleanup: its summary names the index, the scheduled function answers 503 + Retry-After, the command exits 5", async (t) => {
    if (!emulatorOnly(t, s.target, "fault injection")) return;
    const client = s.target.client(s.target.serverSecret);
    // Not retried: a build takes longer than a retry waits (the next scheduled run will do).
    building(s, LEDGER_BY_EXPIRATION_INDEX);
    const summary = await deleteExpiredTokens(client, { log: () => undefined });
    assert.equal(summary.stoppedBy, "error");
    assert.equal(summary.queries, 1);
    assert.deepEqual(summary.error, {
      name: "IndexNotActive",
      code: "ERR_INDEX_NOT_ACTIVE",
      status: 400,
      message: "The database is still building an index this service needs; try again later.",
      index: LEDGER_BY_EXPIRATION_INDEX,
    });
    building(s, LEDGER_BY_EXPIRATION_INDEX);
    const handler = createCleanupHandler(() => ({ client, options: {} }));
    const res = await handler(new Request("http://localhost/.netlify/functions/delete-expired-tokens", { method: "POST" }));
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "5");
    assert.match(lastLine("delete-expired-tokens"), new RegExp(`"level":"error".*"index":"${LEDGER_BY_EXPIRATION_INDEX}"`));
    building(s, LEDGER_BY_EXPIRATION_INDEX);
    const cli = await runScript("scripts/delete-expired-tokens.ts", [], { FAUNA_ENDPOINT: s.target.endpoint, FAUNA_SECRET: s.target.serverSecret });
    assert.equal(cli.code, 5, cli.stderr);
    assert.equal(JSON.parse(cli.stdout).error.index, LEDGER_BY_EXPIRATION_INDEX);
    s.target.emulator!.faults.clear();
    assert.equal(await client.query(q.Exists(q.Index(LEDGER_BY_EXPIRATION_INDEX))), true);
  });
});
