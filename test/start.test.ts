/**
 * `npm start` as a user runs it: the printed command works, the secret works on
 * the emulator, and Ctrl-C stops everything with exit code 0.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import faunadb from "faunadb";

const q = faunadb.query;

test("npm start serves /api/token and prints a working command", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: {
      ...process.env,
      PORT: "0",
      EMULATOR_PORT: "0",
      ISSUER_PORT: "0",
      LOG_LEVEL: "warn",
      // A developer's shell left over from another project: npm start must not pass any
      // of it to the function it deploys the default schema and a RS256 issuer for.
      FAUNA_USERS_COLLECTION: "members",
      FAUNA_USERS_INDEX: "members_by_sub",
      AUTH0_ALGORITHMS: "ES256",
      LEDGER_CLAIMS: "scope",
      AUTH0_JWKS_URI: "https://elsewhere.example/jwks.json",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 30_000;
    while (!out.includes("Ready.")) {
      assert.ok(Date.now() < deadline, `not ready in time:\n${out}\n${err}`);
      assert.equal(child.exitCode, null, `exited early:\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const endpoint = /Token endpoint +(\S+)/.exec(out)![1]!;
    const emulatorUrl = /Fauna emulator +(\S+)/.exec(out)![1]!;
    const command = /^ +curl -s -X POST (\S+) -H "Authorization: Bearer \$\(curl -s '(\S+)'\)"$/m.exec(out);
    assert.ok(command, `a ready-to-paste command:\n${out}`);
    assert.equal(command[1], endpoint);
    assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+\/api\/token$/);

    // What the printed command does, step by step.
    const jwt = await (await fetch(command[2]!)).text();
    const res = await fetch(endpoint, { method: "POST", headers: { authorization: `Bearer ${jwt}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { secret: string; expires_in: number };
    const client = new faunadb.Client({ secret: body.secret, endpoint: emulatorUrl, checkNewVersion: false });
    try {
      assert.equal(await client.query(q.Select(["data", "auth0_id"], q.Get(q.CurrentIdentity()))), "auth0|dev-user");
      assert.equal(await client.query(q.Select(["collection", "id"], q.CurrentIdentity())), "users");
    } finally {
      await client.close();
    }
    assert.equal((await fetch(endpoint.replace("/api/token", "/other"))).status, 404);
    assert.ok(!out.includes(body.secret) && !out.includes(jwt));
  } finally {
    child.kill("SIGINT");
  }
  assert.equal(await exited, 0, err);
});
