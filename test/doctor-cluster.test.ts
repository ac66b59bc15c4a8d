/**
 * `npm run doctor` where a cluster differs from a single node, on the emulator's cluster
 * profile: the revocation window is the credential cache's (measured, in real time, and
 * driven by the emulator's clock), a window longer than --revocation-timeout is "not
 * ready", an index still building in the background is "not ready", and an interrupted
 * run still deletes its throw-away identity.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { emulatorOnly, startTarget, type FaunaTarget, type TargetProfile } from "fql4-emulator/testing";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { DEFAULT_USERS_INDEX, usersIndexDefinition } from "../lib/core/ledger/layout.ts";
import { EXIT } from "../scripts/command-line.ts";
import { check, contents, doctorJson, runDoctor, startDoctor } from "./support/doctor.ts";

const q = faunadb.query;

async function withCluster(profile: Omit<TargetProfile, "profile">, body: (t: FaunaTarget, env: Record<string, string>) => Promise<void>): Promise<void> {
  const target = await startTarget({ profile: "cluster", ...profile });
  try {
    await deploySchema(target.client(), { withUsers: true });
    await body(target, { FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret });
  } finally {
    await target.close();
  }
}

describe("npm run doctor on a cluster", () => {
  test("the revocation window is the credential cache's: 1.5 s measured in real time", async (t) => {
    await withCluster({ authCacheMs: 1_500 }, async (target, env) => {
      if (!emulatorOnly(t, target, "the credential cache's setting")) return;
      const before = await contents(target.client());
      const out = doctorJson(await runDoctor(["--json"], env), EXIT.ok);
      const w = out.revocation_window_ms!;
      assert.ok(w >= 1_500 && w < 2_500, `revocation_window_ms ${w}`);
      assert.match(check(out, "revocation")!.detail, /a deleted token kept working for 1,\d{3} ms after its deletion \(measured every 100 ms\): FaunaDB's credential cache/);
      assert.deepEqual(await contents(target.client()), before);
    });
  });

  test("a 60 s cache, driven by the emulator's clock: the doctor waits until the cache lets go", async (t) => {
    await withCluster({ authCacheMs: 60_000 }, async (target, env) => {
      const emu = emulatorOnly(t, target, "the emulator's clock");
      if (!emu) return;
      const doctor = startDoctor([], env);
      // The ttl check is printed just before the token is deleted: from then on, a minute
      // passes (by the emulator's clock) every quarter of a second until the window is over.
      await doctor.printed(/^ {2}ok {4}ttl /m);
      let ticking = true;
      void doctor.printed(/ revocation /).then(() => (ticking = false), () => (ticking = false));
      while (ticking && doctor.child.exitCode === null) {
        emu.clock.advance(60_000);
        await new Promise((r) => setTimeout(r, 250));
      }
      const r = await doctor.done;
      assert.equal(r.code, EXIT.ok, r.stdout + r.stderr);
      const m = /a deleted token kept working for ([\d,]+) ms after its deletion/.exec(r.stdout);
      assert.ok(m, r.stdout);
      const w = Number(m[1]!.replace(/,/g, ""));
      assert.ok(w > 0 && w < 5_000, `a minute by the emulator's clock, ${w} ms in real time`);
    });
  });

  test("1: a window longer than --revocation-timeout is not ready; nothing left behind", async (t) => {
    await withCluster({ authCacheMs: 60_000 }, async (target, env) => {
      if (!emulatorOnly(t, target, "the credential cache's setting")) return;
      const before = await contents(target.client());
      const out = doctorJson(await runDoctor(["--json", "--revocation-timeout", "1"], env), EXIT.failed, "ERR_NOT_READY");
      assert.deepEqual(out.checks.filter((c) => !c.ok).map((c) => c.name), ["revocation"]);
      assert.equal(out.revocation_window_ms, null);
      assert.match(check(out, "revocation")!.detail, /a deleted token still worked 1,000 ms after its deletion \(--revocation-timeout\): FaunaDB's credential cache may keep one working for up to about 60 s; wait longer/);
      assert.equal(check(out, "cleanup")!.ok, true);
      assert.deepEqual(await contents(target.client()), before);
    });
  });

  test("1: an index still being built in the background is not ready (on one node it never is)", async (t) => {
    // One document a second: the build of 200 users outlasts the test.
    await withCluster({ indexBuildRate: 1, authCacheMs: 0 }, async (target, env) => {
      if (!emulatorOnly(t, target, "background builds")) return;
      const admin = target.client();
      await admin.query(q.Delete(q.Index(DEFAULT_USERS_INDEX)));
      await admin.query(q.Foreach(Array.from({ length: 200 }, (_, i) => `auth0|u${i}`), q.Lambda("s", q.Create(q.Collection("users"), { data: { auth0_id: q.Var("s") } }))));
      const def = usersIndexDefinition();
      await admin.query(q.CreateIndex({ name: def.name, source: q.Collection(def.source), terms: def.terms, unique: def.unique }));
      const out = doctorJson(await runDoctor(["--json"], env), EXIT.failed, "ERR_NOT_READY");
      assert.deepEqual(out.checks.filter((c) => !c.ok).map((c) => c.name), ["indexes"]);
      assert.match(check(out, "indexes")!.detail, /FaunaDB is still building users_by_auth0_id: .*npm run deploy-schema waits for it/);
    });
  });

  test("interrupted (SIGINT) while it waits for the window: it deletes its throw-away identity, and says so", async (t) => {
    await withCluster({ authCacheMs: 60_000 }, async (target, env) => {
      if (!emulatorOnly(t, target, "the credential cache's setting")) return;
      const before = await contents(target.client());
      const doctor = startDoctor([], env);
      await doctor.printed(/^ {2}ok {4}ttl /m);
      await new Promise((r) => setTimeout(r, 300));
      doctor.child.kill("SIGINT");
      const r = await doctor.done;
      assert.equal(r.code, EXIT.failed, r.stdout + r.stderr);
      assert.match(r.stderr, /^doctor: ERR_INTERRUPTED: interrupted before every check was decided; the throw-away identity was deleted/m);
      assert.match(r.stdout, /^ {2}FAIL {2}revocation {2}interrupted \d[\d,]* ms after the deletion, the token still working$/m);
      assert.match(r.stdout, /^ {2}ok {4}cleanup {5}deleted the throw-away collection fte_doctor_/m);
      assert.deepEqual(await contents(target.client()), before);
    });
  });
});
