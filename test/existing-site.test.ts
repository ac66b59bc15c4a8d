/**
 * docs/existing-site.md, done to a site of the test's own: a site with its own package.json
 * (no "type": Vercel then compiles api/*.ts to CommonJS), netlify.toml (its own build command
 * and publish folder), vercel.json, a function and a route of its own and a page. The two
 * packages are installed from their `npm pack` tarballs with no network; the page's blocks
 * are written into the site from the Markdown itself, so the page cannot drift from what
 * works. Then the site is built as Netlify builds it (its build command, then Netlify's
 * bundler on its functions folder) and as `vercel build` builds it, and what they produced is
 * driven in fresh Node 22 processes with `require(esm)` off, as on AWS Lambda.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";
import { buildForNetlify, buildForVercel, serveBuilt, type NetlifyBuild, type RunningFunction } from "./platform/artifacts.ts";
import { ALLOWED_ORIGIN, exchangeContract, expiredEntries, seedExpired, triggerScheduled } from "./platform/contract.ts";
import { buildAndPackBoth, exec, typecheckFiles } from "./support/npm-pack.ts";
import { installOffline } from "./support/offline-install.ts";
import { docFiles, type DocFile } from "./support/doc-files.ts";
import { exchangeEnv } from "./support/env.ts";

const DOC = "docs/existing-site.md";
const CRON_SECRET = "cron-secret-for-the-existing-site-test";

/** The site's own files, before anything of the page is added. */
const SITE: Record<string, string> = {
  "netlify.toml": `# The site's own Netlify settings: its build and its publish folder.
[build]
  command = "npm run build"
  publish = "_site"
`,
  "build.mjs": `// The site's own build: its page into _site (written whole, so two builds at once are fine).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
mkdirSync("_site", { recursive: true });
writeFileSync(\`_site/.index.\${process.pid}\`, readFileSync("src/index.html"));
renameSync(\`_site/.index.\${process.pid}\`, "_site/index.html");
`,
  "src/index.html": "<!doctype html><title>My site</title><h1>My site</h1>\n",
  "netlify/functions/hello.mts": `export default async () => new Response("hello from my site");
export const config = { path: "/api/hello" };
`,
  "api/hello.ts": `export function GET(): Response {
  return new Response("hello from my site");
}
`,
  "vercel.json": `${JSON.stringify(
    {
      buildCommand: "npm run build",
      outputDirectory: "_site",
      functions: { "api/hello.ts": { maxDuration: 5 } },
      crons: [{ path: "/api/hello", schedule: "0 6 * * *" }],
    },
    null,
    2,
  )}\n`,
};

interface VercelJson {
  functions?: Record<string, { maxDuration?: number }>;
  crons?: { path: string; schedule: string }[];
  [key: string]: unknown;
}

/** The page's vercel.json block merged into the site's own, as the page says. */
function mergeVercelJson(own: VercelJson, block: VercelJson): VercelJson {
  return { ...own, functions: { ...own.functions, ...block.functions }, crons: [...(own.crons ?? []), ...(block.crons ?? [])] };
}

let target: FaunaTarget;
let issuer: DevIssuer;
let admin: faunadb.Client;
let work: string;
let site: string;
let added: DocFile[];
let env: Record<string, string>;
const running: RunningFunction[] = [];

async function serve(kind: "netlify" | "vercel", path: string): Promise<RunningFunction> {
  const fn = await serveBuilt(kind, path, env);
  running.push(fn);
  return fn;
}

