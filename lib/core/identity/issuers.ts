/**
 * Several issuers at once. A token is verified by the one issuer its `iss` names, and only
 * by it: the unverified payload's `iss` chooses the verifier (jwt.ts, with that issuer's
 * own key cache), which then checks everything, `iss` included. With one issuer nothing is
 * chosen and the verification is exactly jwt.ts's.
 *
 * Who a token's user is (`userKey`, the users index's term): the first issuer's users by
 * their bare `sub`, so a deployment that adds issuers changes nothing for its users; any
 * other issuer's by `<iss>#<sub>`, so one `sub` from two issuers is two users. Issuers
 * hold no `#` (config/issuers.ts), so a key names its issuer unambiguously; a first-issuer
 * `sub` that starts with another issuer's `<iss>#` could pass for that issuer's user and
 * is refused.
 */
import type { JwtConfig } from "../config/load.ts";
import { JwtIssuerInvalid, JwtSubInvalid } from "../errors/index.ts";
import { createJwtVerifier, type JwtVerifier, type JwtVerifierOptions, type VerifiedJwt } from "./jwt.ts";

/** Which issuer vouched for a token, and which user document it names. */
export interface IssuedIdentity {
  /** The verified `iss`. */
  issuer: string;
  /** The users index's term (`data.auth0_id`): `sub`, or `<iss>#<sub>` for any issuer but the first. */
  userKey: string;
}

export type IdentifiedJwt = VerifiedJwt & IssuedIdentity;

export interface IdentityVerifier {
  verify(token: string, opts?: Parameters<JwtVerifier["verify"]>[1]): Promise<IdentifiedJwt>;
}

/** The longest `iss` reported when it names no configured issuer (it is not verified: a bound on what a stranger can write into a log). */
const MAX_REPORTED_ISS = 256;

/** The user key of `sub` from the issuer at position `index` of the configured ones. */
export function userKeyOf(issuers: readonly { issuer: string }[], index: number, sub: string): string {
  return index === 0 ? sub : `${issuers[index]!.issuer}#${sub}`;
}

/** The payload's `iss`, read without verifying anything; undefined when there is no readable payload. */
function unverifiedIssuer(token: string): { iss: unknown } | undefined {
  const parts = typeof token === "string" ? token.split(".") : [];
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown;
    return typeof payload === "object" && payload !== null && !Array.isArray(payload) ? { iss: (payload as { iss?: unknown }).iss } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A verifier over every configured issuer (the first is the one keyed by bare `sub`).
 * An `iss` that names none of them is `JwtIssuerInvalid` before any key is looked up:
 * there is no key to check it with. Its `received` is that unverified `iss` (bounded), for
 * the operator's log only, marked `unverified`; the client is told only that the issuer
 * is not trusted.
 */
export function createIdentityVerifier(issuers: readonly JwtConfig[], opts: JwtVerifierOptions = {}): IdentityVerifier {
  const verifiers = issuers.map((c) => createJwtVerifier(c, opts));
  const names = issuers.map((c) => c.issuer);
  const otherPrefixes = names.slice(1).map((n) => `${n}#`);

  const identify = (verified: VerifiedJwt, index: number): IdentifiedJwt => {
    if (index === 0 && otherPrefixes.some((p) => verified.sub.startsWith(p))) throw new JwtSubInvalid("another_issuers_key");
    return { ...verified, issuer: names[index]!, userKey: userKeyOf(issuers, index, verified.sub) };
  };

  return {
    async verify(token, v) {
      if (verifiers.length === 1) return identify(await verifiers[0]!.verify(token, v), 0);
      const claimed = unverifiedIssuer(token);
      // Not a readable JWS: any verifier says what is wrong with it (malformed, a JWE, opaque).
      if (!claimed) return identify(await verifiers[0]!.verify(token, v), 0);
      const index = typeof claimed.iss === "string" ? names.indexOf(claimed.iss) : -1;
      if (index < 0) {
        const received = typeof claimed.iss === "string" ? claimed.iss.slice(0, MAX_REPORTED_ISS) : claimed.iss === undefined ? undefined : typeof claimed.iss;
        throw new JwtIssuerInvalid({ expected: names, received, unverified: true });
      }
      return identify(await verifiers[index]!.verify(token, v), index);
    },
  };
}
