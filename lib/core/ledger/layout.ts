/**
 * Names and shapes of the Fauna schema this project owns. deploy-schema creates
 * exactly these; the exchange, the cleanup and revocation read them from here so
 * a rename can never leave one of them behind.
 */
export const LEDGER_COLLECTION = "auth0_token_exchanges";
export const LEDGER_BY_EXPIRATION_INDEX = "auth0_token_exchanges_by_expiration";
export const LEDGER_BY_USER_INDEX = "auth0_token_exchanges_by_user";
export const DEFAULT_USERS_COLLECTION = "users";
export const DEFAULT_USERS_INDEX = "users_by_auth0_id";
/** FaunaDB clamps `Paginate` sizes above this: no page of ledger entries is asked for bigger. */
export const MAX_PAGE_SIZE = 100_000;
/** The least-privilege role of `deploy-schema --with-user-role`: a secret may read its own user document. */
export const USER_ROLE = "user_self";

/** Ledger document `data` as stored. `meta` is present only when there is custom metadata. */
export interface LedgerFields {
  token_ref: unknown;
  user_ref: unknown;
  expires_at: unknown;
  issued_at: unknown;
  meta?: Record<string, unknown>;
}
