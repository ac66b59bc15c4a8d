/**
 * What runs in production is each platform's build of this code on that platform's
 * runtime, so this suite builds the functions the way Netlify and Vercel build them
 * (netlify.toml's build command + @netlify/zip-it-and-ship-it; `vercel build`), loads what
 * they produced in fresh Node 22 processes with `require(esm)` off (AWS Lambda's setting),
 * and drives them with real HTTP requests against the emulator and a local issuer.
 *
 * The toolchain (Node 22, the bundler, the Vercel CLI) is installed on first use from the
 * npm registry (test/platform/toolchain.ts). If that is impossible the suite fails: a
 * deployment that was never tried is not a pass.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { DEFAULT_CLEANUP_SLACK_MS, DEFAULT_CLEANUP_TIME_BUDGET_MS } from "../lib/core/cleanup.ts";
import { buildForNetlify, buildForVercel, serveBuilt, type NetlifyBuild, type RunningFunction } from "./platform/artifacts.ts";
import { ALLOWED_ORIGIN, exchangeContract, expiredEntries, seedExpired, triggerScheduled } from "./platform/contract.ts";
import { REPO_ROOT } from "./platform/toolchain.ts";
import { exchangeEnv } from "./support/env.ts";

const CRON_SECRET = "cron-secret-for-the-conformance-test";

let target: FaunaTarget;
let issuer: DevIssuer;
let admin: faunadb.Client;
let env: Record<string, string>;
let work: string;
let netlify: NetlifyBuild;
let vercelOut: string;
const running: RunningFunction[] = [];

async function serve(kind: "netlify" | "vercel", path: string, extraEnv: Record<string, string> = {}): Promise<RunningFunction> {
  const fn = await serveBuilt(kind, path, { ...env, ...extraEnv });
  running.push(fn);
  return fn;
}

function netlifyFunction(name: string): string {
  const fn = netlify.functions.find((f) => f.name === name);
  assert.ok(fn, `Netlify built no function named ${name}`);
  return fn.path;
}

const vercelModule = (route: string) => join(vercelOut, "functions", `${route}.func`, `${route}.js`);

describe("the functions as the platforms build and run them (Node 22, require(esm) off)", () => {
  before(async () => {
    target = await startTarget();
    admin = target.client();
    await deploySchema(admin, { withUsers: true });
    issuer = await startDevIssuer();
    env = {
      ...exchangeEnv(target, issuer),
      CREATE_MISSING_USERS: "true",
      ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    };
    work = await mkdtemp(join(tmpdir(), "fte-platform-"));
    [netlify, vercelOut] = await Promise.all([buildForNetlify(join(work, "netlify")), buildForVercel(join(work, "vercel"))]);
  });
  after(async () => {
    await Promise.all(running.map((r) => r.close()));
    await issuer?.close();
    await target?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("netlify.toml: a real publish folder, the prebuilt functions, Node 22", () => {
    assert.equal(netlify.settings.publish, "public");
    assert.ok(netlify.settings.publishExists, "the publish folder exists");
    assert.equal(netlify.settings.nodeVersion, "22");
    assert.deepEqual(netlify.functions.map((f) => f.name).sort(), ["delete-expired-tokens", "exchange-jwt-for-secret"]);
    for (const f of netlify.functions) {
      assert.equal(f.runtimeAPIVersion, 2, `${f.name} is a v2 function`);
      assert.equal(f.runtimeVersion, "nodejs22.x");
      assert.equal(f.inputs, 1, `${f.name} ships as one self-contained file`);
    }
    const exchange = netlify.functions.find((f) => f.name === "exchange-jwt-for-secret")!;
    assert.deepEqual(exchange.routes?.map((r) => r.pattern), ["/api/token"]);
    assert.ok(exchange.trafficRules, "the rate limit reached Netlify's manifest");
    assert.equal(netlify.functions.find((f) => f.name === "delete-expired-tokens")!.schedule, "*/15 * * * *");
  });

  test("Netlify: the exchange answers POST, DELETE, OPTIONS; 401 for a bad token; 405 otherwise", async () => {
    const fn = await serve("netlify", netlifyFunction("exchange-jwt-for-secret"));
    await exchangeContract(`${fn.url}/api/token`, target, issuer, "auth0|netlify-user");
    const get = await fetch(`${fn.url}/api/token`);
    assert.equal(get.status, 405);
    assert.doesNotMatch(fn.output(), /ERR_REQUIRE_ESM|load failed/);
  });

  test("Netlify: the scheduled function deletes expired entries and answers its summary", async (t) => {
    if (!target.emulator) return t.skip("needs the emulator's clock");
    await seedExpired(target, admin, "auth0|netlify-cleanup", 5);
    const fn = await serve("netlify", netlifyFunction("delete-expired-tokens"));
    const res = await triggerScheduled(`${fn.url}/.netlify/functions/delete-expired-tokens`);
    assert.equal(res.status, 200);
    const summary = (await res.json()) as { event: string; ledgerEntriesDeleted: number; stoppedBy: string };
    assert.equal(summary.event, "delete-expired-tokens");
    assert.equal(summary.stoppedBy, "done");
    assert.ok(summary.ledgerEntriesDeleted >= 5);
    assert.equal(await expiredEntries(admin), 0);
    assert.match(fn.output(), /"event":"delete-expired-tokens"/);
  });

  test("vercel.json: the cron, and durations that fit the cleanup's budget", async () => {
    const vercel = JSON.parse(await readFile(join(REPO_ROOT, "vercel.json"), "utf8")) as {
      crons: { path: string; schedule: string }[];
      functions: Record<string, { maxDuration: number }>;
    };
    assert.deepEqual(vercel.crons, [{ path: "/api/cron/delete-expired-tokens", schedule: "*/15 * * * *" }]);
    const cron = vercel.functions["api/cron/delete-expired-tokens.ts"]!.maxDuration * 1000;
    assert.ok(cron > DEFAULT_CLEANUP_TIME_BUDGET_MS + DEFAULT_CLEANUP_SLACK_MS, "a run (budget + slack) ends before Vercel stops it");
    const built = JSON.parse(await readFile(join(vercelOut, "config.json"), "utf8")) as { crons: unknown[] };
    assert.deepEqual(built.crons, vercel.crons);
  });

  test("Vercel: /api/token answers POST, DELETE, OPTIONS; 401 for a bad token; 405 otherwise", async () => {
    const fn = await serve("vercel", vercelModule("api/token"));
    await exchangeContract(`${fn.url}/api/token`, target, issuer, "auth0|vercel-user");
    for (const method of ["GET", "PUT", "PATCH"]) {
      const r = await fetch(`${fn.url}/api/token`, { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get("allow"), "POST, DELETE, OPTIONS");
      assert.equal(((await r.json()) as { error: string }).error, "invalid_request");
    }
    assert.doesNotMatch(fn.output(), /ERR_REQUIRE_ESM|load failed/);
  });

  test("Vercel: the cron route runs the cleanup only for Bearer $CRON_SECRET", async (t) => {
    if (!target.emulator) return t.skip("needs the emulator's clock");
    const fn = await serve("vercel", vercelModule("api/cron/delete-expired-tokens"), { CRON_SECRET });
    const url = `${fn.url}/api/cron/delete-expired-tokens`;
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { authorization: "Bearer not-the-secret" } })).status, 401);

    await seedExpired(target, admin, "auth0|vercel-cleanup", 3);
    const res = await fetch(url, { headers: { authorization: `Bearer ${CRON_SECRET}`, "user-agent": "vercel-cron/1.0" } });
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { ledgerEntriesDeleted: number }).ledgerEntriesDeleted >= 3);
    assert.equal(await expiredEntries(admin), 0);

    const unguarded = await serve("vercel", vercelModule("api/cron/delete-expired-tokens"));
    const refused = await fetch(`${unguarded.url}/api/cron/delete-expired-tokens`, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    assert.equal(refused.status, 500);
    assert.match(unguarded.output(), /CRON_SECRET is not set/);
  });

  test("every platform file is a thin adapter (15 lines at most)", async () => {
    const files = [
      ...(await readdir(join(REPO_ROOT, "netlify/functions"))).map((f) => `netlify/functions/${f}`),
      "api/token.ts",
      "api/cron/delete-expired-tokens.ts",
    ];
    for (const f of files) {
      const lines = (await readFile(join(REPO_ROOT, f), "utf8")).trimEnd().split("\n").length;
      assert.ok(lines <= 15, `${f} has ${lines} lines`);
    }
  });
});
