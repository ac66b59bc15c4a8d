/** deploy-schema: creates what is missing, changes nothing on a second run, refuses a conflicting index. */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { deploySchema, indexDifferences, schemaDefinition } from "../lib/core/schema/deploy.ts";
import {
  FIELD,
  LEDGER_BY_EXPIRATION_INDEX,
  LEDGER_BY_USER_INDEX,
  LEDGER_COLLECTION,
  LEDGER_INDEX,
  LIVE_TOKENS_INDEX,
  SIGN_OUTS_BY_USER_INDEX,
  SIGN_OUTS_COLLECTION,
  positionIn,
} from "../lib/core/ledger/layout.ts";
import { SchemaConflict } from "../lib/core/errors/index.ts";
import { runScript } from "./support/processes.ts";

const q = faunadb.query;

const run = (args: string[], env: Record<string, string>) => runScript("scripts/deploy-schema.ts", args, env);

describe("deploySchema", () => {
  let target: FaunaTarget;
  before(async () => {
    target = await startTarget();
  });
  after(() => target.close());

  test("creates everything with users, then reports everything as existing", async () => {
    const admin = target.client();
    const first = await deploySchema(admin, { withUsers: true });
    assert.deepEqual(first.created, [
      `collection ${LEDGER_COLLECTION}`,
      `collection ${SIGN_OUTS_COLLECTION}`,
      "collection users",
      `index ${LEDGER_BY_EXPIRATION_INDEX}`,
      `index ${LEDGER_BY_USER_INDEX}`,
      `index ${LIVE_TOKENS_INDEX}`,
      `index ${SIGN_OUTS_BY_USER_INDEX}`,
      "index users_by_auth0_id",
    ]);
    assert.deepEqual([first.existing, first.migrated, first.building], [[], [], []]);
    const second = await deploySchema(admin, { withUsers: true });
    assert.deepEqual([second.created, second.migrated, second.building], [[], [], []]);
    assert.equal(second.existing.length, 8);

    const idx = await admin.query<{ terms?: unknown; values?: unknown; unique?: boolean }>(q.Get(q.Index("users_by_auth0_id")));
    assert.equal(idx.unique, true);
    // The ledger keeps no history (an entry is written once and deleted once).
    assert.equal(await admin.query(q.Select("history_days", q.Get(q.Collection(LEDGER_COLLECTION)))), 0);
    const byExp = await admin.query<{ values: { field: string[] }[]; serialized: boolean }>(q.Get(q.Index(LEDGER_BY_EXPIRATION_INDEX)));
    assert.deepEqual(byExp.values.map((v) => v.field), [["data", "expires_at"], ["data", "token_ref"], ["ref"]]);
    // Read by the cleanup and revocation without a validated read (no contention with sign-ins).
    assert.equal(byExp.serialized, false);
    assert.equal(await admin.query(q.Select("serialized", q.Get(q.Index(LEDGER_BY_USER_INDEX)))), false);
    // The live-secret bound reads the tokens themselves, serialized per user.
    const live = await admin.query<{ source: faunadb.values.Ref; terms: { field: string[] }[]; serialized: boolean }>(q.Get(q.Index(LIVE_TOKENS_INDEX)));
    assert.deepEqual([live.source.id, live.source.collection, live.terms[0]!.field, live.serialized], ["tokens", undefined, ["instance"], true]);
    // The unique index really refuses a second user for one sub.
    await admin.query(q.Create(q.Collection("users"), { data: { auth0_id: "auth0|one" } }));
    await assert.rejects(admin.query(q.Create(q.Collection("users"), { data: { auth0_id: "auth0|one" } })), (e: Error) => e.message === "instance not unique");
  });

  test("an index with another definition is a SchemaConflict and nothing is created", async () => {
    const t2 = await startTarget();
    try {
      const admin = t2.client();
      await admin.query(q.CreateCollection({ name: LEDGER_COLLECTION }));
      await admin.query(q.CreateIndex({ name: LEDGER_BY_USER_INDEX, source: q.Collection(LEDGER_COLLECTION), terms: [{ field: ["data", "user"] }] }));
      await assert.rejects(deploySchema(admin, {}), (e: unknown) => {
        assert.ok(e instanceof SchemaConflict);
        assert.equal(e.code, "ERR_SCHEMA_CONFLICT");
        assert.match(e.differences.join(), /terms/);
        return true;
      });
      assert.equal(await admin.query(q.Exists(q.Index(LEDGER_BY_EXPIRATION_INDEX))), false);
    } finally {
      await t2.close();
    }
  });

  test("a term with a transform (or any key the definition has not) is a conflict: a casefolded users index finds other users", async () => {
    const t2 = await startTarget();
    try {
      const admin = t2.client();
      await admin.query(q.CreateCollection({ name: "users" }));
      // FaunaDB's `transform: "casefold"`: "auth0|Ab" and "auth0|ab" would be one user.
      await admin.query(q.CreateIndex({ name: "users_by_auth0_id", source: q.Collection("users"), terms: [{ field: ["data", "auth0_id"], transform: "casefold" }], unique: true }));
      await assert.rejects(deploySchema(admin, { withUsers: true }), (e: unknown) => {
        assert.ok(e instanceof SchemaConflict, String(e));
        assert.deepEqual(e.differences, [
          'users_by_auth0_id: terms are [{"field":["data","auth0_id"],"reverse":false,"transform":"casefold"}], expected [{"field":["data","auth0_id"],"reverse":false}]',
        ]);
        return true;
      });
    } finally {
      await t2.close();
    }
    // A binding (computed from `source.fields`) in place of a field: the same.
    const def = schemaDefinition({ withUsers: true }).indexes.at(-1)!;
    const source = new faunadb.values.Ref("users", faunadb.values.Native.COLLECTIONS);
    assert.deepEqual(indexDifferences(def, { source, terms: [{ field: ["data", "auth0_id"] }], unique: true }), []);
    assert.match(indexDifferences(def, { source, terms: [{ binding: "auth0_id" }], unique: true }).join(), /terms are \[\{"binding":"auth0_id","reverse":false\}\]/);
  });

  test("the ledger's positions come from its index definitions", () => {
    // What the cleanup and revocation read from an entry, by name; and the by-user index's
    // Range on one token (revokeToken) needs the token ref first.
    assert.deepEqual([positionIn(LEDGER_INDEX.byExpiration, FIELD.tokenRef), positionIn(LEDGER_INDEX.byExpiration, FIELD.ref)], [1, 2]);
    assert.deepEqual([positionIn(LEDGER_INDEX.byUser, FIELD.tokenRef), positionIn(LEDGER_INDEX.byUser, FIELD.ref)], [0, 1]);
    assert.throws(() => positionIn(LEDGER_INDEX.byUser, FIELD.expiresAt), /carries no data.expires_at/);
    assert.deepEqual(positionIn(LEDGER_INDEX.liveTokens, FIELD.ref), 1);
    assert.deepEqual(schemaDefinition().indexes, [LEDGER_INDEX.byExpiration, LEDGER_INDEX.byUser, LEDGER_INDEX.liveTokens, LEDGER_INDEX.signOutsByUser]);
  });

  test("definitions: users are optional and their names configurable", () => {
    assert.deepEqual(schemaDefinition().collections, [LEDGER_COLLECTION, SIGN_OUTS_COLLECTION]);
    const d = schemaDefinition({ withUsers: true, usersCollection: "members", usersIndex: "members_by_sub" });
    assert.deepEqual(d.collections, [LEDGER_COLLECTION, SIGN_OUTS_COLLECTION, "members"]);
    assert.equal(d.indexes.at(-1)!.source, "members");
    assert.equal(d.indexes.at(-1)!.name, "members_by_sub");
  });
});

