/**
 * The ledger's layout: the collection, the fields of an entry, the users' sign-outs, and
 * the indexes' terms and values, as data. deploy-schema creates exactly these (lib/core/schema/deploy.ts), and
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
export const LIVE_TOKENS_INDEX = "auth0_token_exchanges_live_tokens_by_user";
export const SIGN_OUTS_COLLECTION = "auth0_token_exchanges_sign_outs";
export const SIGN_OUTS_BY_USER_INDEX = "auth0_token_exchanges_sign_outs_by_user";
/** An index definition's `source` when it is FaunaDB's native `Tokens()` collection, not a collection of ours. */
export const TOKENS_SOURCE = "Tokens()";
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
  /**
   * The user's latest sign-out (a Fauna Time) that the exchange checked the JWT against
   * (its `iat` was after it); absent when the user had never signed out. Revocation
   * spares exactly the entries whose check saw its own sign-out: a new sign-in.
   */
  after_sign_out?: T;
  /** The `iss` of the JWT the secret was exchanged for (configuration, never personal data). */
  issuer?: T;
  /** Present only when there is custom metadata. */
  meta?: Record<string, unknown>;
}

/** Paths of the fields the indexes read. */
export const FIELD = {
  tokenRef: ["data", "token_ref"],
  userRef: ["data", "user_ref"],
  expiresAt: ["data", "expires_at"],
  afterSignOut: ["data", "after_sign_out"],
  /** The ledger document's own ref (and a sign-out's, and a token's). */
  ref: ["ref"],
  /** A user document's `sub` (the users index's term). */
  userSub: ["data", "auth0_id"],
  /** A sign-out's instant (its user is `userRef`). */
  signedOutAt: ["data", "signed_out_at"],
  /** A token document's user, and its expiry. */
  instance: ["instance"],
  ttl: ["ttl"],
} as const satisfies Record<string, readonly string[]>;

export interface IndexField {
  field: string[];
  reverse?: boolean;
}

export interface IndexDefinition {
  name: string;
  /** Name of the source collection, or TOKENS_SOURCE. */
  source: string;
  terms: IndexField[];
  values: IndexField[];
  unique: boolean;
  /** FaunaDB's `serialized`: a read of the index is validated at commit (per partition on a cluster). */
  serialized: boolean;
}

const by = (path: readonly string[]): IndexField => ({ field: [...path] });

export const LEDGER_INDEX = {
  /**
   * Ordered by expiry, so `Range(…, [], [Now()])` is exactly the expired prefix; each entry
   * carries everything the cleanup deletes, so it reads no document to know what to delete.
   * Not serialized: without terms it spans 8 partitions on a cluster, one of which every
   * exchange writes, so a serialized read of it by the cleanup would contend with every
   * concurrent sign-in. The cleanup needs no validated read of it: it re-checks each entry
   * (`Exists`, a document read, which is validated) in the transaction that deletes it.
   */
  byExpiration: {
    name: LEDGER_BY_EXPIRATION_INDEX,
    source: LEDGER_COLLECTION,
    terms: [],
    values: [by(FIELD.expiresAt), by(FIELD.tokenRef), by(FIELD.ref)],
    unique: false,
    serialized: false,
  },
  /**
   * A user's entries, sorted by token ref: revocation. Not serialized: a sign out
   * everywhere pages it while the same user keeps signing in (each sign-in writes an entry);
   * the sign-out barrier, not this read, makes revocation complete (lib/core/revoke.ts).
   */
  byUser: {
    name: LEDGER_BY_USER_INDEX,
    source: LEDGER_COLLECTION,
    terms: [by(FIELD.userRef)],
    values: [by(FIELD.tokenRef), by(FIELD.ref)],
    unique: false,
    serialized: false,
  },
  /**
   * A user's live tokens, soonest to expire first: the live-secret bound. FaunaDB keeps it
   * exact by itself (a deleted or logged-out token leaves it, an entry disappears when its
   * token's ttl passes), so counting costs index entries, not documents, whatever the
   * padding. Serialized, and partitioned by user: two concurrent exchanges of one user
   * conflict and are retried, so the bound holds under concurrency too. It counts every
   * live token of the user document, however it was made.
   */
  liveTokens: {
    name: LIVE_TOKENS_INDEX,
    source: TOKENS_SOURCE,
    terms: [by(FIELD.instance)],
    values: [by(FIELD.ttl), by(FIELD.ref)],
    unique: false,
    serialized: true,
  },
  /**
   * A user's sign-outs, newest first: the barrier every exchange reads. Serialized, per
   * user: an exchange overlapping the transaction that records a sign-out conflicts with
   * it, is retried by the server, and then sees it.
   */
  signOutsByUser: {
    name: SIGN_OUTS_BY_USER_INDEX,
    source: SIGN_OUTS_COLLECTION,
    terms: [by(FIELD.userRef)],
    values: [{ field: [...FIELD.signedOutAt], reverse: true }, by(FIELD.ref)],
    unique: false,
    serialized: true,
  },
} as const satisfies Record<string, IndexDefinition>;

export type LedgerIndex = (typeof LEDGER_INDEX)[keyof typeof LEDGER_INDEX];

export const LEDGER_INDEXES: readonly IndexDefinition[] = [LEDGER_INDEX.byExpiration, LEDGER_INDEX.byUser, LEDGER_INDEX.liveTokens, LEDGER_INDEX.signOutsByUser];

/**
 * The ledger keeps no history: an entry is written once and deleted once, nothing reads
 * its past versions, and FaunaDB would otherwise keep every deleted entry for 30 days
 * (storage, and work for the cleanup's deletes).
 */
export const LEDGER_COLLECTION_PARAMS = { name: LEDGER_COLLECTION, history_days: 0 } as const;

/** One document per user who signed out (the latest), kept while the user is: no history either. */
export const SIGN_OUTS_COLLECTION_PARAMS = { name: SIGN_OUTS_COLLECTION, history_days: 0 } as const;

/** The ledger's collections, in the order deploy-schema creates them. */
export const LEDGER_COLLECTIONS = [LEDGER_COLLECTION_PARAMS, SIGN_OUTS_COLLECTION_PARAMS] as const;

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
