/**
 * What kind of key FAUNA_SECRET is, learnt from what it may do. FQL v4 has no function
 * that names a key's role: `CurrentToken()` names a key only inside the database the key
 * document lives in (not the usual key made in a parent database for its child), and
 * `KeyFromSecret` finds a key only where the caller may read it. So three probes, none of
 * which changes anything:
 * - listing keys (`Paginate(Keys())`): an admin key may, no other built-in role may;
 * - reading index definitions (`Paginate(Indexes())`): server and server-readonly keys
 *   may, a client key may not;
 * - a write that aborts itself (`CreateCollection` then `Abort`, one transaction, so
 *   nothing is committed): a server key reaches the `Abort`, a read-only key is refused
 *   before it.
 */
import faunadb from "faunadb";
import { randomBytes } from "node:crypto";
import { FAUNA_ERROR, faunaFailure } from "../fauna/failures.ts";
import { queryBefore } from "../fauna/client.ts";
import { Deadline } from "../deadline.ts";
import { DEFAULT_QUERY_TIMEOUT_MS } from "../budgets.ts";

const q = faunadb.query;

export type KeyRole = "admin" | "server" | "server-readonly" | "client or custom role";

/** The reason the write probe aborts with: told apart from every other abort. */
const PROBE_ABORT = "fte:doctor_write_probe";

/** True when the query ran; false when FaunaDB refused it for want of permission; anything else is thrown. */
async function allowed(client: faunadb.Client, expr: faunadb.ExprArg, expectAbort = false): Promise<boolean> {
  try {
    await queryBefore(client, expr, Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
    return true;
  } catch (e) {
    const f = faunaFailure(e);
    if (f?.code === FAUNA_ERROR.permissionDenied) return false;
    if (expectAbort && f?.code === FAUNA_ERROR.transactionAborted && f.description === PROBE_ABORT) return true;
    throw e;
  }
}

export async function probeKeyRole(client: faunadb.Client): Promise<KeyRole> {
  if (await allowed(client, q.Paginate(q.Keys(), { size: 1 }))) return "admin";
  if (!(await allowed(client, q.Paginate(q.Indexes(), { size: 1 })))) return "client or custom role";
  const name = `fte_doctor_probe_${randomBytes(6).toString("hex")}`;
  const writes = await allowed(client, q.Do(q.CreateCollection({ name }), q.Abort(PROBE_ABORT)), true);
  return writes ? "server" : "server-readonly";
}

/** Whether a key of this role can run the product's jobs (the exchange, the cleanup, revoke), said for the operator. */
export function roleVerdict(role: KeyRole): { fit: boolean; detail: string } {
  switch (role) {
    case "server":
      return { fit: true, detail: "a server key: what the exchange, the cleanup and revoke need" };
    case "admin":
      return { fit: true, detail: "an admin key: it works, but it can do far more than the functions need; give them a server key" };
    case "server-readonly":
      return { fit: false, detail: "a server-readonly key: it can read but not write; the exchange, the cleanup and revoke need a server key" };
    default:
      return { fit: false, detail: "neither an admin nor a server key (a client key, or a key with a custom role): the exchange, the cleanup and revoke need a server key" };
  }
}
