/**
 * The ledger's layout: the collection, the fields of an entry, and its indexes' terms and
 * values, as data. deploy-schema creates exactly these (lib/core/schema/deploy.ts), and
 * every position inside an index entry is derived from them here (`positionIn`), so that
 * changing an index is a change to this file and fql.ts beside it, and nowhere else.
 *
 * The users collection and its index belong to the application; the ledger names the
 * user by ref, and finds it by `sub` through that index (its term, `data.auth0_id`, is
 * spelled here too).
 */
import { InvalidArgument } from "../errors/index.ts";

export const LEDGER_COLLECTION = "auth0_token_exchanges";
export const LEDGER_BY_EXPIRATION_INDEX = "auth0_token_exchanges_by_expiration";
export const LEDGER_BY_USER_INDEX = "auth0_token_exchanges_by_user";
export const DEFAULT_USERS_COLLECTION = "users";
export const DEFAULT_USERS_INDEX = "users_by_auth0_id";

/** One ledger document's `data`, as the exchange writes it. Never the secret. */
export interface LedgerFields<T = unknown> {
  /** The token document (`Ref(Tokens(), …)`). */
  token_ref: T;
  /** The user document the token acts as. */
  user_ref: T;
  /** A Fauna Time, equal to the token's `ttl`. */
  expires_at: T;
  issued_at: T;
  /** Present only when there is custom metadata. */
  meta?: Record<string, unknown>;
}

/** Paths of the fields the indexes read. */
export const FIELD = {
  tokenRef: ["data", "token_ref"],
  userRef: ["data", "user_ref"],
  expiresAt: ["data", "expires_at"],
  /** The ledger document's own ref. */
  ref: ["ref"],
  /** A user document's `sub` (the users index's term). */
  userSub: ["data", "auth0_id"],
} as const satisfies Record<string, readonly string[]>;

export interface IndexField {
  field: string[];
  reverse?: boolean;
}

export interface IndexDefinition {
  name: string;
  /** Name of the source collection. */
  source: string;
  terms: IndexField[];
  values: IndexField[];
  unique: boolean;
  /** FaunaDB's `serialized`: reads of the index see every write before them. */
  serialized: boolean;
}

const by = (path: readonly string[]): IndexField => ({ field: [...path] });

export const LEDGER_INDEX = {
  /**
   * Ordered by expiry, so `Range(…, [], [Now()])` is exactly the expired prefix; each entry
   * carries everything the cleanup deletes, so it reads no document to know what to delete.
   */
  byExpiration: {
    name: LEDGER_BY_EXPIRATION_INDEX,
    source: LEDGER_COLLECTION,
    terms: [],
    values: [by(FIELD.expiresAt), by(FIELD.tokenRef), by(FIELD.ref)],
    unique: false,
    serialized: true,
  },
  /**
   * A user's entries, sorted by token ref (token ids grow with time, so newest last):
   * revocation, and the live-secret bound of the exchange.
   */
  byUser: {
    name: LEDGER_BY_USER_INDEX,
    source: LEDGER_COLLECTION,
    terms: [by(FIELD.userRef)],
    values: [by(FIELD.tokenRef), by(FIELD.ref)],
    unique: false,
    serialized: true,
  },
} as const satisfies Record<string, IndexDefinition>;

export type LedgerIndex = (typeof LEDGER_INDEX)[keyof typeof LEDGER_INDEX];

export const LEDGER_INDEXES: readonly IndexDefinition[] = [LEDGER_INDEX.byExpiration, LEDGER_INDEX.byUser];

/**
 * The ledger keeps no history: an entry is written once and deleted once, nothing reads
 * its past versions, and FaunaDB would otherwise keep every deleted entry for 30 days
 * (storage, and work for the cleanup's deletes).
 */
export const LEDGER_COLLECTION_PARAMS = { name: LEDGER_COLLECTION, history_days: 0 } as const;

/**
 * The application's users index: unique on the term alone, so a second user document for
 * one `sub` is refused, which is what settles two concurrent first exchanges. No values:
 * its entries are the users' refs.
 */
export function usersIndexDefinition(usersCollection = DEFAULT_USERS_COLLECTION, usersIndex = DEFAULT_USERS_INDEX): IndexDefinition {
  return { name: usersIndex, source: usersCollection, terms: [by(FIELD.userSub)], values: [], unique: true, serialized: true };
}

/** Where `field` sits in the entries of `index`. */
export function positionIn(index: IndexDefinition, field: readonly string[]): number {
  const at = index.values.findIndex((v) => v.field.join(".") === field.join("."));
  if (at < 0) throw new InvalidArgument(`${index.name} carries no ${field.join(".")}`);
  return at;
}
