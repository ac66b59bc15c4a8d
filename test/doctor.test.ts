/**
 * `npm run doctor` through every row of its exit-code table, run as an operator runs it
 * (a child process against the emulator), with its `--json` shape: 0 ready, 1 not ready
 * (no schema, a conflicting index, not FaunaDB at all), 2 usage or configuration,
 * 3 unreachable, 4 a key refused or not enough. Each run leaves the database as it found
 * it and prints no secret. The cluster profile's differences: test/doctor-cluster.test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import faunadb from "faunadb";
import { emulatorOnly, startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { DEFAULT_USERS_INDEX } from "../lib/core/ledger/layout.ts";
import { EXIT } from "../scripts/command-line.ts";
import { closedPort } from "./support/processes.ts";
import { deployEarlierLayout } from "./support/earlier-layout.ts";
import { assertNoSecrets, check, contents, doctorJson, runDoctor } from "./support/doctor.ts";

const q = faunadb.query;

let target: FaunaTarget;
let env: Record<string, string>;
let secrets: string[];

before(async () => {
  target = await startTarget();
  await deploySchema(target.client(), { withUsers: true, withUserRole: true });
  env = { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret };
  secrets = [target.serverSecret, target.adminSecret];
});
after(() => target.close());

const keyOf = async (role: string) => ((await target.client().query(q.CreateKey({ role }))) as { secret: string }).secret;

describe("npm run doctor", () => {
  test("0: ready, with a server key; the JSON shape; nothing left behind, no secret printed", async () => {
    const admin = target.client();
    const before = await contents(admin);
    const r = await runDoctor(["--json"], env);
    const out = doctorJson(r, EXIT.ok);
    assert.deepEqual(out.checks.map((c) => [c.name, c.ok]), [
      ["reachable", true], ["fql_v4", true], ["key", true], ["clock", true], ["schema", true],
      ["indexes", true], ["ttl", true], ["revocation", true], ["cleanup", true],
    ]);
    assert.equal(out.role, "server");
    // A single node has no credential cache: a deleted token is refused at its first use.
    assert.equal(out.revocation_window_ms, 0);
    assert.ok(typeof out.clock_offset_ms === "number" && Math.abs(out.clock_offset_ms) < 1000, String(out.clock_offset_ms));
    assert.ok(typeof out.round_trip_ms === "number" && out.round_trip_ms >= 0);
    assert.match(check(out, "ttl")!.detail, /ttl passed 1 s before was refused/);
    assert.match(check(out, "cleanup")!.detail, /deleted the throw-away collection fte_doctor_[0-9a-f]{12}, its document and its 2 tokens/);
    assert.deepEqual(await contents(admin), before, "no collection, document or token left");
    assertNoSecrets(r, secrets);

    // On a terminal's terms: each check on a line of its own, then one sentence.
    const text = await runDoctor([], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ {2}ok {4}reachable {3}GET \/ping\?scope=write answered 200/m);
    assert.match(text.stdout, /^ {2}ok {4}revocation {2}a deleted token was refused at its first use/m);
    assert.match(text.stdout, /\nReady: FaunaDB at 127\.0\.0\.1:\d+ is ready for fauna-token-exchange\.\n$/);
    assert.deepEqual(await contents(admin), before);
  });

  test("0 with an admin key, which it says is more than the functions need; the user role compared too", async () => {
    const out = doctorJson(await runDoctor(["--json"], { ...env, FAUNA_SECRET: target.adminSecret }), EXIT.ok);
    assert.equal(out.role, "admin");
    assert.match(check(out, "key")!.detail, /an admin key: it works, but .* give them a server key/);
    assert.match(check(out, "schema")!.detail, /role user_self as deployed by --with-user-role/);
  });

  test("a throw-away collection an earlier run left behind (killed outright) is deleted once older than any run, past the first 1,000 collections", async (t) => {
    const other = await startTarget();
    try {
      const emu = emulatorOnly(t, other, "the clock");
      if (!emu) return;
      await deploySchema(other.client(), { withUsers: true });
      const admin = other.client();
      // An app with many collections: 1,000 made earlier and named before the leftover, so it is
      // past the first page whichever order FaunaDB lists them in.
      const names = Array.from({ length: 1000 }, (_, i) => `app_${String(i).padStart(4, "0")}`);
      await admin.query(q.Foreach(names, q.Lambda("n", q.CreateCollection({ name: q.Var("n") }))));
      const before = await contents(admin);
      await admin.query(q.CreateCollection({ name: "fte_doctor_0123456789ab", history_days: 0 }));
      const vars = { FAUNA_ENDPOINT: other.endpoint, FAUNA_SECRET: other.serverSecret };
      // Young: it may belong to a run going on elsewhere, so it stays.
      assert.doesNotMatch(check(doctorJson(await runDoctor(["--json"], vars), EXIT.ok), "cleanup")!.detail, /earlier runs/);
      emu.clock.advance(13 * 60_000);
      // Moving FaunaDB's clock 13 minutes on is also a clock 13 minutes off: not ready, for that alone.
      const out = doctorJson(await runDoctor(["--json"], vars), EXIT.failed, "ERR_NOT_READY");
      assert.deepEqual(out.checks.filter((c) => !c.ok).map((c) => c.name), ["clock"]);
      assert.ok(out.clock_offset_ms! >= 13 * 60_000 - 1_000, String(out.clock_offset_ms));
      assert.match(check(out, "clock")!.detail, /FaunaDB's clock is 7\d\d,?\d* ms ahead of this machine's .*more than the 5 s JWT verification tolerates/);
      assert.match(check(out, "cleanup")!.detail, /, and 1 left by earlier runs \(fte_doctor_0123456789ab\)$/);
      assert.equal(await admin.query(q.Exists(q.Collection("fte_doctor_0123456789ab"))), false);
      assert.deepEqual(await contents(admin), before);
    } finally {
      await other.close();
    }
  });

  test("1: not ready: no schema, then an index defined otherwise, each naming deploy-schema; not FaunaDB at all", async () => {
    const empty = await startTarget();
    try {
      const before = await contents(empty.client());
      const bare = doctorJson(await runDoctor(["--json"], { FAUNA_ENDPOINT: empty.endpoint, FAUNA_SECRET: empty.serverSecret }), EXIT.failed, "ERR_NOT_READY");
      const schema = check(bare, "schema")!;
      assert.equal(schema.ok, false);
      assert.match(schema.detail, /^missing: collection auth0_token_exchanges, collection auth0_token_exchanges_sign_outs, collection users, index auth0_token_exchanges_by_expiration, .*index users_by_auth0_id \(npm run deploy-schema -- --with-users creates them\)/);
      // The rest is still checked: a database without the schema can still take tokens.
      assert.deepEqual(bare.checks.filter((c) => !c.ok).map((c) => c.name), ["schema"]);
      assert.deepEqual(await contents(empty.client()), before);

      // The layout an earlier version deployed: the fix is --migrate.
      await deployEarlierLayout(empty.client());
      const earlier = doctorJson(await runDoctor(["--json"], { FAUNA_ENDPOINT: empty.endpoint, FAUNA_SECRET: empty.serverSecret }), EXIT.failed, "ERR_NOT_READY");
      assert.match(
        check(earlier, "schema")!.detail,
        /^an earlier version's layout: index auth0_token_exchanges_by_expiration: serialized: true → false; index auth0_token_exchanges_by_user: serialized: true → false \(npm run deploy-schema -- --with-users --migrate changes them in place, the ledger intact\); missing: .*index auth0_token_exchanges_live_tokens_by_user.* \(npm run deploy-schema -- --with-users --migrate creates them\)/,
      );

      await deploySchema(empty.client(), { withUsers: true, migrate: true });
      await empty.client().query(q.Do(q.Delete(q.Index(DEFAULT_USERS_INDEX))));
      await empty.client().query(q.CreateIndex({ name: DEFAULT_USERS_INDEX, source: q.Collection("users"), terms: [{ field: ["data", "auth0_id"] }] }));
      const r = await runDoctor(["--json"], { FAUNA_ENDPOINT: empty.endpoint, FAUNA_SECRET: empty.serverSecret });
      const conflicting = doctorJson(r, EXIT.failed, "ERR_NOT_READY");
      assert.match(check(conflicting, "schema")!.detail, /users_by_auth0_id: unique is false, expected true .*deploy-schema refuses to change them/);
      assert.match(r.stderr, /^doctor: ERR_NOT_READY: FaunaDB at 127\.0\.0\.1:\d+ is not ready: schema \(see each check's detail\)$/m);
    } finally {
      await empty.close();
    }

    // A web server that is not FaunaDB: /ping is not FaunaDB's, POST / is no FQL v4 answer.
    const web: Server = createServer((req, res) => void res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/html" }).end("<html>hello</html>"));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", () => r()));
    try {
      const url = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
      const out = doctorJson(await runDoctor(["--json"], { FAUNA_ENDPOINT: url, FAUNA_SECRET: "fnAnything" }), EXIT.failed, "ERR_NOT_READY");
      assert.deepEqual(out.checks.map((c) => [c.name, c.ok]), [["reachable", false], ["fql_v4", false]]);
      assert.match(check(out, "fql_v4")!.detail, /POST \/ answered 200 "<html>hello<\/html>", not an FQL v4 answer: point FAUNA_ENDPOINT at FaunaDB's API port/);
    } finally {
      await new Promise((r) => web.close(r));
    }
  });

  test("2: usage or configuration, still one JSON object with ok and checks", async () => {
    for (const [args, vars, code, message] of [
      [["--json"], { FAUNA_ENDPOINT: target.endpoint }, "ERR_MISCONFIGURED", /FAUNA_SECRET is missing/],
      [["--json", "--revocation-timeout", "0"], env, "ERR_USAGE", /--revocation-timeout must be a whole number of seconds from 1 to 600, got "0"/],
      [["--json", "--revocation-timeout", "601"], env, "ERR_USAGE", /got "601"/],
      [["--json", "--nope"], env, "ERR_USAGE", /unknown option --nope/],
      [["--json"], { ...env, FAUNA_USERS_INDEX: "users by id" }, "ERR_MISCONFIGURED", /FAUNA_USERS_INDEX/],
    ] as const) {
      const out = doctorJson(await runDoctor([...args], vars), EXIT.usage, code);
      assert.deepEqual(out.checks, []);
      assert.match(out.error!.message, message);
    }
  });

  test("3: FaunaDB cannot be reached", async () => {
    const r = await runDoctor(["--json"], { ...env, FAUNA_ENDPOINT: `http://127.0.0.1:${await closedPort()}` });
    const out = doctorJson(r, EXIT.unreachable, "ERR_DATABASE_UNAVAILABLE");
    assert.deepEqual(out.checks.map((c) => [c.name, c.ok]), [["reachable", false]]);
    assert.match(check(out, "reachable")!.detail, /could not be reached \(ECONNREFUSED\): check FAUNA_ENDPOINT, and that FaunaDB is running/);
  });

  test("4: a key FaunaDB refuses, and keys that may not do what the product needs (nothing written)", async () => {
    const admin = target.client();
    const before = await contents(admin);
    const refused = doctorJson(await runDoctor(["--json"], { ...env, FAUNA_SECRET: "fnAEnotakeyofthisdatabase000" }), EXIT.refused, "ERR_FAUNA_SECRET_REFUSED");
    assert.deepEqual(refused.checks.map((c) => [c.name, c.ok]), [["reachable", true], ["fql_v4", true], ["key", false]]);
    assert.match(check(refused, "key")!.detail, /refused FAUNA_SECRET \(401 unauthorized\)/);

    const readonly = await keyOf("server-readonly");
    const r = await runDoctor(["--json"], { ...env, FAUNA_SECRET: readonly });
    const ro = doctorJson(r, EXIT.refused, "ERR_FAUNA_SECRET_REFUSED");
    assert.equal(ro.role, "server-readonly");
    assert.deepEqual(ro.checks.map((c) => [c.name, c.ok]), [["reachable", true], ["fql_v4", true], ["key", false], ["clock", true], ["schema", true], ["indexes", true], ["ttl", false]]);
    assert.match(check(ro, "key")!.detail, /server-readonly key: it can read but not write/);
    assertNoSecrets(r, [...secrets, readonly]);

    const client = doctorJson(await runDoctor(["--json"], { ...env, FAUNA_SECRET: await keyOf("client") }), EXIT.refused, "ERR_FAUNA_SECRET_REFUSED");
    assert.equal(client.role, "client or custom role");
    assert.match(check(client, "schema")!.detail, /not checked: this key may not read the schema/);
    assert.deepEqual(await contents(admin), before);
    // The write probe's collection never committed.
    assert.equal(await admin.query(q.Count(q.Filter(q.Select("data", q.Paginate(q.Collections())), q.Lambda("c", q.StartsWith(q.Select("id", q.Var("c")), "fte_doctor"))))), 0);
  });
});
