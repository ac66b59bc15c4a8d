/**
 * JWT verification: header sanity → key (JWKS cache or PEM) → signature and
 * claims (jsonwebtoken) → the claims the exchange depends on. Only the
 * configured asymmetric algorithms are accepted; `jku`, `x5u`, `x5c` and an
 * embedded `jwk` header are never looked at, so a token cannot name its own key.
 *
 * Failures are typed: `InvalidToken` (401: the client should sign in again) only
 * when the token is at fault; a JWKS that cannot be fetched is
 * `IdentityProviderUnavailable` (503, retry), one whose URL is wrong `Misconfigured`.
 */
import { createPublicKey } from "node:crypto";
import jwt from "jsonwebtoken";
import type { JwtConfig } from "../config/load.ts";
import { InvalidToken, JwksNoMatchingKey, JwtAlgorithmNotAllowed, JwtAudienceInvalid, JwtClaimMissing, JwtCritUnsupported, JwtExpired, JwtIssuerInvalid, JwtMalformed, JwtNotSigned, JwtNotYetValid, JwtSignatureInvalid, JwtSubInvalid, JwtIatInvalid, Misconfigured } from "../errors/index.ts";
import { jwksKeyLookup, type JwksOptions, type KeyLookup } from "./jwks.ts";
import { Deadline } from "../deadline.ts";

export { describeJwksFailure } from "./jwks.ts";

/** Tolerates small clock drift between the identity provider and us for `nbf`/`exp`. */
export const CLOCK_TOLERANCE_SECONDS = 5;
/** Far above any real Auth0 token; stops pathological inputs before any parsing. */
export const MAX_JWT_LENGTH = 12 * 1024;

export type JwtClaims = Record<string, unknown> & { sub: string; exp: number };

export interface VerifiedJwt {
  sub: string;
  /** Seconds since the epoch. */
  exp: number;
  claims: JwtClaims;
}

export interface JwtVerifier {
  /**
   * Resolves with the verified claims or rejects with an `InvalidToken`, an
   * `IdentityProviderUnavailable` (the JWKS could not be fetched: try again), or a
   * `Misconfigured` (the JWKS URL answers 4xx or redirects). A JWKS fetch the verification
   * has to make ends by `deadline` (the request's); `timeoutMs` is the same as a deadline
   * that many ms from now.
   */
  verify(token: string, opts?: { nowSeconds?: number; deadline?: Deadline; timeoutMs?: number }): Promise<VerifiedJwt>;
}

export type JwtVerifierOptions = JwksOptions;

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

interface Header {
  alg: string;
  kid?: string;
}

function readHeader(token: string): Header {
  if (token.length > MAX_JWT_LENGTH) throw new JwtMalformed();
  if (!COMPACT_JWS.test(token)) {
    if (COMPACT_JWE.test(token)) throw new JwtNotSigned("encrypted");
    if (token !== "" && !token.includes(".")) throw new JwtNotSigned("opaque");
    throw new JwtMalformed();
  }
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString("utf8"));
  } catch {
    throw new JwtMalformed();
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new JwtMalformed();
  const h = header as Record<string, unknown>;
  if (Object.hasOwn(h, "crit")) throw new JwtCritUnsupported("crit");
  if (Object.hasOwn(h, "b64")) throw new JwtCritUnsupported("b64");
  const { alg, kid } = h;
  if (typeof alg !== "string") throw new JwtMalformed();
  if (kid !== undefined && (typeof kid !== "string" || kid.length === 0 || kid.length > 256)) throw new JwtMalformed();
  return { alg, ...(kid !== undefined ? { kid } : {}) };
}

function pemKeyLookup(pem: string): KeyLookup {
  const keys = [{ key: createPublicKey(pem) }];
  return () => keys;
}

/**
 * What jsonwebtoken's failures mean. Expiry and `nbf` have their own classes; a bad
 * signature is a plain JsonWebTokenError whose fixed message is the only thing that says
 * so (no class, no field): the one message read here, pinned by the jwt tests to the
 * version in use. Anything else it refuses is malformed.
 */
function fromJsonWebTokenError(e: unknown): InvalidToken {
  if (e instanceof jwt.TokenExpiredError) return new JwtExpired();
  if (e instanceof jwt.NotBeforeError) return new JwtNotYetValid();
  if (e instanceof jwt.JsonWebTokenError && e.message === "invalid signature") return new JwtSignatureInvalid();
  return new JwtMalformed();
}

/**
 * `aud` then `iss`, checked here rather than by jsonwebtoken (which would say so only in
 * English) and in its order: after the signature, `nbf` and `exp`, so what the token
 * carried is authentic and can be reported. As jsonwebtoken does, a token passes when any
 * of its audiences is one of ours.
 */
