/**
 * Signing keys from a JWKS URL: fetched here (our timeout, no redirects), turned into
 * signing keys by jwks-rsa (which drops `use: "enc"` keys, unsupported key types and
 * anything that does not import) and into `KeyObject`s once per fetch, so verifying a
 * token never parses a key.
 *
 * - The key set is what the latest successful fetch said, as a whole: a fetch that no
 *   longer lists a kid makes it unknown at once (an emergency revocation of a key must
 *   take effect on the next fetch, not when some cache entry expires), and the set is
 *   trusted for `keyCacheMaxAgeMs` after the fetch.
 * - A kid outside the set needs a refetch, which a token bucket allows `perMinute` times a
 *   minute. Concurrent lookups share the refetch in flight and its outcome. When the
 *   budget is spent (a flood of made-up kids), a lookup gets `JwksRefetchDeferred`: 503
 *   with a Retry-After until the next refetch, never 401, because the kid may be a freshly
 *   rotated key that the next refetch will bring (and any refetch brings every new key).
 * - A failed fetch gives its token back (an outage must not leave rotated-in keys refused
 *   after it ends), and for `jwksFailureBackoffMs` after it no other fetch is tried: new
 *   kids get the same failure at once. The pause doubles with each failure in a row (up to
 *   30 s), so an outage is not fetched once a second.
 * - Every wait is bounded by the request's own time: a request that joins a fetch in
 *   flight stops waiting when its deadline comes. A failure is the identity provider's (503) unless
 *   the URL itself is wrong (4xx, a redirect): that is the deployment's (500).
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import type jwksRsaModule from "jwks-rsa";
import { IdentityProviderUnavailable, type IdentityProviderFailure, InternalError, JwksNoMatchingKey, JwksRefetchDeferred, Misconfigured } from "../errors/index.ts";
import { log } from "../log.ts";
import { systemErrorCode } from "../error-cause.ts";
import { requestBudgets } from "../budgets.ts";
import { Deadline } from "../deadline.ts";

export interface SigningKey {
  kid?: string;
  /** The JWK's own `alg`, when it declares one: the key may verify only that. */
  alg?: string;
  key: KeyObject;
}

export interface JwksOptions {
  /** Upper bound on JWKS fetches caused by uncached `kid`s, per minute. Default 5. */
  jwksRequestsPerMinute?: number;
  /** How long a fetched key set is trusted without refetching. Default 10 minutes. */
  keyCacheMaxAgeMs?: number;
  /** A JWKS fetch's own cap, within the request's deadline. Default: budgets.ts's `jwksFetchMs` (5 s). */
  jwksTimeoutMs?: number;
  /** After a failed JWKS fetch, how long new kids get that failure at once. Default 1 s. */
  jwksFailureBackoffMs?: number;
  /** The clock of the cache, the budget and the backoff (tests move it). Default `Date.now`. */
  now?: () => number;
}

/**
 * The keys a token may be verified with, given its header's kid (if any): at once when
 * they are cached (the hot path stays synchronous), else once a fetch has brought them.
 */
export type KeyLookup = (kid: string | undefined, deadline?: Deadline) => SigningKey[] | Promise<SigningKey[]>;

/** A synchronous token bucket: refuses at once instead of queueing. */
class RefetchBudget {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {
    this.tokens = perMinute;
    this.last = now();
  }
  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((t - this.last) * this.perMinute) / 60_000);
    this.last = t;
  }
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
  refund(): void {
    this.tokens = Math.min(this.perMinute, this.tokens + 1);
  }
  /** Whole seconds until the next refetch is allowed (at least 1). */
  secondsUntilNext(): number {
    this.refill();
    return Math.max(1, Math.ceil(((1 - this.tokens) * 60) / this.perMinute));
  }
}

/** Far more than any real JWKS (a provider publishes a few keys); a larger answer is refused unread. */
export const MAX_JWKS_BYTES = 256 * 1024;

