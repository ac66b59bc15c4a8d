/**
 * What the exchange writes on a token document besides its user and ttl: the verified
 * claims TOKEN_CLAIMS names, under `data.claims`, and next to them the issuer that vouched
 * for them, `data.issuer` (the JWT's verified `iss`). They live and die with the token, and
 * a role's membership predicate reads them through `Get(CurrentToken())`
 * (lib/core/schema/claim-roles.ts), which is why their places are spelled once, here.
 *
 * The issuer is written only with claims: it says whose word the claims are (with several
 * identity providers, `permissions: ["read:orders"]` means what its issuer means by it), and a
 * token without claims carries no authority to attribute, so its shape stays as it was.
 */

/** The claims' place on a token document. */
export const TOKEN_CLAIMS_FIELD = ["data", "claims"] as const;
/** The place of the issuer that vouched for them. */
export const TOKEN_ISSUER_FIELD = ["data", "issuer"] as const;

/** The `data` of `Create(Tokens(), …)`: the claims and their issuer, or nothing at all when there are no claims. */
export function tokenDataParams(claims: Record<string, unknown> | undefined, issuer: string | undefined): { data?: Record<string, unknown> } {
  const [, claimsName] = TOKEN_CLAIMS_FIELD;
  const [, issuerName] = TOKEN_ISSUER_FIELD;
  return claims ? { data: { [claimsName]: claims, ...(issuer !== undefined ? { [issuerName]: issuer } : {}) } } : {};
}
