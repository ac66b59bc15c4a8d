/**
 * A secret from the real exchange, used with the real driver: what the tests of roles over a
 * token's claims do again and again (test/token-claims, test/claims-by-issuer).
 */
import assert from "node:assert/strict";
import type faunadb from "faunadb";
import type { Stack } from "./stack.ts";
import type { LogCapture } from "./log-capture.ts";
import { bearer, call } from "./http-client.ts";

/** A client on the secret the exchange issues for `jwt` (neither may ever reach the output). */
export async function exchangedClient(s: Stack, logs: LogCapture, jwt: string): Promise<faunadb.Client> {
  logs.forbid(jwt);
  const res = await call(s.url, bearer(jwt));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  logs.forbid(res.body.secret as string);
  return s.target.client(res.body.secret as string);
}

/** What the secret gets for `expr`: the value, or the driver's error name. */
export async function outcome(c: faunadb.Client, expr: faunadb.ExprArg): Promise<unknown> {
  try {
    return await c.query(expr);
  } catch (e) {
    return (e as Error).name;
  }
}