async function readLimited(res: Response, limit: number): Promise<string> {
  if (Number(res.headers.get("content-length") ?? 0) > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new IdentityProviderUnavailable({ code: "too_large" });
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new IdentityProviderUnavailable({ code: "too_large" });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function fetchJwks(uri: string, signal: AbortSignal): Promise<{ keys: unknown[] }> {
  // No redirects: the JWKS location is configuration, not something a response may change.
  // A redirect is answered as it is ("manual") so that its status says what it was.
  const res = await fetch(uri, { headers: { accept: "application/json" }, redirect: "manual", signal });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new IdentityProviderUnavailable(res.status >= 300 && res.status < 400 ? { code: "redirect" } : { status: res.status });
  }
  const body = JSON.parse(await readLimited(res, MAX_JWKS_BYTES)) as { keys?: unknown } | null;
  if (typeof body !== "object" || body === null || !Array.isArray(body.keys)) throw new IdentityProviderUnavailable({ code: "not_a_jwks" });
  return { keys: body.keys };
}

function isTimeout(e: unknown): boolean {
  const err = e as { name?: unknown; cause?: { name?: unknown } } | null;
  return !!err && (err.name === "TimeoutError" || err.name === "AbortError" || err.cause?.name === "TimeoutError" || err.cause?.name === "AbortError");
}

/**
 * What went wrong with a JWKS fetch, as an HTTP status or a short code: never a URL, a
 * header or a body, so it can go into logs and error objects as it is.
 */
export function describeJwksFailure(e: unknown, jwksRsaError?: new (...a: never[]) => Error): IdentityProviderFailure {
  if (e instanceof IdentityProviderUnavailable) return e.cause ?? { code: "fetch_failed" };
  if (e instanceof SyntaxError) return { code: "invalid_json" };
  if (jwksRsaError && e instanceof jwksRsaError) return { code: "no_signing_keys" };
  if (isTimeout(e)) return { code: "timeout" };
  return { code: systemErrorCode(e) ?? "fetch_failed" };
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

let jwksRsaLoaded: Promise<typeof jwksRsaModule> | undefined;

/**
 * jwks-rsa (and the jose it brings) is needed only once a key set has been fetched: not
 * at a cold start's import, and never with a PEM key. A failed load is not kept (the next
 * request tries again) and is this deployment's bug: logged, and answered 500, never
 * blamed on the identity provider.
 */
async function loadJwksRsa(): Promise<typeof jwksRsaModule> {
  jwksRsaLoaded ??= import("jwks-rsa").then((m) => m.default);
  try {
    return await jwksRsaLoaded;
  } catch (e) {
    jwksRsaLoaded = undefined;
    log("error", "jwks_module_unavailable", { error: e });
    throw new InternalError();
  }
}

/** Settles like `p`, or with a 503 "timeout" at `deadline` (a request's own). */
function by<T>(p: Promise<T>, deadline: Deadline): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new IdentityProviderUnavailable({ code: "timeout" })), Math.max(1, deadline.remaining()));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** After this many failed fetches in a row the pause between fetches stops doubling. */
const MAX_FAILURE_BACKOFF_MS = 30_000;

async function toSigningKeys(jwksRsa: typeof jwksRsaModule, jwksUri: string, doc: { keys: unknown[] }): Promise<SigningKey[]> {
  // jwks-rsa decides what a signing key is; it is handed the document we fetched.
  const keys = await jwksRsa({ jwksUri, cache: false, rateLimit: false, fetcher: async () => doc }).getSigningKeys();
  return keys.map((k) => {
    const alg = (k as { alg?: unknown }).alg;
    return { ...(typeof k.kid === "string" ? { kid: k.kid } : {}), ...(typeof alg === "string" ? { alg } : {}), key: createPublicKey(k.getPublicKey()) };
  });
}

interface KeySet {
  all: SigningKey[];
  byKid: Map<string, SigningKey>;
  fetchedAt: number;
}

