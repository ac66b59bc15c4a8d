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
 *
 * And only on the word of an issuer the role names: the token's `data.issuer` (the verified
 * `iss` the exchange wrote next to the claims) must be one of them. With several identity
 * providers a claim's name means what its issuer means by it; another issuer's
 * `permissions: ["read:orders"]` is not this one's.
 */
import faunadb from "faunadb";
import { TOKEN_CLAIMS_FIELD, TOKEN_ISSUER_FIELD } from "../ledger/token-data.ts";
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
  /** The issuers whose tokens' claims the role trusts (a token's `data.issuer` must be one). */
  issuers: string[];
  /** The claim's path under `data.claims`: a TOKEN_CLAIMS name, then keys inside it if it is an object. */
  claim: string[];
  test: ClaimTest;
  privileges: { resource: RoleResource; actions: Record<string, boolean> }[];
}

/**
 * `Query(Lambda("ref", …))`: whether the secret's token was issued on the word of one of
 * `issuers` and carries the claim as `test` wants it. The token is read once.
 */
export function claimMembershipPredicate(issuers: readonly string[], claim: readonly string[], test: ClaimTest): faunadb.Expr {
  const token = q.Var("token");
  const holds =
    "contains" in test ? q.If(q.IsArray(q.Var("claim")), q.ContainsValue(test.contains, q.Var("claim")), false) : q.Equals(q.Var("claim"), test.equals);
  const trusted = q.If(q.IsString(q.Var("issuer")), q.ContainsValue(q.Var("issuer"), [...issuers]), false);
  return q.Query(
    q.Lambda(
      "ref",
      q.If(
        q.HasCurrentToken(),
        q.Let(
          { token: q.Get(q.CurrentToken()), issuer: q.Select([...TOKEN_ISSUER_FIELD], token, null) },
          q.If(trusted, q.Let({ claim: q.Select([...TOKEN_CLAIMS_FIELD, ...claim], token, null) }, holds), false),
        ),
        false,
      ),
    ),
  );
}

/** The role as deploy-schema creates and drift-checks it (role.ts). */
export function claimRoleDefinition(r: ClaimRole): RoleDefinition {
  return {
    name: r.name,
    membership: [r.collection],
    membershipPredicate: claimMembershipPredicate(r.issuers, r.claim, r.test),
    privileges: r.privileges.map((p) => ({ resource: p.resource, actions: p.actions as Record<string, RoleAction> })),
  };
}
