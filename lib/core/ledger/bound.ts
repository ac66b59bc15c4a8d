/**
 * The live-secret bound: at most `keep` live secrets per user once one more is issued.
 * The user's live tokens are read from the live-tokens index over `Tokens()`, which
 * FaunaDB keeps exact (a deleted or logged-out token leaves it, an entry disappears when
 * its token's ttl passes): counting them reads index entries only, and the tokens over the
 * bound, soonest to expire first, are deleted with their ledger entries, two documents
 * each, whatever the padding (short-lived or logged-out secrets) and however many secrets
 * the user holds.
 */
import faunadb from "faunadb";
import { FIELD, LEDGER_INDEX, positionIn } from "./layout.ts";
import { MAX_PAGE_SIZE } from "./limits.ts";
import { deleteEntriesOfPageFql, tokenEntriesFql } from "./fql.ts";

const q = faunadb.query;

const TOKEN = positionIn(LEDGER_INDEX.liveTokens, FIELD.ref);

/**
 * FQL: revoke the user's soonest-expiring live secrets (token and ledger entry) so that,
 * with the one about to be issued, at most `keep` remain; evaluates to how many were
 * revoked. Each revoked secret reads two documents (its token's and its entry's deletes),
 * without `Exists`: both were found at this transaction's snapshot. A token without a
 * ledger entry (made some other way) is deleted all the same.
 */
export function revokeOverBoundFql(user: faunadb.ExprArg, keep: number): faunadb.Expr {
  return q.Let(
    {
      live: q.Select("data", q.Paginate(q.Match(q.Index(LEDGER_INDEX.liveTokens.name), user), { size: MAX_PAGE_SIZE })),
      over: q.Take(q.Max(0, q.Subtract(q.Count(q.Var("live")), keep - 1)), q.Var("live")),
    },
    q.Do(
      q.Foreach(
        q.Var("over"),
        q.Lambda(
          "t",
          q.Let(
            { token: q.Select(TOKEN, q.Var("t")) },
            q.Do(q.Delete(q.Var("token")), deleteEntriesOfPageFql(q.Paginate(tokenEntriesFql(user, q.Var("token")), { size: 100 }))),
          ),
        ),
      ),
      q.Count(q.Var("over")),
    ),
  );
}
