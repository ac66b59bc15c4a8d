/**
 * Every query the token endpoint sends tells FaunaDB how long it may run: `X-Query-Timeout`
 * at most what is left of the request's budget. Our own timer ends the request either
 * way, but without the header the database keeps working on (and may commit) a query
 * nobody waits for any more. Seen from a real HTTP/2 listener between the function and
 * the database, with the function wired as a deployment wires it (handlerFromEnv).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import faunadb from "faunadb";
import { startTarget, type FaunaTarget } from "fql4-emulator/testing";
import { startDevIssuer, type DevIssuer } from "../lib/dev/issuer.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";
import { DEFAULT_USERS_COLLECTION } from "../lib/core/ledger/layout.ts";
import { handlerFromEnv } from "../lib/adapters/from-env.ts";
import { serveHandler, type ServedHandler } from "../lib/adapters/node.ts";
import { requestBudgets } from "../lib/core/budgets.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { startFaunaRecorder, type FaunaRecorder } from "./support/fauna-recorder.ts";
import { exchangeEnv } from "./support/env.ts";
import { bearer, call } from "./support/http-client.ts";

const q = faunadb.query;
const logs = captureLogs();
const { exchangeMs } = requestBudgets();
/** How long the identity provider takes to answer a JWKS fetch in the first rows. */
const JWKS_DELAY_MS = 1500;

let target: FaunaTarget;
let issuer: DevIssuer;
let recorder: FaunaRecorder;
let served: ServedHandler;
before(async () => {
  target = await startTarget();
  logs.forbid(target.serverSecret, target.adminSecret);
  await deploySchema(target.client(), { withUsers: true });
  for (const sub of ["auth0|known", "auth0|known-0", "auth0|known-1", "auth0|known-2"]) {
    await target.client().query(q.Create(q.Collection(DEFAULT_USERS_COLLECTION), { data: { auth0_id: sub } }));
  }
  issuer = await startDevIssuer();
  recorder = await startFaunaRecorder(target.endpoint);
  served = await serveHandler(handlerFromEnv(exchangeEnv({ endpoint: recorder.endpoint, serverSecret: target.serverSecret }, issuer)));
});
after(
  closeThenCheck(logs, async () => {
    await served?.close();
    await recorder?.close();
    await issuer?.close();
    await target?.close();
  }),
);

/** Sends one request; returns the queries it made FaunaDB run. */
async function queriesOf(method: "POST" | "DELETE", jwt: string) {
  const before = recorder.queries.length;
  const res = await call(served.url, { method, ...bearer(jwt) });
  if (typeof res.body.secret === "string") logs.forbid(res.body.secret);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const sent = recorder.queries.slice(before);
  assert.ok(sent.length >= 1, "the request queried the database");
  return sent;
}

/** Each query carries X-Query-Timeout, a whole number of ms from 1 to `atMostMs`. */
function assertBounded(sent: { queryTimeout: string | undefined }[], atMostMs: number): void {
  for (const { queryTimeout } of sent) {
    assert.ok(queryTimeout !== undefined, "X-Query-Timeout is sent with every query");
    assert.match(queryTimeout, /^\d+$/);
    const ms = Number(queryTimeout);
    assert.ok(ms >= 1 && ms <= atMostMs, `X-Query-Timeout: ${ms}, more than the ${atMostMs} ms left of the request`);
  }
}

describe("X-Query-Timeout is at most what is left of the request's budget", () => {
  test("an exchange and a sign-out that first waited for a slow JWKS fetch", async () => {
    issuer.setJwksDelay(JWKS_DELAY_MS);
    try {
      // The request arrived before the fetch was sent, and the query went after its answer:
      // at least the fetch's time is gone from the budget (and 1 ms for rounding up).
      assertBounded(await queriesOf("POST", issuer.mint({ sub: "auth0|known" })), exchangeMs - JWKS_DELAY_MS + 1);
      issuer.rotate(); // a new kid: DELETE waits for a fetch too
      assertBounded(await queriesOf("DELETE", issuer.mint({ sub: "auth0|known" })), exchangeMs - JWKS_DELAY_MS + 1);
    } finally {
      issuer.setJwksDelay(0);
    }
  });

  test("with the key cached: never more than the whole budget", async () => {
    // A user of its own each time: after a DELETE, a JWT from the same second is refused (signed out).
    for (let i = 0; i < 3; i++) {
      assertBounded(await queriesOf("POST", issuer.mint({ sub: `auth0|known-${i}` })), exchangeMs);
      assertBounded(await queriesOf("DELETE", issuer.mint({ sub: `auth0|known-${i}` })), exchangeMs);
    }
  });
});