describe("npm run deploy-schema", () => {
  let target: FaunaTarget;
  before(async () => {
    target = await startTarget();
  });
  after(() => target.close());

  test("exit 0 and says what it did, then that nothing changed; --json for machines", async () => {
    const env = { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret };
    const first = await run(["--with-users"], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created +index users_by_auth0_id/);
    assert.match(first.stdout, /8 object\(s\) created, 0 migrated/);
    const second = await run(["--with-users"], env);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /Schema up to date: nothing changed\./);
    const json = await run(["--with-users", "--json"], env);
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.stdout), { changed: false, created: [], migrated: [], existing: JSON.parse(json.stdout).existing, building: [] });
    assert.ok(!`${first.stdout}${first.stderr}`.includes(target.serverSecret));
  });

  test("exit 1 on a conflicting index, 2 on missing configuration, 4 on a refused key", async () => {
    const admin = target.client();
    await admin.query(q.Delete(q.Index(LEDGER_BY_EXPIRATION_INDEX)));
    await admin.query(q.CreateIndex({ name: LEDGER_BY_EXPIRATION_INDEX, source: q.Collection(LEDGER_COLLECTION), values: [{ field: ["data", "expires_at"] }] }));
    const conflict = await run([], { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret });
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /auth0_token_exchanges_by_expiration.*different definition/s);
    const missing = await run([], {});
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /FAUNA_ENDPOINT is missing[\s\S]*FAUNA_SECRET is missing/);
    // Fauna's variables and the users names are checked in one pass: all named at once.
    const allBad = await run(["--with-users"], { FAUNA_SECRET: "s", FAUNA_USERS_COLLECTION: "bad name", FAUNA_USERS_INDEX: "users-by-id" });
    assert.equal(allBad.code, 2);
    for (const name of ["FAUNA_ENDPOINT", "FAUNA_USERS_COLLECTION", "FAUNA_USERS_INDEX"]) assert.match(allBad.stderr, new RegExp(name));
    const refused = await run([], { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: "fnAnot-a-real-key-000000000000" });
    assert.equal(refused.code, 4);
    assert.match(refused.stderr, /^deploy-schema: ERR_FAUNA_SECRET_REFUSED: .*refused FAUNA_SECRET/);
    assert.ok(!refused.stderr.includes("fnAnot-a-real-key"));
    const help = await run(["--help"], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes/);
  });
});
