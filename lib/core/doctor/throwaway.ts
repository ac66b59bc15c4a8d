/**
 * The doctor's throw-away identity: what it needs to see a token's ttl enforced and to time
 * how long a deleted token keeps working, without touching the product's data.
 *
 * Where it lives. A token acts as a document (its identity), and the app's own collections
 * are not the place for a made-up one: a user document would show up in the app's lists,
 * its role's membership, its counts. So each run creates a collection of its own,
 * `fte_doctor_<random>` (history_days 0), holding one document, and the tokens for it.
 *
 * How it goes away. `remove` deletes the tokens, the document and the collection in one
 * query; the doctor calls it in a `finally`, and on SIGINT/SIGTERM before it exits.
 * Should that never run (the process killed outright, FaunaDB gone), nothing stays usable:
 * the document and every token carry a ttl at the end of the longest run, and a token whose
 * document is gone does not authenticate; the next run deletes collections of earlier runs
 * older than that (`sweep`). Secrets stay in memory, never in a log or an error.
 */
import faunadb from "faunadb";
import { randomBytes } from "node:crypto";
import { FAUNA_ERROR, faunaFailure } from "../fauna/failures.ts";
import { queryBefore } from "../fauna/client.ts";
import { Deadline } from "../deadline.ts";
import { DEFAULT_QUERY_TIMEOUT_MS } from "../budgets.ts";

const q = faunadb.query;

/** Every throw-away collection's name starts with this. */
export const THROWAWAY_PREFIX = "fte_doctor_";

export interface ThrowawayToken {
  ref: faunadb.values.Ref;
  /** Never printed. */
  secret: string;
}

export interface Throwaway {
  collection: string;
  identity: faunadb.values.Ref;
  tokens: ThrowawayToken[];
}

const send = <T>(client: faunadb.Client, expr: faunadb.ExprArg) => queryBefore<T>(client, expr, Deadline.after(DEFAULT_QUERY_TIMEOUT_MS));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A new collection and its one document, which lives `lifetimeSeconds` at most. The
 * document is created in a second query (FaunaDB does not let a transaction use a
 * collection it creates); a node that has not seen the new collection yet is given a
 * few more tries.
 */
export async function createThrowaway(client: faunadb.Client, lifetimeSeconds: number): Promise<Throwaway> {
  const collection = `${THROWAWAY_PREFIX}${randomBytes(6).toString("hex")}`;
  await send(client, q.CreateCollection({ name: collection, history_days: 0 }));
  const t: Throwaway = { collection, identity: null as unknown as faunadb.values.Ref, tokens: [] };
  for (let attempt = 0; ; attempt++) {
    try {
      t.identity = await send<faunadb.values.Ref>(client, q.Select("ref", q.Create(q.Collection(collection), { ttl: q.TimeAdd(q.Now(), lifetimeSeconds, "seconds") })));
      return t;
    } catch (e) {
      if (attempt >= 4 || faunaFailure(e)?.code !== FAUNA_ERROR.invalidRef) {
        await remove(client, t).catch(() => undefined);
        throw e;
      }
      await sleep(250);
    }
  }
}

/** A token for the throw-away document whose ttl is `ttlSeconds` from FaunaDB's `Now()` (negative: already passed). */
export async function createToken(client: faunadb.Client, t: Throwaway, ttlSeconds: number): Promise<ThrowawayToken> {
  const ttl = ttlSeconds >= 0 ? q.TimeAdd(q.Now(), ttlSeconds, "seconds") : q.TimeSubtract(q.Now(), -ttlSeconds, "seconds");
  const token = await send<ThrowawayToken>(client, q.Let({ t: q.Create(q.Tokens(), { instance: t.identity, ttl }) }, { ref: q.Select("ref", q.Var("t")), secret: q.Select("secret", q.Var("t")) }));
  t.tokens.push(token);
  return token;
}

/** Deletes one token (the revocation the doctor times). */
export async function deleteToken(client: faunadb.Client, token: ThrowawayToken): Promise<void> {
  await send(client, q.If(q.Exists(token.ref), q.Delete(token.ref), null));
}

/** Deletes the tokens, the document and the collection (whichever still exist), in one query. */
export async function remove(client: faunadb.Client, t: Throwaway): Promise<void> {
  await send(
    client,
    q.Do(
      ...t.tokens.map((k) => q.If(q.Exists(k.ref), q.Delete(k.ref), null)),
      q.If(q.Exists(q.Collection(t.collection)), q.Delete(q.Collection(t.collection)), null),
    ),
  );
}

/**
 * Deletes the throw-away collections of earlier runs that never cleaned up after themselves
 * (killed outright), once they are older than `olderThanSeconds` (longer than any run, so
 * a run going on elsewhere is never disturbed); returns their names. Their documents and
 * tokens have expired by then. Every page of the database's collections is looked at: an
 * app with many collections must not keep a leftover for good.
 */
export async function sweep(client: faunadb.Client, olderThanSeconds: number): Promise<string[]> {
  const swept: string[] = [];
  let after: faunadb.ExprArg | undefined;
  do {
    const page = await send<{ deleted: string[]; after: faunadb.ExprArg | null }>(
      client,
      q.Let(
        {
          cutoff: q.ToMicros(q.TimeSubtract(q.Now(), olderThanSeconds, "seconds")),
          page: q.Paginate(q.Collections(), after === undefined ? { size: SWEEP_PAGE } : { size: SWEEP_PAGE, after }),
          old: q.Filter(
            q.Select("data", q.Var("page")),
            q.Lambda("c", q.And(q.StartsWith(q.Select("id", q.Var("c")), THROWAWAY_PREFIX), q.LT(q.Select("ts", q.Get(q.Var("c"))), q.Var("cutoff")))),
          ),
        },
        q.Do(
          q.Foreach(q.Var("old"), q.Lambda("c", q.Delete(q.Var("c")))),
          { deleted: q.Map(q.Var("old"), q.Lambda("c", q.Select("id", q.Var("c")))), after: q.Select("after", q.Var("page"), null) },
        ),
      ),
    );
    swept.push(...page.deleted);
    after = page.after ?? undefined;
  } while (after !== undefined);
  return swept;
}

/** Collections looked at per query of the sweep: a read of each (its `ts`) fits FaunaDB's limits many times over. */
const SWEEP_PAGE = 1000;
