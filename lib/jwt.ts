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
import { createPublicKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import jwksRsa from "jwks-rsa";
import type { JwtConfig } from "./config.ts";
import {
  IdentityProviderUnavailable,
  type IdentityProviderFailure,
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
  Misconfigured,
} from "./errors.ts";
import { log } from "./log.ts";

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
   * `Misconfigured` (the JWKS URL answers 4xx or redirects).
   */
  verify(token: string, opts?: { nowSeconds?: number }): Promise<VerifiedJwt>;
}

export interface JwtVerifierOptions {
  /** Upper bound on JWKS fetches caused by uncached `kid`s, per minute. Default 5. */
  jwksRequestsPerMinute?: number;
  /** How long a fetched key is trusted without refetching. Default 10 minutes. */
  keyCacheMaxAgeMs?: number;
  /** JWKS request timeout. Default 5 s: a function has about 10 s in all. */
  jwksTimeoutMs?: number;
  /**
   * After a failed JWKS fetch, how long uncached kids get that failure at once instead
   * of another fetch. Default 1 s. Failed fetches never spend `jwksRequestsPerMinute`.
   */
  jwksFailureBackoffMs?: number;
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

interface RefetchGate {
  /** Spend one refetch; false when the budget is spent. */
  take(): boolean;
  /** Give back a refetch that failed: an outage must not eat the budget for unknown kids. */
  refund(): void;
}

/**
 * A synchronous token bucket. jwks-rsa's own limiter counts calls only once they
 * have started, so a burst of concurrent unknown kids all pass its check and then
 * queue for tens of seconds waiting for tokens; this gate refuses them at once.
 */
function refetchGate(perMinute: number): RefetchGate {
  let tokens = perMinute;
  let last = Date.now();
  return {
    take() {
      const now = Date.now();
      tokens = Math.min(perMinute, tokens + ((now - last) * perMinute) / 60_000);
      last = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    refund() {
      tokens = Math.min(perMinute, tokens + 1);
    },
  };
}

/** The JWKS endpoint answered with a status other than 2xx. */
class JwksHttpStatus extends Error {
  constructor(readonly status: number) {
    super(`JWKS endpoint answered ${status}`);
  }
}

/** The JWKS endpoint answered 2xx with something that is not a JWKS. */
class JwksNotAKeySet extends Error {}

async function fetchJwks(uri: string, timeoutMs: number): Promise<{ keys: unknown[] }> {
  // No redirects: the JWKS location is configuration, not something a response may change.
  const res = await fetch(uri, { headers: { accept: "application/json" }, redirect: "error", signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new JwksHttpStatus(res.status);
  }
  const body = (await res.json()) as { keys?: unknown } | null;
  if (typeof body !== "object" || body === null || !Array.isArray(body.keys)) throw new JwksNotAKeySet("no keys array");
  return { keys: body.keys };
}

/**
 * What went wrong with a JWKS fetch, as an HTTP status or a short code: never a URL,
 * a header or a body, so it can go into logs and error objects as it is.
 */
export function describeJwksFailure(e: unknown): IdentityProviderFailure {
  if (e instanceof JwksHttpStatus) return { status: e.status };
  if (e instanceof JwksNotAKeySet) return { code: "not_a_jwks" };
  if (e instanceof SyntaxError) return { code: "invalid_json" };
  if (e instanceof jwksRsa.JwksError) return { code: "no_signing_keys" };
  const err = e as { name?: unknown; cause?: unknown } | null;
  if (err && (err.name === "TimeoutError" || err.name === "AbortError")) return { code: "timeout" };
  const cause = err?.cause as { code?: unknown; message?: unknown; name?: unknown } | undefined;
  if (cause && (cause.name === "TimeoutError" || cause.name === "AbortError")) return { code: "timeout" };
  if (typeof cause?.code === "string" && /^[A-Z0-9_]{2,40}$/.test(cause.code)) return { code: cause.code };
  if (typeof cause?.message === "string" && /redirect/i.test(cause.message)) return { code: "redirect" };
  return { code: "fetch_failed" };
}

/**
 * A failure that retrying will not fix: the URL is wrong (4xx other than 408/429) or
 * redirects elsewhere. That is the deployment's to fix, so it is a 500 (logged), not
 * a 503 that would have clients retry forever.
 */
function misconfiguration(f: IdentityProviderFailure): Misconfigured | undefined {
  const what = "the JWKS URL (AUTH0_JWKS_URI, or the one derived from AUTH0_DOMAIN / AUTH0_ISSUER)";
  if (f.status !== undefined && f.status >= 400 && f.status < 500 && f.status !== 408 && f.status !== 429) {
    return new Misconfigured([`${what} answered HTTP ${f.status}; identity providers other than Auth0 must set AUTH0_JWKS_URI`]);
  }
  if (f.code === "redirect") return new Misconfigured([`${what} redirects; set AUTH0_JWKS_URI to the final location`]);
  return undefined;
}

/** What a key set fetch cost us when it failed, remembered for a while. */
interface FetchFailure {
  at: number;
  error: IdentityProviderUnavailable | Misconfigured;
}

/** A refused lookup this soon after a failed fetch is blamed on the identity provider, not the token. */
const RECENT_FAILURE_MS = 60_000;

interface CachedKey {
  key: jwksRsa.SigningKey;
  /** Until when it is trusted: the fetch that brought it + the cache age. */
  until: number;
}

/**
 * Keys come from the JWKS, fetched here (our timeout, no redirects) and turned into
 * signing keys by jwks-rsa (which drops `use: "enc"` keys, unsupported key types and
 * anything that does not import), so every count and lookup below is over signing
 * keys only. Around that:
 * - every key of a fetch is cached by kid until that fetch is `keyCacheMaxAgeMs` old,
 *   so a rotated-in key costs at most one refetch, and a key's own `alg` (from its
 *   JWK, as jwks-rsa reports it) lives exactly as long as the key;
 * - a kid that is not cached needs a refetch, which a synchronous token bucket allows
 *   `perMinute` times a minute; a flood of made-up kids is refused at once, and since
 *   the refetches it is allowed also pick up newly published keys, it can delay a
 *   genuine rotation by one refill at most;
 * - concurrent lookups share the refetch in flight, and its outcome: if it fails,
 *   every one of them fails the same way;
 * - a failed fetch gives its token back (an outage must not leave valid rotated-in
 *   keys refused for a refill after it ends), and for `jwksFailureBackoffMs` after it
 *   no other fetch is tried: uncached kids get the same failure at once. For a minute
 *   after a failure, a refetch refused by the budget is reported as the identity
 *   provider's failure too (503), never as the token's (401): a client treats 401 as
 *   "sign out", so an identity provider's blip must never look like one.
 */
function jwksKeySource(jwksUri: string, opts: JwtVerifierOptions): KeySource {
  const perMinute = opts.jwksRequestsPerMinute ?? 5;
  const cacheMaxAge = opts.keyCacheMaxAgeMs ?? 10 * 60 * 1000;
  const timeoutMs = opts.jwksTimeoutMs ?? 5000;
  const backoffMs = opts.jwksFailureBackoffMs ?? 1000;
  const jwksHost = new URL(jwksUri).host;
  const gate = refetchGate(perMinute);
  const cache = new Map<string, CachedKey>();
  /** The signing keys of the latest successful fetch, for tokens without a kid. */
  let latest: { keys: jwksRsa.SigningKey[]; at: number } | undefined;
  let failure: FetchFailure | undefined;
  let inFlight: Promise<void> | undefined;

  const cached = (kid: string): jwksRsa.SigningKey | undefined => {
    const c = cache.get(kid);
    return c && c.until > Date.now() ? c.key : undefined;
  };
  const latestFresh = () => (latest && Date.now() - latest.at < cacheMaxAge ? latest.keys : undefined);
  const known = (kid: string | undefined) => (kid === undefined ? latestFresh() !== undefined : cached(kid) !== undefined);

  async function refresh(): Promise<void> {
    let keys: jwksRsa.SigningKey[];
    try {
      const doc = await fetchJwks(jwksUri, timeoutMs);
      // jwks-rsa decides what a signing key is; it is handed the document we fetched.
      keys = await jwksRsa({ jwksUri, cache: false, rateLimit: false, fetcher: async () => doc }).getSigningKeys();
    } catch (e) {
      gate.refund();
      const cause = describeJwksFailure(e);
      const error = misconfiguration(cause) ?? new IdentityProviderUnavailable(cause);
      failure = { at: Date.now(), error };
      log(error instanceof Misconfigured ? "error" : "warn", "jwks_fetch_failed", { jwks_host: jwksHost, ...cause });
      throw error;
    }
    const at = Date.now();
    failure = undefined;
    latest = { keys, at };
    for (const [kid, c] of cache) if (c.until <= at) cache.delete(kid);
    for (const key of keys) if (typeof key.kid === "string") cache.set(key.kid, { key, until: at + cacheMaxAge });
  }

  /** Resolves once `kid` is known, or rejects with why it cannot be. */
  async function ensureKnown(kid: string | undefined): Promise<void> {
    if (known(kid)) return;
    if (!inFlight) {
      const recent = failure && Date.now() - failure.at < RECENT_FAILURE_MS ? failure : undefined;
      if (recent && Date.now() - recent.at < backoffMs) throw recent.error;
      if (!gate.take()) throw recent ? recent.error : new JwksNoMatchingKey();
      const p = refresh();
      inFlight = p;
      p.catch(() => undefined).finally(() => {
        if (inFlight === p) inFlight = undefined;
      });
    }
    await inFlight;
    if (!known(kid)) throw new JwksNoMatchingKey();
  }

  return async (kid, alg) => {
    await ensureKnown(kid);
    let key: jwksRsa.SigningKey | undefined;
    if (kid !== undefined) key = cached(kid);
    else {
      const keys = latestFresh() ?? [];
      // Which of several keys signed it is exactly what a kid says; guessing would let
      // a rotation turn into signature failures.
      if (keys.length > 1) throw new JwtMalformed("The token has no kid, and the identity provider publishes several keys: a kid is required.");
      key = keys[0];
    }
    if (!key) throw new JwksNoMatchingKey();
    // A JWK that declares its algorithm may only verify that algorithm. jwks-rsa reports
    // `alg` only when the JWK declares one, and it travels with the cached key.
    const declared = (key as { alg?: unknown }).alg;
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
