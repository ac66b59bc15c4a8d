/**
 * Time, in one vocabulary: the budgets derive from the platforms' limits (lib/core/budgets.ts,
 * compared here with vercel.json), a Deadline is an instant with what remains of it and a
 * signal, and the platform files stay a few lines that bind an adapter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PLATFORM_LIMITS_MS, REQUEST_LIMIT_MS, requestBudgets, runBudgets, SCHEDULED_RUN_LIMIT_MS, DEFAULT_QUERY_TIMEOUT_MS } from "../lib/core/budgets.ts";
import { Deadline } from "../lib/core/deadline.ts";
import { relativeImports } from "./support/layers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

test("vercel.json's maxDuration is the limit the budgets derive from", () => {
  const vercel = JSON.parse(readFileSync(`${ROOT}vercel.json`, "utf8")) as { functions: Record<string, { maxDuration: number }> };
  assert.equal(vercel.functions["api/token.ts"]!.maxDuration * 1000, PLATFORM_LIMITS_MS.vercelToken);
  assert.equal(vercel.functions["api/cron/delete-expired-tokens.ts"]!.maxDuration * 1000, PLATFORM_LIMITS_MS.vercelCron);
});

test("the budgets, derived from the tightest limits: the figures the docs state", () => {
  assert.equal(REQUEST_LIMIT_MS, 10_000);
  assert.equal(SCHEDULED_RUN_LIMIT_MS, 30_000);
  assert.deepEqual(requestBudgets(), { exchangeMs: 8_000, revokeMs: 6_000, revokeSlackMs: 2_000, jwksFetchMs: 5_000, bodyMs: 2_000 });
  // A body on time leaves a cold JWKS fetch its whole timeout, and the query a second.
  assert.ok(requestBudgets().bodyMs + requestBudgets().jwksFetchMs + 1_000 <= requestBudgets().exchangeMs);
  assert.deepEqual(runBudgets(), { cleanupMs: 20_000, cleanupSlackMs: 5_000 });
  assert.equal(DEFAULT_QUERY_TIMEOUT_MS, 8_000);
  // DELETE ends when POST must: its last batch may run the slack past its own budget.
  const b = requestBudgets();
  assert.equal(b.revokeMs + b.revokeSlackMs, b.exchangeMs);
  // A run with its slack ends well inside the scheduled limit (the cold start, the summary line).
  assert.ok(runBudgets().cleanupMs + runBudgets().cleanupSlackMs < SCHEDULED_RUN_LIMIT_MS);
});

test("a Deadline bounds a wait: the promise's outcome if it comes first, the late error otherwise, the promise left running", async () => {
  const late = () => new Error("late");
  assert.equal(await Deadline.after(1_000).race(Promise.resolve(7), late), 7);
  await assert.rejects(Deadline.after(1_000).race(Promise.reject(new Error("own")), late), /own/);
  let settled = false;
  const slow = new Promise((r) => setTimeout(r, 60)).then(() => (settled = true));
  await assert.rejects(Deadline.after(10).race(slow, late), /late/);
  await assert.rejects(Deadline.after(-5).race(slow, late), /late/, "a passed deadline: late at once");
  await slow;
  assert.equal(settled, true);
});

test("a Deadline: the instant, what remains, a share of it, and a signal that fires at it", async () => {
  const d = Deadline.after(1_000, 5_000);
  assert.equal(d.at, 6_000);
  assert.equal(d.remaining(5_400), 600);
  assert.equal(d.remaining(7_000), 0, "never below 0");
  assert.equal(d.within(100, 5_000).at, 5_100, "a shorter share");
  assert.equal(d.within(5_000, 5_000), d, "never later than itself");
  assert.equal(Deadline.at(42).at, 42);
  const soon = Deadline.after(30);
  assert.equal(soon.signal, soon.signal, "one signal per deadline");
  assert.equal(soon.signal.aborted, false);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(soon.signal.aborted, true);
  assert.equal((soon.signal.reason as Error).name, "TimeoutError");
  const passed = Deadline.after(-5).signal;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(passed.aborted, true, "a passed deadline's signal fires at once, not never");
});

test("the platform files stay a few lines that bind one of lib's adapters", () => {
  const files = [
    ...readdirSync(`${ROOT}netlify/functions`).map((f) => `netlify/functions/${f}`),
    "api/token.ts",
    ...readdirSync(`${ROOT}api/cron`).map((f) => `api/cron/${f}`),
  ];
  assert.equal(files.length, 4);
  for (const f of files) {
    const text = readFileSync(`${ROOT}${f}`, "utf8");
    assert.ok(text.split("\n").length - 1 <= 15, `${f}: ${text.split("\n").length - 1} lines`);
    for (const target of relativeImports(f, text)) assert.match(target, /^lib\/adapters\/(netlify|vercel)\.ts$/, f);
  }
});