function checkAudienceAndIssuer(payload: unknown, config: JwtConfig): void {
  const claims = (typeof payload === "object" && payload !== null ? payload : {}) as Record<string, unknown>;
  const received = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
  if (!received.some((a) => typeof a === "string" && config.audiences.includes(a))) {
    throw new JwtAudienceInvalid({ expected: config.audiences, received: claims.aud });
  }
  if (claims.iss !== config.issuer) throw new JwtIssuerInvalid({ expected: config.issuer, received: claims.iss });
}

/**
 * What no `sub` may hold, by Unicode general category: controls (Cc: C0, DEL, C1), format
 * characters (Cf: the bidi controls U+202A–202E and U+2066–2069, U+200E/200F, U+061C, the
 * zero-width U+200B–200D, U+2060, U+FEFF, and the like), the line and paragraph separators
 * (Zl, Zp: U+2028, U+2029) and unpaired surrogates (Cs). No identity provider issues such
 * ids; in a log line or an admin screen they forge lines or disguise one user as another.
 */
const INVISIBLE_IN_SUB = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
/** The longest `sub` accepted (Auth0's are well under 100 characters). */
const MAX_SUB_LENGTH = 255;

/**
 * `iat`, when present, must be a time no later than now + the clock tolerance: a number of
 * seconds, finite, not negative (and so within what a date can hold, since it is not later
 * than now). A JWT issued in the future would never be "issued at or before" a sign-out.
 */
export function checkIssuedAt(iat: unknown, nowSeconds: number): void {
  if (iat === undefined) return;
  if (typeof iat !== "number" || !Number.isFinite(iat) || iat < 0) throw new JwtIatInvalid("not_a_time");
  if (iat > nowSeconds + CLOCK_TOLERANCE_SECONDS) throw new JwtIatInvalid("future");
}

function checkClaims(payload: unknown, nowSeconds: number): VerifiedJwt {
  if (typeof payload !== "object" || payload === null) throw new JwtMalformed();
  const claims = payload as Record<string, unknown>;
  if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) throw new JwtClaimMissing("exp");
  checkIssuedAt(claims.iat, nowSeconds);
  const sub = claims.sub;
  if (typeof sub !== "string" || sub.length === 0) throw new JwtClaimMissing("sub");
  if (sub.length > MAX_SUB_LENGTH) throw new JwtSubInvalid("too_long");
  if (INVISIBLE_IN_SUB.test(sub)) throw new JwtSubInvalid("invisible_character");
  return { sub, exp: claims.exp, claims: claims as JwtClaims };
}

export function createJwtVerifier(config: JwtConfig, opts: JwtVerifierOptions = {}): JwtVerifier {
  let lookup: KeyLookup;
  if (config.publicKeyPem) lookup = pemKeyLookup(config.publicKeyPem);
  else if (config.jwksUri) {
    lookup = jwksKeyLookup(config.jwksUri, {
      ...(config.jwksMaxAgeSeconds !== undefined ? { keyCacheMaxAgeMs: config.jwksMaxAgeSeconds * 1000 } : {}),
      ...opts,
    });
  }
  else throw new Misconfigured(["the JWT configuration names neither a JWKS URL nor a public key"]);
  const algorithms = [...config.algorithms];
  const jwksMode = !config.publicKeyPem;

  return {
    async verify(token, v = {}) {
      if (typeof token !== "string") throw new JwtMalformed();
      const header = readHeader(token);
      // Checked before any key lookup so a forged alg costs no JWKS fetch.
      if (!(algorithms as string[]).includes(header.alg)) throw new JwtAlgorithmNotAllowed();
      const found = lookup(header.kid, v.deadline ?? (v.timeoutMs !== undefined ? Deadline.after(v.timeoutMs) : undefined));
      const keys = Array.isArray(found) ? found : await found;
      // Which of several keys signed it is exactly what a kid says; guessing would let a
      // rotation turn into signature failures.
      if (jwksMode && header.kid === undefined && keys.length > 1) {
        throw new JwtMalformed("The token has no kid, and the identity provider publishes several keys: a kid is required.");
      }
      const signing = keys[0];
      if (!signing) throw new JwksNoMatchingKey();
      // A JWK that declares its algorithm may only verify that algorithm.
      if (signing.alg !== undefined && signing.alg !== header.alg) throw new JwtAlgorithmNotAllowed();
      let payload: unknown;
      try {
        payload = jwt.verify(token, signing.key, {
          algorithms,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          ...(v.nowSeconds !== undefined ? { clockTimestamp: v.nowSeconds } : {}),
        });
      } catch (e) {
        throw fromJsonWebTokenError(e);
      }
      checkAudienceAndIssuer(payload, config);
      return checkClaims(payload, v.nowSeconds ?? Math.floor(Date.now() / 1000));
    },
  };
}
