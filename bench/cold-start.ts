/**
 * npm run bench:cold [-- --runs N]
 *
 * Cold starts of the functions AS THE PLATFORMS BUILD THEM (test/platform/artifacts.ts:
 * netlify.toml's build + Netlify's bundler; `vercel build`), each in a fresh Node 22
 * process with require(esm) off, N runs each (default 10), min and median:
 *  - import: loading the built function module (what a cold start pays before the
 *    handler can run; Netlify's own bootstrap, the same for every function, is not in it);
 *  - first 200: from the process's start to the first 200 answer to POST /api/token,
 *    with the JWKS served on loopback by the dev issuer and FaunaDB by the emulator.
 * For comparison it also builds the sources with Netlify's bundler directly (nft, every
 * dependency as its own files: what Netlify would ship without the prebundle).
 * Loopback figures: no network latency is in them; they show what the code costs.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { startTarget } from "fql4-emulator/testing";
import { startDevIssuer } from "../lib/dev/issuer.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { buildForNetlify, buildForVercel, LAMBDA_NODE_FLAGS } from "../test/platform/artifacts.ts";
import { toolchain } from "../test/platform/toolchain.ts";
import { exchangeEnv } from "../test/support/env.ts";

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL("./cold-child.mjs", import.meta.url));

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" }, help: { type: "boolean", short: "h" } } });
if (values.help) {
  console.log("Usage: npm run bench:cold -- [--runs N]   (fresh Node 22 processes per figure; default 10)");
  process.exit(0);
}
const RUNS = Number(values.runs);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (xs: number[]) => `min ${Math.min(...xs).toFixed(1)} ms   median ${median(xs).toFixed(1)} ms`;

const tc = await toolchain();
const target = await startTarget();
await deploySchema(target.client(), { withUsers: true });
const issuer = await startDevIssuer();
const env = {
  PATH: process.env.PATH ?? "",
  LOG_LEVEL: "silent",
  ...exchangeEnv(target, issuer),
  CREATE_MISSING_USERS: "true",
};
const work = await mkdtemp(join(tmpdir(), "fte-cold-"));

async function child(file: string, kind: "netlify" | "vercel" | "netlify-entry", jwt?: string): Promise<{ importMs: number; firstOkMs: number | null; status: number | null }> {
  const { stdout } = await run(tc.node22, [...LAMBDA_NODE_FLAGS, CHILD, file, kind, ...(jwt ? [jwt] : [])], { env, timeout: 60_000 });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

async function measure(label: string, file: string, kind: "netlify" | "vercel" | "netlify-entry", exchange: boolean): Promise<void> {
  const imports: number[] = [];
  const firsts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    imports.push((await child(file, kind)).importMs);
    if (exchange) {
      const r = await child(file, kind, issuer.mint({ sub: `auth0|cold-${i}` }));
      if (r.status !== 200 || r.firstOkMs === null) throw new Error(`${label}: the first exchange answered ${r.status}`);
      firsts.push(r.firstOkMs);
    }
  }
  console.log(`${label.padEnd(52)} import     ${fmt(imports)}`);
  if (exchange) console.log(`${"".padEnd(52)} first 200  ${fmt(firsts)}`);
}

try {
  console.log(`Cold starts, ${RUNS} fresh Node 22 processes per figure (${(await run(tc.node22, ["--version"])).stdout.trim()}, require(esm) off)\n`);
  const netlify = await buildForNetlify(join(work, "netlify"));
  const fromSources = await buildForNetlify(join(work, "netlify-nft"), "netlify/functions");
  const vercel = await buildForVercel(join(work, "vercel"));
  // The module Netlify's bootstrap imports, as its entry point names it.
  const path = (b: typeof netlify, name: string) => {
    const dir = b.functions.find((f) => f.name === name)!.path;
    const entry = readFileSync(join(dir, "___netlify-entry-point.mjs"), "utf8");
    return join(dir, /getLambdaHandler\('([^']+)'\)/.exec(entry)![1]!);
  };
  await measure("Netlify, as deployed (prebundled, one file)", path(netlify, "exchange-jwt-for-secret"), "netlify", true);
  const entry = (b: typeof netlify, name: string) => join(b.functions.find((f) => f.name === name)!.path, "___netlify-entry-point.mjs");
  await measure("  with Netlify's own bootstrap (entry point)", entry(netlify, "exchange-jwt-for-secret"), "netlify-entry", false);
  await measure("  delete-expired-tokens", path(netlify, "delete-expired-tokens"), "netlify", false);
  await measure("Netlify, sources bundled by nft (for comparison)", path(fromSources, "exchange-jwt-for-secret"), "netlify", true);
  await measure("  with Netlify's own bootstrap (entry point)", entry(fromSources, "exchange-jwt-for-secret"), "netlify-entry", false);
  await measure("Vercel, as `vercel build` builds it", join(vercel, "functions/api/token.func/api/token.js"), "vercel", true);
  await measure("  api/cron/delete-expired-tokens", join(vercel, "functions/api/cron/delete-expired-tokens.func/api/cron/delete-expired-tokens.js"), "vercel", false);
} finally {
  await issuer.close();
  await target.close();
  await rm(work, { recursive: true, force: true });
}