describe(`an existing site adds the package as ${DOC} says, built by Netlify and Vercel (Node 22, require(esm) off)`, () => {
  let netlify: NetlifyBuild;
  let vercelOut: string;
  const netlifyFunction = (name: string) => {
    const fn = netlify.functions.find((f) => f.name === name);
    assert.ok(fn, `Netlify built no function named ${name}`);
    return fn.path;
  };
  const vercelModule = (route: string) => join(vercelOut, "functions", `${route}.func`, `${route}.js`);

  before(async () => {
    [target, issuer] = await Promise.all([startTarget(), startDevIssuer()]);
    admin = target.client();
    env = { ...exchangeEnv(target, issuer), CREATE_MISSING_USERS: "true", ALLOWED_ORIGINS: ALLOWED_ORIGIN, CRON_SECRET };
    work = await mkdtemp(join(tmpdir(), "fte-existing-site-"));
    site = join(work, "my-site");
    const write = async (path: string, text: string) => {
      await mkdir(dirname(join(site, path)), { recursive: true });
      await writeFile(join(site, path), text);
    };
    for (const [path, text] of Object.entries(SITE)) await write(path, text);
    const { server, client } = await buildAndPackBoth(work);
    await installOffline(site, [server, client], ["@netlify/functions"], { scripts: { build: "node build.mjs" } });

    added = await docFiles(DOC);
    for (const file of added) {
      if (file.path !== "vercel.json") {
        assert.ok(!existsSync(join(site, file.path)), `${DOC}:${file.line}: ${file.path} would replace a file of the site`);
        await write(file.path, file.code);
        continue;
      }
      const own = JSON.parse(await readFile(join(site, "vercel.json"), "utf8")) as VercelJson;
      const block = JSON.parse(file.code.slice(file.code.indexOf("\n") + 1)) as VercelJson;
      await write("vercel.json", `${JSON.stringify(mergeVercelJson(own, block), null, 2)}\n`);
    }
  });
  after(async () => {
    await Promise.all(running.map((r) => r.close()));
    await issuer?.close();
    await target?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test("the page names each file the site adds, a few lines each, and takes over nothing", async () => {
    assert.deepEqual(added.map((f) => f.path).sort(), [
      "api/cron/delete-expired-tokens.ts",
      "api/token.ts",
      "netlify/functions/fauna-delete-expired-tokens.mts",
      "netlify/functions/fauna-token.mts",
      "scripts/deploy-fauna-schema.mjs",
      "vercel.json",
    ]);
    for (const f of added) assert.ok(f.code.trimEnd().split("\n").length <= 15, `${DOC}:${f.line}: ${f.path} is more than a few lines`);
    assert.equal(await readFile(join(site, "netlify.toml"), "utf8"), SITE["netlify.toml"], "the site's netlify.toml is its own");
    const manifest = JSON.parse(await readFile(join(site, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest.type, undefined, "a site without \"type\": Vercel compiles its api/*.ts to CommonJS");
  });

  test("the added files type-check against the packages' types (.mts as ES modules, api/*.ts as CommonJS)", async () => {
    const files = ["netlify/functions/hello.mts", "api/hello.ts", ...added.filter((f) => /\.m?ts$/.test(f.path)).map((f) => f.path)];
    assert.equal(await typecheckFiles(site, files, ["ES2022"], ["node"]), "");
  });

  test("scripts/deploy-fauna-schema.mjs deploys the schema, and a second run creates nothing", async () => {
    const deploy = async () => {
      const { stdout } = await exec(process.execPath, ["scripts/deploy-fauna-schema.mjs"], {
        cwd: site,
        env: { PATH: process.env.PATH ?? "", FAUNA_ENDPOINT: target.endpoint, FAUNA_SECRET: target.serverSecret },
      });
      return JSON.parse(stdout) as { created: string[]; existing: string[]; building: string[] };
    };
    const first = await deploy();
    assert.deepEqual(first.building, [], "every index built");
    assert.ok(first.created.includes("collection auth0_token_exchanges"), JSON.stringify(first));
    assert.ok(first.created.includes("index users_by_auth0_id"), JSON.stringify(first));
    const second = await deploy();
    assert.deepEqual(second.created, []);
    assert.deepEqual(second.existing.sort(), first.created.sort());
  });

  test("both platforms build the site: its own build, publish folder and functions, and the page's", async () => {
    [netlify, vercelOut] = await Promise.all([buildForNetlify(join(work, "netlify"), undefined, site), buildForVercel(join(work, "vercel"), site)]);

    assert.equal(netlify.settings.publish, "_site");
    assert.ok(existsSync(join(site, "_site/index.html")), "the site's build command ran");
    assert.deepEqual(netlify.functions.map((f) => f.name).sort(), ["fauna-delete-expired-tokens", "fauna-token", "hello"]);
    for (const f of netlify.functions) {
      assert.equal(f.bundler, "nft", `${f.name}: Netlify's own bundler, no setting of the site's`);
      assert.equal(f.runtimeAPIVersion, 2, `${f.name} is a v2 function`);
    }
    const token = netlify.functions.find((f) => f.name === "fauna-token")!;
    assert.deepEqual(token.routes?.map((r) => r.pattern), ["/api/token"]);
    assert.ok(token.trafficRules, "the rate limit reached Netlify's manifest");
    assert.equal(netlify.functions.find((f) => f.name === "fauna-delete-expired-tokens")!.schedule, "*/15 * * * *");

    const config = JSON.parse(await readFile(join(vercelOut, "config.json"), "utf8")) as { crons: unknown[] };
    assert.deepEqual(config.crons, [
      { path: "/api/hello", schedule: "0 6 * * *" },
      { path: "/api/cron/delete-expired-tokens", schedule: "*/15 * * * *" },
    ]);
    assert.ok(existsSync(join(vercelOut, "static/index.html")), "the site's output directory is what Vercel publishes");
    const duration = async (route: string) =>
      (JSON.parse(await readFile(join(vercelOut, "functions", `${route}.func`, ".vc-config.json"), "utf8")) as { maxDuration: number }).maxDuration;
    assert.deepEqual(await Promise.all(["api/hello", "api/token", "api/cron/delete-expired-tokens"].map(duration)), [5, 10, 30]);
    assert.match(await readFile(vercelModule("api/token"), "utf8"), /require\("fauna-token-exchange\/vercel"\)/, "compiled to CommonJS");
  });

  test("the site's own function and route still answer", async () => {
    for (const fn of [await serve("netlify", netlifyFunction("hello")), await serve("vercel", vercelModule("api/hello"))]) {
      const res = await fetch(`${fn.url}/api/hello`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "hello from my site");
    }
  });

  test("/api/token: POST, OPTIONS, DELETE and a bad token's 401, on both platforms", async () => {
    const built = [await serve("netlify", netlifyFunction("fauna-token")), await serve("vercel", vercelModule("api/token"))];
    for (const [i, fn] of built.entries()) {
      await exchangeContract(`${fn.url}/api/token`, target, issuer, `auth0|existing-site-${i}`);
      assert.doesNotMatch(fn.output(), /ERR_REQUIRE_ESM|load failed/);
    }
  });

  test("the scheduled cleanup (Netlify) and the cron route (Vercel) delete expired entries", async (t) => {
    if (!target.emulator) return t.skip("needs the emulator's clock");
    await seedExpired(target, admin, "auth0|existing-site-netlify-cleanup", 4);
    const scheduled = await serve("netlify", netlifyFunction("fauna-delete-expired-tokens"));
    const ran = await triggerScheduled(`${scheduled.url}/.netlify/functions/fauna-delete-expired-tokens`);
    assert.equal(ran.status, 200);
    assert.ok(((await ran.json()) as { ledgerEntriesDeleted: number }).ledgerEntriesDeleted >= 4);
    assert.equal(await expiredEntries(admin), 0);

    await seedExpired(target, admin, "auth0|existing-site-vercel-cleanup", 3);
    const cron = await serve("vercel", vercelModule("api/cron/delete-expired-tokens"));
    const url = `${cron.url}/api/cron/delete-expired-tokens`;
    assert.equal((await fetch(url)).status, 401, "not without CRON_SECRET");
    const res = await fetch(url, { headers: { authorization: `Bearer ${CRON_SECRET}` } });
    assert.equal(res.status, 200);
    assert.ok(((await res.json()) as { ledgerEntriesDeleted: number }).ledgerEntriesDeleted >= 3);
    assert.equal(await expiredEntries(admin), 0);
  });
});
