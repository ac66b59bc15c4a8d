/**
 * docs/getting-faunadb.md's key script (`create-keys.mjs`), run as written against the
 * emulator (or a FaunaDB of your own: FAUNA_TEST_ENDPOINT), with an admin key of the test's
 * database standing for the root key: it makes a database and two keys, and those keys are
 * what the page says they are: the server key deploys the schema and is refused the users'
 * role; the admin key creates the role.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { docFiles } from "./support/doc-files.ts";
import { exec, ROOT } from "./support/npm-pack.ts";

const PAGE = "docs/getting-faunadb.md";

let target: FaunaTarget;
let dir: string;
const clients: faunadb.Client[] = [];

before(async () => {
  target = await startTarget();
  dir = await mkdtemp(join(tmpdir(), "fte-getting-faunadb-"));
  // The script imports faunadb as a reader's project would: from its node_modules.
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
});
after(async () => {
  await Promise.all(clients.map((c) => c.close({ force: true })));
  await target?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function client(secret: string): faunadb.Client {
  const c = new faunadb.Client({ secret, endpoint: target.endpoint, checkNewVersion: false, http2SessionIdleTime: 50 });
  clients.push(c);
  return c;
}

async function runScript(): Promise<{ database: string; server: string; admin: string }> {
  const { stdout } = await exec(process.execPath, ["create-keys.mjs"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", FAUNA_ENDPOINT: target.endpoint, FAUNA_ROOT_KEY: target.adminSecret },
  });
  return JSON.parse(stdout) as { database: string; server: string; admin: string };
}

test(`${PAGE}: create-keys.mjs makes the database, a server key and an admin key that do what the page says`, async () => {
  const files = await docFiles(PAGE);
  assert.deepEqual(files.map((f) => f.path), ["create-keys.mjs"]);
  await writeFile(join(dir, "create-keys.mjs"), files[0]!.code);

  const keys = await runScript();
  assert.equal(keys.database, "app");
  const server = client(keys.server);
  const admin = client(keys.admin);

  const deployed = await deploySchema(server, { withUsers: true });
  assert.ok(deployed.created.includes("collection auth0_token_exchanges"), JSON.stringify(deployed));
  await assert.rejects(deploySchema(server, { withUsers: true, withUserRole: true }), { code: "ERR_FAUNA_SECRET_REFUSED" }, "a server key cannot create the role");
  const withRole = await deploySchema(admin, { withUsers: true, withUserRole: true });
  assert.deepEqual(withRole.created, ["role user_self"]);

  // Run again (a second pair of keys), the database is kept: the schema is still there.
  const again = await runScript();
  assert.equal((await deploySchema(client(again.server), { withUsers: true })).created.length, 0);
});
