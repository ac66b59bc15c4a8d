/**
 * JWT verification: header sanity → key (JWKS cache or PEM) → signature and
 * claims (jsonwebtoken) → the claims the exchange depends on. Only the
 * configured asymmetric algorithms are accepted; `jku`, `x5u`, `x5c` and an
 * embedded `jwk` header are never looked at, so a token cannot name its own key.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import jwksRsa from "jwks-rsa";
import type { JwtConfig } from "./config.ts";
import {
  IdentityProviderUnavailable,
  InvalidToken,
  JwksNoMatchingKey,
  JwtAlgorithmNotAllowed,
  JwtAudienceInvalid,
  JwtClaimMissing,
  JwtExpired,
  JwtIssuerInvalid,
  JwtMalformed,
  JwtNotYetValid,
  JwtSignatureInvalid,
} from "./errors.ts";

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
  /** Resolves with the verified claims or rejects with an `InvalidToken` / `IdentityProviderUnavailable`. */
  verify(token: string, opts?: { nowSeconds?: number }): Promise<VerifiedJwt>;
}

export interface JwtVerifierOptions {
  /** Upper bound on JWKS fetches caused by uncached `kid`s, per minute. Default 5. */
  jwksRequestsPerMinute?: number;
  /** How long a fetched key is trusted without refetching. Default 10 minutes. */
  keyCacheMaxAgeMs?: number;
  /** JWKS request timeout. Default 5 s: a function has about 10 s in all. */
  jwksTimeoutMs?: number;
}

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

interface Header {
  alg: string;
  kid?: string;
}

function readHeader(token: string): Header {
  if (token.length > MAX_JWT_LENGTH || !COMPACT_JWS.test(token)) throw new JwtMalformed();
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString("utf8"));
  } catch {
    throw new JwtMalformed();
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new JwtMalformed();
  const { alg, kid } = header as Record<string, unknown>;
  if (typeof alg !== "string") throw new JwtMalformed();
  if (kid !== undefined && (typeof kid !== "string" || kid.length === 0 || kid.length > 256)) throw new JwtMalformed();
  return { alg, ...(kid !== undefined ? { kid } : {}) };
}

type KeySource = (kid: string | undefined, alg: string) => Promise<KeyObject | string>;

function pemKeySource(pem: string): KeySource {
  const key = createPublicKey(pem);
  return async () => key;
}

/**
 * A synchronous token bucket. jwks-rsa's own limiter counts calls only once they
 * have started, so a burst of concurrent unknown kids all pass its check and then
 * queue for tens of seconds waiting for tokens; this gate refuses them at once.
 */
