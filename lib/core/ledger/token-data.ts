/**
 * What the exchange writes on a token document besides its user and ttl: the verified
 * claims TOKEN_CLAIMS names, under `data.claims`. They live and die with the token, and a
 * role's membership predicate reads them through `Get(CurrentToken())`
 * (lib/core/schema/claim-roles.ts), which is why their place is spelled once, here.
 */

/** The claims' place on a token document. */
export const TOKEN_CLAIMS_FIELD = ["data", "claims"] as const;

/** The `data` of `Create(Tokens(), …)`: the claims, or nothing at all when there are none. */
export function tokenDataParams(claims: Record<string, unknown> | undefined): { data?: Record<string, unknown> } {
  const [, name] = TOKEN_CLAIMS_FIELD;
  return claims ? { data: { [name]: claims } } : {};
}
