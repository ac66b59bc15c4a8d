/**
 * Roles whose membership is a condition on the claims the exchange copied onto the secret's
 * token (TOKEN_CLAIMS → `data.claims`, lib/core/ledger/token-data.ts): the pattern of
 * Fauna's refresh-token blueprint, a membership predicate over `Get(CurrentToken())`.
 *
 * The predicate is false, never an error, for a caller that is not a token: a key scoped
 * to a document (`secret:@doc/users/1`) has that document as its identity and so is
 * considered for the users' roles, but has no token to read (`CurrentToken()` fails).
 * Conditions only grant on what is there (an array that contains a value, a value that
 * equals one): a claim that is missing, or was left out for size, grants nothing.
 */
import faunadb from "faunadb";
import { TOKEN_CLAIMS_FIELD } from "../ledger/token-data.ts";
import type { RoleDefinition, RoleResource, RoleAction } from "./role.ts";

const q = faunadb.query;

/** A value a claim is compared with: JSON scalars only (FaunaDB compares literals exactly). */
export type ClaimValue = string | number | boolean;

/** `contains`: the claim is an array holding the value; `equals`: the claim is the value. */
export type ClaimTest = { contains: ClaimValue } | { equals: ClaimValue };

export interface ClaimRole {
  name: string;
  /** The collection whose documents may be members (the users collection). */
  collection: string;
  /** The claim's path under `data.claims`: a TOKEN_CLAIMS name, then keys inside it if it is an object. */
  claim: string[];
  test: ClaimTest;
  privileges: { resource: RoleResource; actions: Record<string, boolean> }[];
}

/** `Query(Lambda("ref", …))`: whether the secret's token carries the claim as `test` wants it. */
export function claimMembershipPredicate(claim: readonly string[], test: ClaimTest): faunadb.Expr {
  const value = q.Select([...TOKEN_CLAIMS_FIELD, ...claim], q.Get(q.CurrentToken()), null);
  const holds =
    "contains" in test ? q.If(q.IsArray(q.Var("claim")), q.ContainsValue(test.contains, q.Var("claim")), false) : q.Equals(q.Var("claim"), test.equals);
  return q.Query(q.Lambda("ref", q.If(q.HasCurrentToken(), q.Let({ claim: value }, holds), false)));
}

/** The role as deploy-schema creates and drift-checks it (role.ts). */
export function claimRoleDefinition(r: ClaimRole): RoleDefinition {
  return {
    name: r.name,
    membership: [r.collection],
    membershipPredicate: claimMembershipPredicate(r.claim, r.test),
    privileges: r.privileges.map((p) => ({ resource: p.resource, actions: p.actions as Record<string, RoleAction> })),
  };
}
