/**
 * faunaQuery: the browser client's helper for the `faunadb` driver, run in Node
 * with the real driver against the database. A secret FaunaDB refuses is
 * replaced and the query sent once more; never twice, and never for any other
 * error.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startStack, type Stack } from "./support/stack.ts";
import { emulatorOnly } from "fql4-emulator/testing";
import { harness } from "./support/client-harness.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { failedStep, faunaQuery, isUnauthorized } from "../client/src/index.ts";
import { closedPort } from "./support/processes.ts";

const q = faunadb.query;

describe("faunaQuery", () => {
  let s: Stack;
  /** Status of every answer FaunaDB gave the driver below. */
  const statuses: number[] = [];
  let driver: faunadb.Client;
  before(async () => {
    s = await startStack({ users: ["auth0|alice", "auth0|bob"] });
    await deploySchema(s.admin, { withUsers: true, withUserRole: true });
    // No secret of its own (the types insist on one; empty sends none): each query carries the source's.
    driver = new faunadb.Client({
      secret: "",
      endpoint: s.target.endpoint,
      checkNewVersion: false,
      http2SessionIdleTime: 50,
      observer: (res) => {
        statuses.push(res.statusCode);
      },
    });
  });
  after(async () => {
    await driver.close();
    await s.close();
  });

  const readMe = q.Select(["data", "auth0_id"], q.Get(q.CurrentIdentity()));

  test("runs the query with the current secret", async () => {
    const h = harness(s);
    const query = faunaQuery(h.source, driver);
    assert.equal(await query<string>(readMe), "auth0|alice");
    assert.equal(await query<string>(readMe), "auth0|alice");
    assert.equal(h.exchanges(), 1);
  });

  test("a revoked secret: one 401, one new exchange, the query answered", async () => {
    const h = harness(s);
    const query = faunaQuery(h.source, driver);
    const { secret } = await h.source.getSecret();
    await s.admin.query(q.Delete(await s.target.client(secret).query<faunadb.values.Ref>(q.CurrentToken())));
    statuses.length = 0;
    // Three callers meet the same refusal: they share the one new exchange.
    const answers = await Promise.all([query<string>(readMe), query<string>(readMe), query<string>(readMe)]);
    assert.deepEqual(answers, ["auth0|alice", "auth0|alice", "auth0|alice"]);
    assert.equal(h.exchanges(), 2);
    assert.deepEqual(statuses, [401, 401, 401, 200, 200, 200]);
  });

  test("refused again after the new exchange: the driver's Unauthorized, after exactly one retry", async (t) => {
    const emu = emulatorOnly(t, s.target, "clock");
    if (!emu) return;
    const h = harness(s);
    const query = faunaQuery(h.source, driver);
    await query(readMe);
    // Two hours on at FaunaDB: every secret the exchange issues is born expired there.
    emu.clock.advance(2 * 3600_000);
    try {
      statuses.length = 0;
      await assert.rejects(query(readMe), (e: unknown) => {
        assert.ok(isUnauthorized(e));
        assert.ok(e instanceof faunadb.errors.Unauthorized);
        return true;
      });
      assert.equal(h.exchanges(), 2);
      assert.deepEqual(statuses, [401, 401]);
    } finally {
      emu.clock.advance(-2 * 3600_000);
    }
  });

  test("other errors are not retried", async () => {
    const h = harness(s);
    const query = faunaQuery(h.source, driver);
    const bob = q.Get(q.Match(q.Index("users_by_auth0_id"), "auth0|bob"));
    await assert.rejects(query(bob), (e: unknown) => e instanceof faunadb.errors.PermissionDenied && !isUnauthorized(e));
    assert.equal(h.exchanges(), 1);
  });

  test("failedStep tells FaunaDB's errors from the exchange's and the identity provider's", async () => {
    const h = harness(s);
    const query = faunaQuery(h.source, driver);
    // FaunaDB's refusal, as the driver threw it.
    const bob = q.Get(q.Match(q.Index("users_by_auth0_id"), "auth0|bob"));
    await assert.rejects(query(bob), (e: unknown) => e instanceof faunadb.errors.PermissionDenied && failedStep(e) === "faunadb");
    // FaunaDB not answering at all: the driver's own network error, still FaunaDB's step.
    const nowhere = new faunadb.Client({ secret: "", endpoint: `http://127.0.0.1:${await closedPort()}`, checkNewVersion: false });
    try {
      await assert.rejects(faunaQuery(h.source, nowhere)(readMe), (e: unknown) => !(e instanceof faunadb.errors.FaunaHTTPError) && failedStep(e) === "faunadb");
    } finally {
      await nowhere.close();
    }
    // The exchange behind a query: the token endpoint's, then the identity provider's.
    const refused = harness(s, { jwtLifetime: -60 });
    await assert.rejects(faunaQuery(refused.source, driver)(readMe), (e: unknown) => failedStep(e) === "token-endpoint");
    const noToken = harness(s, { getAccessToken: () => Promise.reject(new Error("consent_required")) });
    await assert.rejects(faunaQuery(noToken.source, driver)(readMe), (e: unknown) => failedStep(e) === "identity-provider");
    // Anything that came through neither.
    assert.equal(failedStep(new Error("a bug")), undefined);
    assert.equal(failedStep("a string"), undefined);
  });

  test("the caller's options are passed on; its secret is not", async () => {
    const h = harness(s);
    const query = faunaQuery(h.source, driver);
    // An admin key has no identity: the read succeeds only with the source's secret.
    assert.equal(await query<string>(readMe, { secret: s.target.adminSecret }), "auth0|alice");
    // FaunaDB refuses a query timeout over 600000 ms: proof the option went out with the query.
    await assert.rejects(query(readMe, { queryTimeout: 600_001 }), (e: unknown) => e instanceof faunadb.errors.BadRequest);
    assert.equal(h.exchanges(), 1);
  });
});
