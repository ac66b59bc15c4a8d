/**
 * `npm start` as a user runs it: the printed command works, the secret works on
 * the emulator, the printed variables and the .env.local it writes point the
 * commands at the stack (read only with --env-from), and Ctrl-C stops everything
 * with exit code 0 and removes that file.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import faunadb from "faunadb";
import { startNpmStart, TSX_IMPORT } from "./support/npm-start.ts";

const q = faunadb.query;
const ROOT = resolve(import.meta.dirname, "..");

let dir: string;
before(async () => {
  // npm start writes .env.local into the folder it runs in: a folder of the test's own.
  dir = await mkdtemp(join(tmpdir(), "fte-start-"));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A command run in `cwd`, as `npm run <name> -- …` runs it, with only PATH in its environment. */
function command(name: string, args: string[], cwd: string, stdin = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--import", TSX_IMPORT, resolve(ROOT, `scripts/${name}.ts`), ...args], { cwd, env: { PATH: process.env.PATH ?? "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

test("npm start serves /api/token, prints a working command, and points the commands at itself", async () => {
  const app = await startNpmStart(
    {
      // A developer's shell left over from another project: npm start must not pass any
      // of it to the function it deploys the default schema and a RS256 issuer for.
      FAUNA_USERS_COLLECTION: "members",
      FAUNA_USERS_INDEX: "members_by_sub",
      AUTH0_ALGORITHMS: "ES256",
      LEDGER_CLAIMS: "scope",
      AUTH0_JWKS_URI: "https://elsewhere.example/jwks.json",
      FAUNA_ENDPOINT: "https://production.example:8443",
    },
    60_000,
    { cwd: dir },
  );
  let exitCode: number | null;
  try {
    const out = app.output();
    const endpoint = app.urls.tokenEndpoint;
    const command_ = /^ +curl -s -X POST (\S+) -H "Authorization: Bearer \$\(curl -s '(\S+)'\)"$/m.exec(out);
    assert.ok(command_, `a ready-to-paste command:\n${out}`);
    assert.equal(command_[1], endpoint);
    assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+\/api\/token$/);

    // What the printed command does, step by step.
    const jwt = await (await fetch(command_[2]!)).text();
    const res = await fetch(endpoint, { method: "POST", headers: { authorization: `Bearer ${jwt}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { secret: string; expires_in: number };
    const client = new faunadb.Client({ secret: body.secret, endpoint: app.urls.emulator, checkNewVersion: false });
    try {
      assert.equal(await client.query(q.Select(["data", "auth0_id"], q.Get(q.CurrentIdentity()))), "auth0|dev-user");
      assert.equal(await client.query(q.Select(["collection", "id"], q.CurrentIdentity())), "users");
    } finally {
      await client.close();
    }
    assert.equal((await fetch(endpoint.replace("/api/token", "/other"))).status, 404);
    assert.ok(!out.includes(body.secret) && !out.includes(jwt));

    // What it says about the stack: in-memory data, the mint's expires_in, a server key.
    assert.match(out, /its data is in memory and is gone when npm start stops/);
    assert.match(out, /add &expires_in=N for a JWT, and so a secret, that lives N seconds/);
    const printed = Object.fromEntries([...out.matchAll(/^ {2}([A-Z0-9_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    assert.deepEqual(Object.keys(printed), ["FAUNA_ENDPOINT", "FAUNA_SECRET", "AUTH0_ISSUER", "AUTH0_JWKS_URI", "AUTH0_AUDIENCE"]);
    assert.equal(printed.FAUNA_ENDPOINT, app.urls.emulator);
    const key = new faunadb.Client({ secret: printed.FAUNA_SECRET!, endpoint: app.urls.emulator, checkNewVersion: false });
    try {
      // A key of the emulator's database that can read collections but not roles: a server key, not the admin's.
      assert.equal(await key.query(q.Exists(q.Collection("users"))), true);
      await assert.rejects(key.query(q.Paginate(q.Roles())), (e: Error) => e.message === "permission denied");
    } finally {
      await key.close();
    }

    // .env.local: in the folder npm start runs in, with the printed variables and the rest.
    assert.equal(app.envFile, join(dir, ".env.local"));
    assert.match(out, /These and the other settings are in \.env\.local; a command reads it only when asked:/);
    const file = await readFile(app.envFile, "utf8");
    for (const [k, v] of Object.entries(printed)) assert.ok(file.includes(`\n${k}=${v}\n`), k);
    assert.match(file, /^FAUNA_USERS_INDEX=users_by_auth0_id$/m);
    assert.match(file, /^AUTH0_DOMAIN=$/m);

    // The printed commands work from that folder with --env-from, and never read it unasked.
    assert.match(out, /^ {2}npm run revoke -- --env-from \.env\.local --sub 'auth0\|dev-user'$/m);
    const revoked = await command("revoke", ["--env-from", ".env.local", "--sub", "auth0|dev-user"], dir);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(JSON.parse(revoked.stdout), { revoked: 1, ledgerEntriesDeleted: 1, workRemaining: false });
    const unasked = await command("revoke", ["--sub", "auth0|dev-user"], dir);
    assert.equal(unasked.code, 2);
    assert.match(unasked.stderr, /^revoke: ERR_MISCONFIGURED: FAUNA_ENDPOINT is missing/);
    for (const name of ["delete-expired-tokens", "deploy-schema"]) {
      assert.match(out, new RegExp(`^ {2}npm run ${name} -- --env-from \\.env\\.local`, "m"), name);
    }
    // The JWT reaches exchange through stdin (-), so npm's banner never prints it.
    const piped = /^ {2}curl -s '(\S+)' \| npm run exchange -- --env-from \.env\.local -$/m.exec(out);
    assert.ok(piped, `exchange is shown with the JWT piped in:\n${out}`);
    assert.doesNotMatch(out, /npm run exchange -- [^\n]*\$\(/, "no JWT as an argument of npm run");
    // Another user: auth0|dev-user signed out everywhere with the revoke above.
    const pipedJwt = await (await fetch(piped[1]!.replace("auth0%7Cdev-user", "auth0%7Cpiped"))).text();
    const exchanged = await command("exchange", ["--env-from", ".env.local", "-"], dir, pipedJwt);
    assert.equal(exchanged.code, 0, exchanged.stderr);
    assert.match((JSON.parse(exchanged.stdout) as { secret: string }).secret, /^fn/);
  } finally {
    exitCode = await app.stop();
  }
  assert.equal(exitCode, 0, app.output());
  assert.equal(existsSync(app.envFile), false, "Ctrl-C removes .env.local");
});
