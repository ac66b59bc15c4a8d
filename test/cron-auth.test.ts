/**
 * Vercel Cron's route is a public URL: whatever anyone sends it, its refusals cost one log
 * line a minute at most, carrying how many refusals it stands for, so that nobody can
 * raise alerts (an error line per request) by calling it. The route as the platform file
 * builds it (vercelCronRoute), on node:test's mock of `Date` for the minute.
 */
import { after, afterEach, describe, mock, test } from "node:test";
import assert from "node:assert/strict";
import { vercelCronRoute } from "../lib/adapters/vercel.ts";
import { captureLogs } from "./support/log-capture.ts";

const logs = captureLogs();
after(() => logs.stop());
afterEach(() => mock.timers.reset());

// The guard answers before the cleanup is ever set up: nothing listens here.
const FAUNA = { FAUNA_ENDPOINT: "http://127.0.0.1:9", FAUNA_SECRET: "unused" };
const cron = (headers: Record<string, string> = {}) => new Request("https://example.vercel.app/api/cron/delete-expired-tokens", { headers });

/** Sends `n` requests a second apart; returns the statuses. */
async function send(route: (req: Request) => Promise<Response>, n: number, headers: Record<string, string> = {}): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    statuses.push((await route(cron(headers))).status);
    mock.timers.tick(1000);
  }
  return statuses;
}

describe("the cron route's refusals are logged at most once a minute, with a count", () => {
  test("CRON_SECRET unset: every request refused (500), one error line a minute", async () => {
    mock.timers.enable({ apis: ["Date"], now: Date.parse("2030-01-01T00:00:00Z") });
    const route = vercelCronRoute(FAUNA);
    const before = logs.events("cron_secret_missing").length;
    assert.deepEqual(await send(route, 59, { authorization: "Bearer anything" }), Array(59).fill(500));
    let lines = logs.events("cron_secret_missing").slice(before);
    assert.equal(lines.length, 1, "the first refusal is logged at once, the rest of the minute is counted");
    assert.equal(lines[0]!.level, "error");
    assert.equal(lines[0]!.refused_since_last_line, 1);
    assert.match(lines[0]!.problem as string, /CRON_SECRET is not set/);
    mock.timers.tick(1000);
    await send(route, 1);
    lines = logs.events("cron_secret_missing").slice(before);
    assert.equal(lines.length, 2);
    assert.equal(lines[1]!.refused_since_last_line, 59, "the 58 refusals not logged, and this one");
  });

  test("a wrong or absent Bearer: 401, one warning a minute", async () => {
    mock.timers.enable({ apis: ["Date"], now: Date.parse("2030-01-01T00:00:00Z") });
    const route = vercelCronRoute({ ...FAUNA, CRON_SECRET: "the-secret" });
    const before = logs.events("cron_unauthorized").length;
    assert.deepEqual(await send(route, 30), Array(30).fill(401));
    assert.deepEqual(await send(route, 31, { authorization: "Bearer wrong" }), Array(31).fill(401));
    const lines = logs.events("cron_unauthorized").slice(before);
    assert.deepEqual(
      lines.map((l) => [l.level, l.refused_since_last_line, l.bearer]),
      [
        ["warn", 1, "absent"],
        ["warn", 60, "wrong"],
      ],
    );
    assert.ok(!logs.text().includes("the-secret"));
  });
});
