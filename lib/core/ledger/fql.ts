/**
 * The FQL over the ledger: everything the exchange, revocation and the cleanup do with its
 * entries, as expressions they compose into their queries (the sign-outs are in
 * sign-outs.ts, the live-secret bound in bound.ts). Positions inside index entries come
 * from layout.ts's definitions; no other file spells one.
 *
 * Deletes are guarded by `Exists`, so that two runs working on the same entries (two
 * overlapping scheduled runs, a cleanup racing a revocation) can never fail each other
 * with "instance not found": whoever commits second finds nothing left and counts
 * nothing. A page is deleted in the query that read it, one transaction: a run that dies
 * mid-page either committed the page (token and ledger entry gone together) or did not
 * (both remain, still in the index for the next run); never one without the other.
 */
import faunadb from "faunadb";
import { DatabaseError } from "../errors/index.ts";
import { FIELD, LEDGER_COLLECTION, LEDGER_INDEX, positionIn, type LedgerFields, type LedgerIndex } from "./layout.ts";

const q = faunadb.query;

/**
 * FQL: whether `token` is a token FaunaDB still shows (not deleted, ttl not passed).
 * Anything that is not a token ref (null, a missing `token_ref`, a ref to some other
 * document) counts as "not live", so it can never be deleted as if it were a token.
 */
export function tokenLiveFql(token: faunadb.ExprArg): faunadb.Expr {
  return q.If(q.IsToken(token), q.Exists(token), false);
}

/** Where the token ref and the ledger document's ref sit in an index's entries. */
function entryPositions(index: LedgerIndex): { token: number; entry: number } {
  return { token: positionIn(index, FIELD.tokenRef), entry: positionIn(index, FIELD.ref) };
}

const BY_EXPIRATION = entryPositions(LEDGER_INDEX.byExpiration);
export const BY_USER = entryPositions(LEDGER_INDEX.byUser);

// ---------------------------------------------------------------- users

/**
 * FQL: the ref of the user whose `sub` this is, or null. Reads only the users index (no
 * document): its entries are the users' refs.
 */
export function userBySubFql(usersIndex: string, sub: faunadb.ExprArg): faunadb.Expr {
  return q.Select(["data", 0], q.Paginate(q.Match(q.Index(usersIndex), sub), { size: 1 }), null);
}

/** FQL: the ref of a new user document for `sub`. */
export function createUserFql(usersCollection: string, sub: faunadb.ExprArg): faunadb.Expr {
  const [data, name] = FIELD.userSub;
  return q.Select("ref", q.Create(q.Collection(usersCollection), { [data]: { [name]: sub } }));
}

// ---------------------------------------------------------------- writing

/**
 * FQL: write the ledger entry of one issued token (never its secret), issued now. An
 * `after_sign_out` that evaluates to null is not stored (FaunaDB drops null fields).
 */
export function writeEntryFql(e: Omit<LedgerFields<faunadb.ExprArg>, "issued_at">): faunadb.Expr {
  const data: LedgerFields<faunadb.ExprArg> = { token_ref: e.token_ref, user_ref: e.user_ref, expires_at: e.expires_at, issued_at: q.Now() };
  if (e.after_sign_out !== undefined) data.after_sign_out = e.after_sign_out;
  if (e.issuer !== undefined) data.issuer = e.issuer;
  if (e.meta) data.meta = e.meta;
  return q.Create(q.Collection(LEDGER_COLLECTION), { data });
}

// ---------------------------------------------------------------- reading and deleting

/** The expired prefix of the expiry index: live entries sort after `Now()` and are never visited. */
function expiredEntries(): faunadb.Expr {
  return q.Range(q.Match(q.Index(LEDGER_INDEX.byExpiration.name)), [], [q.Now()]);
}

/** FQL: delete the first `size` expired entries with their tokens; evaluates to `PageDeleteCounts`. */
export function deleteExpiredPageFql(size: number): faunadb.Expr {
  return deletePageFql(q.Paginate(expiredEntries(), { size }), BY_EXPIRATION);
}

/** FQL: count a page of expired entries (after `after`), and how many of their tokens are gone; deletes nothing. */
export function countExpiredPageFql(size: number, after: unknown): faunadb.Expr {
  const opts: Record<string, unknown> = { size };
  if (after !== null && after !== undefined) opts.after = after;
  return q.Let(
    { page: q.Paginate(expiredEntries(), opts) },
    {
      entries: q.Count(q.Select("data", q.Var("page"))),
      tokensAlreadyGone: q.Count(
        q.Filter(q.Select("data", q.Var("page")), q.Lambda("e", q.Not(tokenLiveFql(q.Select(BY_EXPIRATION.token, q.Var("e"), null))))),
      ),
      after: q.Select("after", q.Var("page"), null),
    },
  );
}

/** What `countExpiredPageFql` evaluates to. */
export interface ExpiredCountPage {
  entries: number;
  tokensAlreadyGone: number;
  /** The cursor of the next page, or null. */
  after: unknown;
}

