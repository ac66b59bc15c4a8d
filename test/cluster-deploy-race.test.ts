/**
 * deploy-schema run several times at once (the review of main, 6): two CI jobs, or a deploy
 * hook per site, against one FaunaDB. Whichever creates an object first, the others find it
 * ("instance already exists"), read the state again and go on, as often as it takes, bounded
 * by the number of objects in the plan; all of them succeed with the same schema. A race that
 * never converges is a typed error. On the emulator's cluster profile (transactions overlap and
 * are validated at commit), fresh and `--migrate`, on several databases.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly, startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { deploySchema, schemaDefinition, type SchemaOptions } from "../lib/core/schema/deploy.ts";
import { SchemaDeployNotConverging } from "../lib/core/errors/index.ts";

const q = faunadb.query;
const DEPLOYS = 4;
const DATABASES = 8;
const OPTIONS: SchemaOptions = { withUsers: true, withUserRole: true, waitMs: 0 };

/** A database of its own inside the suite's, and an admin client of it. */
async function database(target: FaunaTarget, name: string): Promise<faunadb.Client> {
  const parent = target.client();
  await parent.query(q.CreateDatabase({ name }));
  const { secret } = await parent.query<{ secret: string }>(q.CreateKey({ database: q.Database(name), role: "admin" }));
  return target.client(secret);
}

describe("deploy-schema, four at once on a cluster", () => {
  let target: FaunaTarget;
  before(async () => {
    target = await startTarget({ profile: "cluster" });
  });
  after(() => target.close());

  test(`${DEPLOYS} concurrent deploys on each of ${DATABASES} fresh databases: all succeed, each object created once`, async (t) => {
    if (!emulatorOnly(t, target, "the cluster profile")) return;
    const objects = (() => {
      const d = schemaDefinition(OPTIONS);
      return d.collections.length + d.indexes.length + d.roles.length;
    })();
    for (let n = 0; n < DATABASES; n++) {
      const client = await database(target, `race_${n}`);
      const reports = await Promise.all(Array.from({ length: DEPLOYS }, () => deploySchema(client, OPTIONS)));
      const created = reports.flatMap((r) => r.created);
      assert.equal(created.length, objects, `database ${n}: ${JSON.stringify(reports.map((r) => r.created))}`);
      assert.equal(new Set(created).size, objects, "no object reported created twice");
      for (const r of reports) assert.equal(r.created.length + r.existing.length, objects);
      assert.deepEqual((await deploySchema(client, OPTIONS)).created, []);
    }
  });

  test(`${DEPLOYS} concurrent --migrate deploys on each of ${DATABASES} databases half deployed: all succeed`, async (t) => {
    if (!emulatorOnly(t, target, "the cluster profile")) return;
    for (let n = 0; n < DATABASES; n++) {
      const client = await database(target, `migrate_${n}`);
      await deploySchema(client, { waitMs: 0 }); // the ledger alone, as an earlier deploy left it
      const reports = await Promise.all(Array.from({ length: DEPLOYS }, () => deploySchema(client, { ...OPTIONS, migrate: true })));
      assert.equal(new Set(reports.flatMap((r) => r.created)).size, reports.flatMap((r) => r.created).length);
      assert.deepEqual((await deploySchema(client, OPTIONS)).created, []);
    }
  });

  test("a race that keeps being lost: re-read and go on up to once per object, then ERR_SCHEMA_DEPLOY_NOT_CONVERGING", async (t) => {
    const emulator = emulatorOnly(t, target, "fault injection");
    if (!emulator) return;
    const client = await database(target, "lost");
    // Every create refused as if another deploy had just made the object; the reads before it
    // (the admin-key check, then each attempt's read of the state) let through.
    let refused = 0;
    const alreadyExists = { count: 1, status: 400, code: "instance already exists", description: "already exists" };
    const refuseNextCreate = (skip: number) => emulator.faults.failQueries({ ...alreadyExists, skip, beforeRefusing: () => void (refused++, refuseNextCreate(1)) });
    refuseNextCreate(2);
    try {
      await assert.rejects(deploySchema(client, OPTIONS), (e: unknown) => {
        assert.ok(e instanceof SchemaDeployNotConverging, String(e));
        assert.equal(e.code, "ERR_SCHEMA_DEPLOY_NOT_CONVERGING");
        assert.match(e.message, /another deploy-schema kept creating/);
        return true;
      });
    } finally {
      emulator.faults.clear();
    }
    const { collections, indexes, roles } = schemaDefinition(OPTIONS);
    assert.equal(refused, collections.length + indexes.length + roles.length + 1, "one attempt per object in the plan, and the first");
    // Two lost races in a row, then none: it converges (main re-read only once).
    let left = 2;
    const refuseTwice = (skip: number) => emulator.faults.failQueries({ ...alreadyExists, skip, beforeRefusing: () => void (--left > 0 && refuseTwice(1)) });
    refuseTwice(2);
    const report = await deploySchema(client, OPTIONS);
    emulator.faults.clear();
    assert.equal(report.created.length, collections.length + indexes.length + roles.length);
  });
});