function refetchGate(perMinute: number): () => boolean {
  let tokens = perMinute;
  let last = Date.now();
  return () => {
    const now = Date.now();
    tokens = Math.min(perMinute, tokens + ((now - last) * perMinute) / 60_000);
    last = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

interface Jwk {
  kid?: string;
  [k: string]: unknown;
}

async function fetchJwks(uri: string, timeoutMs: number): Promise<{ keys: Jwk[] }> {
  // No redirects: the JWKS location is configuration, not something a response may change.
  const res = await fetch(uri, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`JWKS endpoint answered ${res.status}`);
  const body = (await res.json()) as { keys?: unknown };
  if (!Array.isArray(body.keys)) throw new Error("JWKS document has no keys array");
  return { keys: body.keys as Jwk[] };
}

/**
 * Keys come from jwks-rsa (per-kid cache, rate limit). Around it:
 * - the whole key set of the latest fetch is remembered and served to jwks-rsa
 *   through `getKeysInterceptor`, so every key published at that fetch is usable
 *   without another one (a rotated-in key costs at most one refetch);
 * - a kid that is neither cached nor in that set needs a refetch, which a
 *   synchronous token bucket allows `perMinute` times a minute; a flood of made-up
 *   kids is refused at once, and since the refetches it is allowed also pick up
 *   newly published keys, it can delay a genuine rotation by one refill at most;
 * - concurrent lookups share the refetch in flight.
 */
function jwksKeySource(jwksUri: string, opts: JwtVerifierOptions): KeySource {
  const perMinute = opts.jwksRequestsPerMinute ?? 5;
  const cacheMaxAge = opts.keyCacheMaxAgeMs ?? 10 * 60 * 1000;
  const timeoutMs = opts.jwksTimeoutMs ?? 5000;
  let latest: { keys: Jwk[]; at: number } | undefined;
  const freshKeys = (): Jwk[] => (latest && Date.now() - latest.at < cacheMaxAge ? latest.keys : []);

  const client = jwksRsa({
    jwksUri,
    cache: true,
    cacheMaxAge,
    // A backstop: our gate below admits fewer lookups than this, so it never makes a request wait.
    rateLimit: true,
    jwksRequestsPerMinute: perMinute * 4,
    timeout: timeoutMs,
    fetcher: async (uri) => {
      const jwks = await fetchJwks(uri, timeoutMs);
      latest = { keys: jwks.keys, at: Date.now() };
      return jwks;
    },
    getKeysInterceptor: async () => freshKeys() as jwksRsa.JSONWebKey[],
  });
  const mayRefetch = refetchGate(perMinute);
  /** kid → until when jwks-rsa's per-kid cache holds it. */
  const cachedUntil = new Map<string | undefined, number>();
  let inFlight: Promise<unknown> | undefined;

  const known = (kid: string | undefined) =>
    (cachedUntil.get(kid) ?? 0) > Date.now() || freshKeys().some((k) => kid === undefined || k.kid === kid);

  async function lookup(kid: string | undefined): Promise<jwksRsa.SigningKey> {
    if (!known(kid)) {
      if (inFlight) {
        await inFlight.catch(() => undefined);
        if (!known(kid)) throw new JwksNoMatchingKey();
      } else if (!mayRefetch()) {
        throw new JwksNoMatchingKey();
      }
    }
    const p = client.getSigningKey(kid);
    if (!known(kid)) {
      inFlight = p;
      p.catch(() => undefined).finally(() => {
        if (inFlight === p) inFlight = undefined;
      });
    }
    const key = await p;
    // A little under jwks-rsa's own age, so we never count on an entry it just dropped.
    cachedUntil.set(kid, Date.now() + cacheMaxAge - 1000);
    return key;
  }

  return async (kid, alg) => {
    let key: jwksRsa.SigningKey;
    try {
      key = await lookup(kid);
    } catch (e) {
      if (e instanceof JwksNoMatchingKey) throw e;
      // An unknown kid, or one we may not refetch for now: the token is not from a trusted key.
      if (e instanceof jwksRsa.SigningKeyNotFoundError || e instanceof jwksRsa.JwksRateLimitError) {
        throw new JwksNoMatchingKey();
      }
      throw new IdentityProviderUnavailable();
    }
    // A JWK that declares its algorithm may only verify that algorithm. (jwks-rsa fills
    // in RS256 for RSA keys without one, so the published JWK is what counts.)
    const declared = freshKeys().find((k) => k.kid === kid)?.alg;
    if (typeof declared === "string" && declared !== alg) throw new JwtAlgorithmNotAllowed();
    return key.getPublicKey();
  };
}

/**
 * jsonwebtoken reports most failures as JsonWebTokenError with a fixed English
 * message; this table is the only place those messages are interpreted, and the
 * jwt tests pin every row to the library version in use.
 */
function fromJsonWebTokenError(e: unknown): InvalidToken {
  if (e instanceof jwt.TokenExpiredError) return new JwtExpired();
  if (e instanceof jwt.NotBeforeError) return new JwtNotYetValid();
  const message = e instanceof Error ? e.message : "";
  if (message === "invalid signature") return new JwtSignatureInvalid();
  if (message === "invalid algorithm") return new JwtAlgorithmNotAllowed();
  if (message.startsWith("jwt audience invalid")) return new JwtAudienceInvalid();
  if (message.startsWith("jwt issuer invalid")) return new JwtIssuerInvalid();
  return new JwtMalformed();
}

function checkClaims(payload: unknown): VerifiedJwt {
  if (typeof payload !== "object" || payload === null) throw new JwtMalformed();
  const claims = payload as Record<string, unknown>;
  if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) throw new JwtClaimMissing("exp");
  const sub = claims.sub;
  // Control characters in an id that ends up in logs and in the database are never legitimate.
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 255 || /[\u0000-\u001f\u007f]/.test(sub)) {
    throw new JwtClaimMissing("sub");
  }
  return { sub, exp: claims.exp, claims: claims as JwtClaims };
}

export function createJwtVerifier(config: JwtConfig, opts: JwtVerifierOptions = {}): JwtVerifier {
  let keySource: KeySource;
  if (config.publicKeyPem) keySource = pemKeySource(config.publicKeyPem);
  else if (config.jwksUri) keySource = jwksKeySource(config.jwksUri, opts);
  else throw new Error("JwtConfig needs jwksUri or publicKeyPem");
  const algorithms = [...config.algorithms];
  const audience = config.audiences.length === 1 ? config.audiences[0]! : (config.audiences as [string, ...string[]]);

  return {
    async verify(token, v = {}) {
      if (typeof token !== "string") throw new JwtMalformed();
      const header = readHeader(token);
      // Checked before any key lookup so a forged alg costs no JWKS fetch.
      if (!(algorithms as string[]).includes(header.alg)) throw new JwtAlgorithmNotAllowed();
      const key = await keySource(header.kid, header.alg);
      let payload: unknown;
      try {
        payload = jwt.verify(token, key, {
          algorithms,
          issuer: config.issuer,
          audience,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          ...(v.nowSeconds !== undefined ? { clockTimestamp: v.nowSeconds } : {}),
        });
      } catch (e) {
        throw fromJsonWebTokenError(e);
      }
      return checkClaims(payload);
    },
  };
}
