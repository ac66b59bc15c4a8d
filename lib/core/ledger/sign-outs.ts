/**
 * The sign-out barrier: "sign out everywhere" records, per user, the instant it happened
 * (one document in the sign-outs collection, the latest), and every exchange reads it
 * through the serialized by-user index (index entries only, no document) and refuses a
 * JWT issued at or before it. On a cluster an exchange that overlaps the transaction
 * recording a sign-out conflicts with its write of that index partition, is retried by the
 * server and then sees it; one that committed before it is still revoked by the
 * revocation's later batches (lib/core/revoke.ts).
 */
import faunadb from "faunadb";
import { FIELD, LEDGER_INDEX, SIGN_OUTS_COLLECTION, positionIn } from "./layout.ts";

const q = faunadb.query;

const AT = positionIn(LEDGER_INDEX.signOutsByUser, FIELD.signedOutAt);
const REF = positionIn(LEDGER_INDEX.signOutsByUser, FIELD.ref);

function signOutsOf(user: faunadb.ExprArg): faunadb.Expr {
  return q.Match(q.Index(LEDGER_INDEX.signOutsByUser.name), user);
}

/** FQL: the user's latest sign-out (a Time), or null when the user never signed out. Reads no document. */
export function latestSignOutFql(user: faunadb.ExprArg): faunadb.Expr {
  return q.Select(["data", 0, AT], q.Paginate(signOutsOf(user), { size: 1 }), null);
}

/**
 * FQL: record that the user signed out now (`Now()`), replacing the earlier record(s): one
 * document per user stays. Evaluates to the instant recorded. With `notBefore` (the `iat` of
 * the JWT that asked, seconds), no earlier than it: a JWT's `iat` may be ahead of FaunaDB's
 * clock by up to the verification's clock tolerance, and the JWT that signed out must be
 * refused afterwards all the same.
 */
export function recordSignOutFql(user: faunadb.ExprArg, notBefore?: number): faunadb.Expr {
  const [data, userField] = FIELD.userRef;
  const [, atField] = FIELD.signedOutAt;
  const at = notBefore === undefined ? q.Now() : q.Let({ iat: q.Epoch(Math.ceil(notBefore * 1000), "millisecond") }, q.If(q.GT(q.Var("iat"), q.Now()), q.Var("iat"), q.Now()));
  return q.Do(
    // Normally one; several only when two sign-outs of one user raced.
    q.Foreach(q.Select("data", q.Paginate(signOutsOf(user), { size: 100 })), q.Lambda("s", q.Delete(q.Select(REF, q.Var("s"))))),
    q.Select([data, atField], q.Create(q.Collection(SIGN_OUTS_COLLECTION), { [data]: { [userField]: user, [atField]: at } })),
  );
}

/**
 * FQL: whether revocation spares a ledger entry (given its document): its exchange checked
 * the JWT against the sign-out `signedOut` (or a later one) and found it issued after:
 * a new sign-in. Entries of exchanges that saw an earlier sign-out, or none, are revoked.
 */
export function sparedBySignOutFql(entryDoc: faunadb.Expr, signedOut: faunadb.Expr): faunadb.Expr {
  return q.Let(
    { seen: q.Select([...FIELD.afterSignOut], entryDoc, null) },
    q.If(q.Or(q.IsNull(q.Var("seen")), q.IsNull(signedOut)), false, q.GTE(q.Var("seen"), signedOut)),
  );
}
