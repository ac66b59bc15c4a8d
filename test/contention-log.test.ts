/**
 * Contention is logged as load, not as a fault (the review of main, 8): one valid JWT fired
 * concurrently makes one user's transactions collide on a cluster, and what is still
 * contended after FaunaDB's retries and ours is answered 503 (ERR_DATABASE_UNAVAILABLE,
 * `http_409`). FaunaDB's 429 (an ops rate limit, off unless the operator turns it on) is
 * load of the same kind. A token holder must not be able to raise error-level alerts that way: such a
 * line is a warning; a real outage stays an error. Real HTTP into the handler, the real
 * driver, the emulator's cluster profile.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { emulatorOnly } from "fql4-emulator/testing";
import type { EmulatorHandle } from "fql4-emulator";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call, type Reply } from "./support/http-client.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";

const logs = captureLogs();
let s: Stack;
before(async () => {
  s = await startStack({ users: ["auth0|busy", "auth0|faulted"], target: { profile: "cluster" } });
});
after(closeThenCheck(logs, () => s?.close()));

/** The token_exchange / token_revoke lines written since `from`, as [level, outcome, fauna_cause]. */
const since = (from: number) =>
  [...logs.events("token_exchange"), ...logs.events("token_revoke")]
    .filter((l) => Date.parse(l.time as string) >= from)
    .map((l) => [l.level, l.outcome, l.fauna_cause]);

/** A request with a valid JWT while FaunaDB refuses its first two queries with `status` (the query and its one retry). */
async function refusedTwice(emulator: EmulatorHandle, status: number, method = "POST"): Promise<Reply> {
  const jwt = s.issuer.mint({ sub: "auth0|faulted" });
  logs.forbid(jwt);
  emulator.faults.failQueries({ count: 2, status });
  try {
    return await call(s.url, { method, ...bearer(jwt) });
  } finally {
    emulator.faults.clear();
  }
}

describe("contention", () => {
  test("contended after FaunaDB's retries and the exchange's own: 503, logged at warn with fauna_cause http_409", async (t) => {
    const emulator = emulatorOnly(t, s.target, "fault injection");
    if (!emulator) return;
    const from = Date.now();
    const r = await refusedTwice(emulator, 409);
    assert.deepEqual([r.status, r.body.error], [503, "temporarily_unavailable"]);
    assert.deepEqual(since(from), [["warn", "ERR_DATABASE_UNAVAILABLE", "http_409:contended transaction"]]);
    // A DELETE contended twice (its first batch is sent once more) is the same.
    assert.equal((await refusedTwice(emulator, 409, "DELETE")).status, 503);
    assert.deepEqual(since(from).at(-1), ["warn", "ERR_DATABASE_UNAVAILABLE", "http_409:contended transaction"]);
  });

  test("throttled (429: an ops rate limit the operator turned on) after the retry: 503, logged at warn", async (t) => {
    const emulator = emulatorOnly(t, s.target, "fault injection");
    if (!emulator) return;
    const from = Date.now();
    const r = await refusedTwice(emulator, 429);
    assert.deepEqual([r.status, r.body.error], [503, "temporarily_unavailable"]);
    assert.deepEqual(
      since(from).map(([level, outcome, cause]) => [level, outcome, String(cause).slice(0, 8)]),
      [["warn", "ERR_DATABASE_UNAVAILABLE", "http_429"]],
    );
  });

  test("an outage stays an error: FaunaDB answering 503 unavailable", async (t) => {
    const emulator = emulatorOnly(t, s.target, "fault injection");
    if (!emulator) return;
    const from = Date.now();
    assert.equal((await refusedTwice(emulator, 503)).status, 503);
    assert.deepEqual(since(from), [["error", "ERR_DATABASE_UNAVAILABLE", "http_503:unavailable"]]);
  });

  test("one valid JWT fired 60 times at once (one user): whatever is refused, no error-level line", async (t) => {
    if (!emulatorOnly(t, s.target, "the cluster profile")) return;
    const jwt = s.issuer.mint({ sub: "auth0|busy" });
    logs.forbid(jwt);
    const from = Date.now();
    const replies = await Promise.all(Array.from({ length: 60 }, () => call(s.url, bearer(jwt))));
    for (const r of replies) {
      if (r.status === 200) logs.forbid(r.body.secret as string);
      else assert.equal(r.status, 503, JSON.stringify(r.body));
    }
    const lines = since(from);
    t.diagnostic(`${replies.filter((r) => r.status === 503).length} × 503 of 60, ${lines.filter(([level]) => level === "warn").length} warn lines`);
    assert.deepEqual(lines.filter(([level]) => level === "error"), []);
    for (const [level, outcome, cause] of lines.filter(([, o]) => o !== "issued")) assert.deepEqual([level, outcome, String(cause).slice(0, 8)], ["warn", "ERR_DATABASE_UNAVAILABLE", "http_409"]);
  });
});
