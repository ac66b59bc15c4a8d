/**
 * deploy-schema on a deployment of the earlier layout (the expiry and by-user indexes
 * serialized, no live-tokens index, no sign-outs): detected and refused with exactly what
 * --migrate changes, nothing changed; --migrate changes it with the ledger intact (every
 * entry kept, every secret still working, the new version's revocation ending them);
 * a second run changes nothing.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import {
  DEFAULT_USERS_COLLECTION,
  DEFAULT_USERS_INDEX,
  LEDGER_BY_EXPIRATION_INDEX,
  LEDGER_BY_USER_INDEX,
  LEDGER_COLLECTION,
  LIVE_TOKENS_INDEX,
  SIGN_OUTS_BY_USER_INDEX,
  SIGN_OUTS_COLLECTION,
} from "../lib/core/ledger/layout.ts";
import { SchemaMigrationNeeded } from "../lib/core/errors/index.ts";
import { revokeUserTokens } from "../lib/core/revoke.ts";
import { createUsers, issueTokens, ledgerProblems, readLedgerState, secretWorks, type Issued } from "./cleanup-fixtures.ts";
import { runScript } from "./support/processes.ts";
import { deployEarlierLayout } from "./support/earlier-layout.ts";

const q = faunadb.query;
const run = (args: string[], env: Record<string, string>) => runScript("scripts/deploy-schema.ts", args, env);

const serialized = (admin: faunadb.Client, index: string) => admin.query<boolean>(q.Select("serialized", q.Get(q.Index(index))));

describe("deploy-schema on a deployment of the earlier layout", () => {
  let target: FaunaTarget;
  let admin: faunadb.Client;
  let env: Record<string, string>;
  let issued: Issued[];

  before(async () => {
    target = await startTarget();
    admin = target.client();
    env = { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret };
    await deployEarlierLayout(admin);
    const server = target.client(target.serverSecret);
    const [alice, bob] = (await createUsers(server, ["auth0|alice", "auth0|bob"])) as [faunadb.values.Ref, faunadb.values.Ref];
    const now = await server.query<number>(q.ToMillis(q.Now()));
    // 150 tokens: more than FaunaDB builds in the creating transaction, so deploy-schema says
    // the new index over Tokens() builds in the background.
    issued = await issueTokens(server, Array.from({ length: 150 }, (_, i) => ({ user: i % 3 === 0 ? bob : alice, expiresAt: now + 3_600_000 })));
  });
  after(() => target.close());

  test("without --migrate: refused with exactly what --migrate changes, and nothing changed", async () => {
    await assert.rejects(deploySchema(admin, { withUsers: true }), (e: unknown) => {
      assert.ok(e instanceof SchemaMigrationNeeded);
      assert.deepEqual(e.changes, [
        `create collection ${SIGN_OUTS_COLLECTION}`,
        `create index ${LIVE_TOKENS_INDEX} (over Tokens(): more than 128 documents, so FaunaDB builds it in the background; deploy-schema waits for it)`,
        `create index ${SIGN_OUTS_BY_USER_INDEX}`,
        `update index ${LEDGER_BY_EXPIRATION_INDEX}: serialized: true → false (in place: no entry is rewritten)`,
        `update index ${LEDGER_BY_USER_INDEX}: serialized: true → false (in place: no entry is rewritten)`,
      ]);
      return true;
    });
    const cli = await run(["--with-users"], env);
    assert.equal(cli.code, 1, cli.stderr);
    assert.match(cli.stderr, /^deploy-schema: ERR_SCHEMA_MIGRATION_NEEDED: this database holds the ledger of an earlier version; nothing was changed\. Run deploy-schema again with --migrate to:\n {2}create collection auth0_token_exchanges_sign_outs\n/);
    assert.match(cli.stderr, /update index auth0_token_exchanges_by_user: serialized: true → false/);
    const json = await run(["--with-users", "--json"], env);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).error.changes.length, 5);
    assert.equal(await serialized(admin, LEDGER_BY_EXPIRATION_INDEX), true);
    assert.equal(await serialized(admin, LEDGER_BY_USER_INDEX), true);
    assert.equal(await admin.query(q.Exists(q.Collection(SIGN_OUTS_COLLECTION))), false);
    assert.equal(await admin.query(q.Exists(q.Index(LIVE_TOKENS_INDEX))), false);
  });

  test("--migrate changes it in place, the ledger intact; a second run changes nothing", async () => {
    const before = await readLedgerState(admin);
    const migrated = await run(["--with-users", "--migrate"], env);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.equal(
      migrated.stdout.trim(),
      [
        `created  collection ${SIGN_OUTS_COLLECTION}`,
        `created  index ${LIVE_TOKENS_INDEX}`,
        `created  index ${SIGN_OUTS_BY_USER_INDEX}`,
        `migrated index ${LEDGER_BY_EXPIRATION_INDEX}: serialized: true → false`,
        `migrated index ${LEDGER_BY_USER_INDEX}: serialized: true → false`,
        `exists   collection ${LEDGER_COLLECTION}`,
        `exists   collection ${DEFAULT_USERS_COLLECTION}`,
        `exists   index ${DEFAULT_USERS_INDEX}`,
        "Schema deployed: 3 object(s) created, 2 migrated.",
      ].join("\n"),
    );
    assert.equal(await serialized(admin, LEDGER_BY_EXPIRATION_INDEX), false);
    assert.equal(await serialized(admin, LEDGER_BY_USER_INDEX), false);

    // The ledger intact: the same entries, every secret still working, nothing inconsistent.
    const after = await readLedgerState(admin);
    assert.deepEqual(after.entries, before.entries);
    assert.deepEqual(ledgerProblems(after), []);
    for (const i of issued.slice(0, 10)) assert.equal(await secretWorks(target.endpoint, i.secret), true);
    // The new index holds the tokens that were already there.
    const alice = await admin.query(q.Select(["data", 0], q.Paginate(q.Match(q.Index(DEFAULT_USERS_INDEX), "auth0|alice"))));
    assert.equal(await admin.query(q.Count(q.Match(q.Index(LIVE_TOKENS_INDEX), alice))), 100);

    const again = await run(["--with-users", "--migrate", "--json"], env);
    assert.equal(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout) as { changed: boolean; created: string[]; migrated: string[]; existing: string[]; building: string[] };
    assert.deepEqual([report.changed, report.created, report.migrated, report.building, report.existing.length], [false, [], [], [], 8]);
    const plain = await run(["--with-users"], env);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /Schema up to date: nothing changed\./);
  });

  test("the new version's sign out everywhere ends the secrets issued before the migration", async () => {
    const server = target.client(target.serverSecret);
    const result = await revokeUserTokens(server, "auth0|bob", { usersIndex: DEFAULT_USERS_INDEX });
    assert.deepEqual(result, { revoked: 50, ledgerEntriesDeleted: 50, userFound: true, userCreated: false, workRemaining: false });
    const state = await readLedgerState(admin);
    assert.equal(state.entries.length, 100);
    assert.deepEqual(ledgerProblems(state), []);
  });
});