export function jwksKeyLookup(jwksUri: string, opts: JwksOptions = {}): KeyLookup {
  const now = opts.now ?? Date.now;
  const cacheMaxAge = opts.keyCacheMaxAgeMs ?? 10 * 60 * 1000;
  const fetchCapMs = opts.jwksTimeoutMs ?? requestBudgets().jwksFetchMs;
  const backoffMs = opts.jwksFailureBackoffMs ?? 1000;
  const jwksHost = new URL(jwksUri).host;
  const budget = new RefetchBudget(opts.jwksRequestsPerMinute ?? 5, now);
  let set: KeySet | undefined;
  let failure: { at: number; error: IdentityProviderUnavailable | Misconfigured; inARow: number } | undefined;
  let inFlight: Promise<void> | undefined;

  const fresh = (): KeySet | undefined => (set && now() - set.fetchedAt < cacheMaxAge ? set : undefined);
  const known = (kid: string | undefined): boolean => {
    const s = fresh();
    return s !== undefined && (kid === undefined || s.byKid.has(kid));
  };
  // The pause after a failure doubles with each failure in a row: a failed fetch gives its
  // refetch back (an outage must not leave rotated-in keys refused after it), so this is
  // what keeps an outage, or a wrong URL, from being fetched once a second.
  const inBackoff = (): boolean =>
    failure !== undefined && now() - failure.at < Math.min(backoffMs * 2 ** (failure.inARow - 1), MAX_FAILURE_BACKOFF_MS);

  async function refresh(jwksRsa: typeof jwksRsaModule, deadline: Deadline): Promise<void> {
    let keys: SigningKey[];
    try {
      keys = await toSigningKeys(jwksRsa, jwksUri, await fetchJwks(jwksUri, deadline.signal));
    } catch (e) {
      budget.refund();
      const cause = describeJwksFailure(e, jwksRsa.JwksError);
      const error = misconfiguration(cause) ?? new IdentityProviderUnavailable(cause);
      failure = { at: now(), error, inARow: (failure?.inARow ?? 0) + 1 };
      log(error instanceof Misconfigured ? "error" : "warn", "jwks_fetch_failed", { jwks_host: jwksHost, ...cause, failures_in_a_row: failure.inARow });
      throw error;
    }
    failure = undefined;
    const byKid = new Map<string, SigningKey>();
    for (const k of keys) if (k.kid !== undefined) byKid.set(k.kid, k);
    set = { all: keys, byKid, fetchedAt: now() };
  }

  /**
   * Resolves once `kid` is known, or rejects with why it cannot be, by `deadline`.
   * A request that joined a fetch started for another kid, and whose kid that fetch did
   * not bring (it may have been published since), goes through the budget once more.
   */
  async function ensureKnown(kid: string | undefined, deadline: Deadline): Promise<void> {
    for (let round = 0; round < 2; round++) {
      if (known(kid)) return;
      let started = false;
      if (!inFlight) {
        if (inBackoff()) throw failure!.error;
        const jwksRsa = await loadJwksRsa();
        if (known(kid)) return;
        if (!inFlight) {
          if (!budget.take()) throw new JwksRefetchDeferred(budget.secondsUntilNext());
          const p = refresh(jwksRsa, deadline);
          inFlight = p;
          started = true;
          p.catch(() => undefined).finally(() => {
            if (inFlight === p) inFlight = undefined;
          });
        }
      }
      await by(inFlight!, deadline);
      if (known(kid)) return;
      if (started) break;
    }
    throw new JwksNoMatchingKey();
  }

  const keysFor = (kid: string | undefined): SigningKey[] => {
    const s = fresh()!;
    return kid !== undefined ? [s.byKid.get(kid)!] : s.all;
  };
  return (kid, deadline) => {
    if (known(kid)) return keysFor(kid);
    return ensureKnown(kid, (deadline ?? Deadline.after(fetchCapMs)).within(fetchCapMs)).then(() => keysFor(kid));
  };
}
