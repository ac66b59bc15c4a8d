/**
 * A FaunaDB that accepts queries and never answers: the real faunadb driver against a
 * local HTTP/2 server that holds every request open. What must hold: a timeout is
 * recognised as transient (retried) and reported as a timeout, and neither the cleanup
 * nor a budgeted revocation outlives its budget by more than its slack.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { isTransientFaunaError, mapFaunaError } from "../lib/core/fauna/failures.ts";
import { createFaunaClient } from "../lib/core/fauna/client.ts";
import { CLEANUP_ERROR_CODES, deleteExpiredTokens, describeError } from "../lib/core/cleanup.ts";
import { revokeUserTokens } from "../lib/core/revoke.ts";
import { DatabaseUnavailable, FaunaTimeoutError } from "../lib/core/errors/index.ts";
import { DEFAULT_USERS_INDEX } from "../lib/core/ledger/layout.ts";
import { startHangingServer, type HangingServer } from "./cleanup-fixtures.ts";

const q = faunadb.query;
/** Timers fire late on a loaded machine; the bounds below allow this much on top. */
const LATE_MS = 400;

let hung: HangingServer;
let clients: faunadb.Client[];

function clientFor(timeoutSeconds?: number): faunadb.Client {
  const c = createFaunaClient({ endpoint: hung.endpoint, secret: "hung" }, timeoutSeconds === undefined ? {} : { timeoutSeconds });
  clients.push(c);
  return c;
}

describe("a FaunaDB that never answers", () => {
  beforeEach(async () => {
    hung = await startHangingServer();
    clients = [];
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close({ force: true }).catch(() => undefined)));
    await hung.close();
  });

  test("the driver's own TimeoutError is transient, a timeout in a summary, and 'unavailable' for the API", async () => {
    const err = await clientFor(0.2).query(q.Now()).then(
      () => assert.fail("the hanging server answered"),
      (e: unknown) => e,
    );
    // The driver marks its timeout only with isTimeoutError (its name is plain "Error").
    assert.equal((err as { isTimeoutError?: unknown }).isTimeoutError, true);
    assert.notEqual((err as Error).name, "TimeoutError");
    assert.equal(isTransientFaunaError(err), true);
    assert.equal(describeError(err).code, CLEANUP_ERROR_CODES.timeout);
    assert.ok(mapFaunaError(err) instanceof DatabaseUnavailable);
    // The cleanup's own deadline is classified the same way.
    const own = new FaunaTimeoutError(5);
    assert.equal(isTransientFaunaError(own), true);
    assert.equal(describeError(own).code, CLEANUP_ERROR_CODES.timeout);
    assert.ok(mapFaunaError(own) instanceof DatabaseUnavailable);
  });

  test("a timed-out page is retried once, then the run ends with a timeout error", async () => {
    const started = Date.now();
    const s = await deleteExpiredTokens(clientFor(), { queryTimeoutMs: 200, timeBudgetMs: 10_000, log: () => undefined });
    const took = Date.now() - started;
    assert.equal(s.stoppedBy, "error");
    assert.equal(s.workRemaining, true);
    assert.equal(s.pages, 0);
    assert.equal(s.queries, 2, "the timeout was retried");
    assert.equal(hung.requests, 2, "the retry reached the server");
    assert.equal(s.error?.code, CLEANUP_ERROR_CODES.timeout);
    assert.equal(s.error?.status, undefined);
    assert.ok(took >= 400 && took < 400 + LATE_MS, `took ${took} ms`);
  });

  test("a run with budget B ends by B + slack, however long the driver would wait", async () => {
    // The driver client's own timeout is 8 s (lib/core/fauna/client.ts), the per-query one too: only the
    // budget can end this run early.
    const B = 300;
    const slack = 200;
    const started = Date.now();
    const s = await deleteExpiredTokens(clientFor(), { timeBudgetMs: B, slackMs: slack, log: () => undefined });
    const took = Date.now() - started;
    assert.equal(s.stoppedBy, "error");
    assert.equal(s.error?.code, CLEANUP_ERROR_CODES.timeout);
    // The page started at 0 was abandoned at B + slack; a retry then no longer fits in B.
    assert.equal(s.queries, 1);
    assert.ok(took >= B + slack - 5 && took < B + slack + LATE_MS, `took ${took} ms`);

    // With short per-query timeouts and many retries allowed, retries are sent while they
    // start inside B, and the last one is cut short at B + slack.
    const again = Date.now();
    const r = await deleteExpiredTokens(clientFor(), { timeBudgetMs: B, slackMs: slack, queryTimeoutMs: 120, retries: 10, log: () => undefined });
    const took2 = Date.now() - again;
    assert.equal(r.stoppedBy, "error");
    assert.ok(r.queries >= 2 && r.queries <= 4, `queries ${r.queries}`);
    assert.ok(took2 < B + slack + LATE_MS, `took ${took2} ms`);
  });

  test("revokeUserTokens with a budget gives up by budget + slack; without one the client's timeout applies", async () => {
    const started = Date.now();
    const err = await revokeUserTokens(clientFor(), "auth0|x", { usersIndex: DEFAULT_USERS_INDEX, timeBudgetMs: 200, slackMs: 200 }).then(
      () => assert.fail("the hanging server answered"),
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    assert.ok(err instanceof FaunaTimeoutError, String(err));
    assert.ok(mapFaunaError(err) instanceof DatabaseUnavailable);
    assert.ok(took >= 395 && took < 400 + LATE_MS, `took ${took} ms`);

    const plain = await revokeUserTokens(clientFor(0.2), "auth0|x", { usersIndex: DEFAULT_USERS_INDEX }).then(
      () => assert.fail("the hanging server answered"),
      (e: unknown) => e,
    );
    assert.equal(isTransientFaunaError(plain), true);
  });
});
