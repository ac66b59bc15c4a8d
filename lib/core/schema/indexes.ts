/**
 * Indexes as deploy-schema sees them: the parameters it creates one with, how a deployed
 * one compares with its definition (a conflict, or only a `serialized` flag an earlier
 * version set, which `--migrate` changes in place), and waiting until FaunaDB has built
 * them (a new index over more than 128 documents builds in the background; until then
 * every read of it fails "Index 'X' is not active.").
 */
import faunadb from "faunadb";
import { TOKENS_SOURCE, type IndexDefinition } from "../ledger/layout.ts";
import { queryBefore } from "../fauna/client.ts";
import { DEFAULT_QUERY_TIMEOUT_MS } from "../budgets.ts";
import { Deadline } from "../deadline.ts";
import { stable } from "./stable.ts";

const q = faunadb.query;

/** FaunaDB builds an index over at most this many documents in the transaction that creates it. */
export const SYNC_BUILD_LIMIT = 128;

/** An index document as `Get(Index(name))` returns it. */
export interface ExistingIndex {
  source?: unknown;
  terms?: unknown;
  values?: unknown;
  unique?: unknown;
  serialized?: unknown;
  active?: unknown;
}

/** FQL: the collection (or `Tokens()`) an index definition reads. */
export function sourceFql(source: string): faunadb.Expr {
  return source === TOKENS_SOURCE ? q.Tokens() : q.Collection(source);
}

export function indexParams(i: IndexDefinition): Record<string, unknown> {
  return {
    name: i.name,
    source: sourceFql(i.source),
    ...(i.terms.length > 0 ? { terms: i.terms } : {}),
    ...(i.values.length > 0 ? { values: i.values } : {}),
    unique: i.unique,
    serialized: i.serialized,
  };
}

/**
 * Terms or values as one comparable text: every key of every entry (`field`, `reverse`,
 * `transform`, `binding`, and any other), only FaunaDB's own defaults made explicit (a
 * `field` path given as one string, `reverse` false when absent): a `transform` such as
 * `casefold` or a binding changes what the index holds as surely as another field does.
 */
function normalizeFields(fields: unknown): string {
  const list = fields == null ? [] : Array.isArray(fields) ? fields : [fields];
  return `[${list
    .map((f) => {
      // Driver values (a stored entry may hold any) in their wire form.
      const e = (f && typeof f === "object" ? JSON.parse(JSON.stringify(f)) : { field: f }) as Record<string, unknown>;
      if (e.field !== undefined && !Array.isArray(e.field)) e.field = [e.field];
      e.reverse = e.reverse === true;
      return stable(e);
    })
    .join(",")}]`;
}

function sourceName(source: unknown): string {
  if (source instanceof faunadb.values.Ref) return source.collection === undefined && source.id === "tokens" ? TOKENS_SOURCE : source.id;
  return JSON.stringify(source);
}

/** Human-readable differences between a deployed index and its definition that only a new index can fix (empty when none). */
export function indexDifferences(def: IndexDefinition, existing: ExistingIndex): string[] {
  const diffs: string[] = [];
  if (sourceName(existing.source) !== def.source) diffs.push(`source is ${sourceName(existing.source)}, expected ${def.source}`);
  if (normalizeFields(existing.terms) !== normalizeFields(def.terms)) {
    diffs.push(`terms are ${normalizeFields(existing.terms)}, expected ${normalizeFields(def.terms)}`);
  }
  if (normalizeFields(existing.values) !== normalizeFields(def.values)) {
    diffs.push(`values are ${normalizeFields(existing.values)}, expected ${normalizeFields(def.values)}`);
  }
  if ((existing.unique === true) !== def.unique) diffs.push(`unique is ${existing.unique === true}, expected ${def.unique}`);
  return diffs;
}

/** FaunaDB's default when an index says nothing. */
const serializedOf = (existing: ExistingIndex): boolean => existing.serialized !== false;

/** The `serialized` change a deployed index needs, said as `serialized: true → false`, or null. */
export function serializedChange(def: IndexDefinition, existing: ExistingIndex): string | null {
  const now = serializedOf(existing);
  return now === def.serialized ? null : `serialized: ${now} → ${def.serialized}`;
}

/** FQL: the update `serializedChange` asks for, in place (FaunaDB lets `serialized` change; no entry is rewritten). */
export function updateSerializedFql(def: IndexDefinition): faunadb.Expr {
  return q.Update(q.Index(def.name), { serialized: def.serialized });
}

/** FQL: whether a new index over `source` would be built in the background (more than SYNC_BUILD_LIMIT documents). */
export function buildsInBackgroundFql(source: string): faunadb.Expr {
  const set = source === TOKENS_SOURCE ? q.Tokens() : q.Documents(q.Collection(source));
  return q.GT(q.Count(q.Select("data", q.Paginate(set, { size: SYNC_BUILD_LIMIT + 1 }))), SYNC_BUILD_LIMIT);
}

export interface WaitOptions {
  /** Give up after this long (0: only look once). */
  timeoutMs: number;
  /** Time between two looks. */
  pollMs: number;
  /** Told the indexes still building and how long it has waited, after each look that found some. */
  onWait?: ((building: readonly string[], waitedMs: number) => void) | undefined;
}

/**
 * Waits until every named index is active; resolves with those still building when
 * `timeoutMs` has passed (empty: all active). An index that does not exist counts as active
 * (nothing to wait for; deploy-schema has just created or found every one it names).
 */
export async function waitForIndexes(client: faunadb.Client, names: readonly string[], o: WaitOptions): Promise<string[]> {
  const started = Date.now();
  for (;;) {
    const active = await queryBefore<boolean[]>(
      client,
      names.map((n) => q.If(q.Exists(q.Index(n)), q.Select("active", q.Get(q.Index(n)), true), true)),
      Deadline.after(DEFAULT_QUERY_TIMEOUT_MS),
    );
    const building = names.filter((_, i) => active[i] !== true);
    const waited = Date.now() - started;
    if (building.length === 0) return [];
    o.onWait?.(building, waited);
    if (waited + o.pollMs > o.timeoutMs) return building;
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
}
