/**
 * A deployment of the layout before ledger v2, as `deploy-schema --with-users` created it:
 * the ledger collection, its expiry and by-user indexes serialized (FaunaDB's default), the
 * users collection and its unique index; no live-tokens index, no sign-outs.
 */
import faunadb from "faunadb";
import { DEFAULT_USERS_COLLECTION, DEFAULT_USERS_INDEX, LEDGER_COLLECTION, LEDGER_INDEX } from "../../lib/core/ledger/layout.ts";

const q = faunadb.query;

export async function deployEarlierLayout(admin: faunadb.Client): Promise<void> {
  await admin.query(q.Do(q.CreateCollection({ name: LEDGER_COLLECTION, history_days: 0 }), q.CreateCollection({ name: DEFAULT_USERS_COLLECTION })));
  const { byExpiration, byUser } = LEDGER_INDEX;
  await admin.query(
    q.Do(
      q.CreateIndex({ name: byExpiration.name, source: q.Collection(LEDGER_COLLECTION), values: byExpiration.values, unique: false, serialized: true }),
      q.CreateIndex({ name: byUser.name, source: q.Collection(LEDGER_COLLECTION), terms: byUser.terms, values: byUser.values, unique: false, serialized: true }),
      q.CreateIndex({ name: DEFAULT_USERS_INDEX, source: q.Collection(DEFAULT_USERS_COLLECTION), terms: [{ field: ["data", "auth0_id"] }], unique: true, serialized: true }),
    ),
  );
}