/** Narrows a query result to `ExpiredCountPage`. */
export function asExpiredCountPage(value: unknown): ExpiredCountPage {
  const v = value as Partial<ExpiredCountPage> | null;
  if (!v || typeof v.entries !== "number" || typeof v.tokensAlreadyGone !== "number" || !("after" in v)) {
    throw new DatabaseError("unexpected_result");
  }
  return v as ExpiredCountPage;
}

/**
 * FQL: delete a page of a user's entries with their tokens, from the start or after the
 * cursor `after`, sparing the entries `spare` picks (given the entry document); evaluates
 * to `PageDeleteCounts` with `spared` and the next page's cursor (`after`, null at the end).
 */
export function deleteUserPageFql(
  user: faunadb.ExprArg,
  size: number,
  after: unknown,
  spare?: (entryDoc: faunadb.Expr) => faunadb.Expr,
): faunadb.Expr {
  const opts: Record<string, unknown> = { size };
  if (after !== null && after !== undefined) opts.after = after;
  return deletePageFql(q.Paginate(q.Match(q.Index(LEDGER_INDEX.byUser.name), user), opts), BY_USER, { spare, cursor: true });
}

/**
 * FQL: the entries of one token of a user (normally one), as a set. The by-user index
 * sorts its entries by token ref first, so a Range on it holds exactly this token's
 * entries however many secrets the user has.
 */
export function tokenEntriesFql(user: faunadb.ExprArg, token: faunadb.ExprArg): faunadb.Expr {
  return q.Range(q.Match(q.Index(LEDGER_INDEX.byUser.name), user), [token], [token]);
}

/** FQL: delete the entries of one token of a user (normally one), with the token; evaluates to `PageDeleteCounts`. */
export function deleteTokenEntriesFql(user: faunadb.ExprArg, token: faunadb.ExprArg): faunadb.Expr {
  return deletePageFql(q.Paginate(tokenEntriesFql(user, token), { size: 100 }), BY_USER);
}

/** FQL: delete the ledger documents of a page of the by-user index's entries, unguarded (read in this transaction). */
export function deleteEntriesOfPageFql(page: faunadb.ExprArg): faunadb.Expr {
  return q.Foreach(q.Select("data", page), q.Lambda("e", q.Delete(q.Select(BY_USER.entry, q.Var("e")))));
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
  /** Entries left alone because `spare` picked them (revocation's later batches only). */
  spared?: number;
  /** The next page's cursor, or null (revocation only). */
  after?: unknown;
}

/**
 * FQL: delete what a page of index entries points at, counting inside FQL what was
 * actually deleted (`PageDeleteCounts`), so the response stays tiny. With `spare`, an
 * entry whose document it picks is left alone with its token (one more document read
 * per entry, `Get`); with `cursor`, the page's `after` is returned.
 */
function deletePageFql(
  page: faunadb.ExprArg,
  at: { token: number; entry: number },
  o: { spare?: ((entryDoc: faunadb.Expr) => faunadb.Expr) | undefined; cursor?: boolean } = {},
): faunadb.Expr {
  // A ledger entry whose token_ref is missing or not a token must not block the cleanup
  // forever (every run would fail on the same first page), and must never make it delete
  // some other kind of document: such a token counts as gone.
  const bindings: Record<string, faunadb.ExprArg> = o.spare
    ? {
        entryExists: q.Exists(q.Var("entry")),
        spared: q.If(q.Var("entryExists"), o.spare(q.Get(q.Var("entry"))), false),
        tokenLive: q.If(q.Var("spared"), false, tokenLiveFql(q.Var("token"))),
        entryLive: q.If(q.Var("spared"), false, q.Var("entryExists")),
      }
    : { tokenLive: tokenLiveFql(q.Var("token")), entryLive: q.Exists(q.Var("entry")) };
  const counts: Record<string, faunadb.ExprArg> = {
    entries: q.Count(q.Var("results")),
    tokensDeleted: countTrue(0),
    ledgerEntriesDeleted: countTrue(1),
    tokensAlreadyGone: countTrue(2),
    more: q.ContainsPath("after", q.Var("page")),
  };
  if (o.spare) counts.spared = countTrue(3);
  if (o.cursor) counts.after = q.Select("after", q.Var("page"), null);
  return q.Let(
    {
      page,
      results: q.Map(
        q.Select("data", q.Var("page")),
        q.Lambda(
          "element",
          q.Let(
            { token: q.Select(at.token, q.Var("element"), null), entry: q.Select(at.entry, q.Var("element")), ...bindings },
            q.Do(
              q.If(q.Var("tokenLive"), q.Delete(q.Var("token")), null),
              q.If(q.Var("entryLive"), q.Delete(q.Var("entry")), null),
              // [token deleted, ledger deleted, ledger deleted but its token was already gone, spared]
              [q.Var("tokenLive"), q.Var("entryLive"), q.If(q.Var("tokenLive"), false, q.Var("entryLive")), ...(o.spare ? [q.Var("spared")] : [])],
            ),
          ),
        ),
      ),
    },
    counts,
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
    typeof v.more === "boolean" &&
    (v.spared === undefined || typeof v.spared === "number");
  if (!ok) throw new DatabaseError("unexpected_result");
  return v as PageDeleteCounts;
}
