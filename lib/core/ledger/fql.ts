/**
 * The one FQL building block shared by the cleanup and by revocation: given a page
 * of ledger index entries, delete each entry's token and ledger document in the same
 * query, and count what was actually deleted inside FQL.
 *
 * Every delete is guarded by `Exists` so that two runs working on the same entries
 * (two overlapping scheduled runs, a cleanup racing a revocation) can never fail each
 * other with "instance not found": whoever commits second simply finds nothing left and
 * counts nothing. Because the whole page is one transaction, a run that dies mid-page
 * either committed the page (token and ledger gone together) or did not (both remain,
 * still in the index for the next run): there is no state in which a ledger entry is
 * gone but its live token remains, nor the reverse.
 */
import faunadb from "faunadb";
import { DatabaseError } from "../errors/index.ts";

const q = faunadb.query;

/**
 * FQL: whether `token` is a token FaunaDB still shows (not deleted, ttl not passed).
 * Anything that is not a token ref (null, a missing `token_ref`, a ref to some other
 * document) counts as "not live", so it can never be deleted as if it were a token.
 */
export function tokenLiveFql(token: faunadb.ExprArg): faunadb.Expr {
  return q.If(q.IsToken(token), q.Exists(token), false);
}

/**
 * FQL: the ref of the user whose `sub` this is, or null. Reads only the users index
 * (no document), exactly like the exchange's lookup (lib/exchange.ts).
 */
export function userBySubFql(usersIndex: string, sub: faunadb.ExprArg): faunadb.Expr {
  return q.Select(["data", 0], q.Paginate(q.Match(q.Index(usersIndex), sub), { size: 1 }), null);
}

/** Counts one page query returns; computed inside FQL so the response stays tiny. */
export interface PageDeleteCounts {
  /** Index entries the page held. */
  entries: number;
  /** Tokens that still existed and were deleted. */
  tokensDeleted: number;
  /** Ledger documents deleted. */
  ledgerEntriesDeleted: number;
  /** Ledger entries whose token was already gone (ttl passed, or deleted elsewhere). */
  tokensAlreadyGone: number;
  /** Whether the set held more entries after this page (at this query's snapshot). */
  more: boolean;
}

/**
 * An FQL expression that deletes what a page of index entries points at and evaluates
 * to `PageDeleteCounts`.
 *
 * @param page an FQL expression for a page (`Paginate(...)`) whose elements are arrays
 * @param tokenAt position of the token ref inside each element
 * @param entryAt position of the ledger document ref inside each element
 */
export function deletePageFql(page: faunadb.ExprArg, tokenAt: number, entryAt: number): faunadb.Expr {
  return q.Let(
    {
      page,
      results: q.Map(
        q.Select("data", q.Var("page")),
        q.Lambda(
          "element",
          q.Let(
            {
              token: q.Select(tokenAt, q.Var("element"), null),
              entry: q.Select(entryAt, q.Var("element")),
              // A ledger entry whose token_ref is missing or not a token must not block the
              // cleanup forever (every run would fail on the same first page), and must never
              // make it delete some other kind of document: such a token counts as gone.
              tokenLive: tokenLiveFql(q.Var("token")),
              entryLive: q.Exists(q.Var("entry")),
            },
            q.Do(
              q.If(q.Var("tokenLive"), q.Delete(q.Var("token")), null),
              q.If(q.Var("entryLive"), q.Delete(q.Var("entry")), null),
              // [token deleted, ledger deleted, ledger deleted but its token was already gone]
              [q.Var("tokenLive"), q.Var("entryLive"), q.If(q.Var("tokenLive"), false, q.Var("entryLive"))],
            ),
          ),
        ),
      ),
    },
    {
      entries: q.Count(q.Var("results")),
      tokensDeleted: countTrue(0),
      ledgerEntriesDeleted: countTrue(1),
      tokensAlreadyGone: countTrue(2),
      more: q.ContainsPath("after", q.Var("page")),
    },
  );
}

function countTrue(at: number): faunadb.Expr {
  return q.Count(q.Filter(q.Var("results"), q.Lambda("r", q.Select(at, q.Var("r")))));
}

/** Narrows a query result to `PageDeleteCounts`, so a shape drift fails loudly instead of counting NaN. */
export function asPageDeleteCounts(value: unknown): PageDeleteCounts {
  const v = value as Partial<Record<keyof PageDeleteCounts, unknown>> | null;
  const ok =
    v !== null &&
    typeof v === "object" &&
    typeof v.entries === "number" &&
    typeof v.tokensDeleted === "number" &&
    typeof v.ledgerEntriesDeleted === "number" &&
    typeof v.tokensAlreadyGone === "number" &&
    typeof v.more === "boolean";
  if (!ok) throw new DatabaseError("unexpected_result");
  return v as PageDeleteCounts;
}
