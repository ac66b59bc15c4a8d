/**
 * Signing keys from a JWKS URL, kept as a key set: fetched by jwks-fetch.ts (our timeout,
 * no redirects), turned into signing keys by jwks-rsa (which drops `use: "enc"` keys,
 * unsupported key types and anything that does not import) and into `KeyObject`s once per
 * fetch, so verifying a token never parses a key.
 *
 * - The key set is what the latest successful fetch said, as a whole: a fetch that no
 *   longer lists a kid makes it unknown at once. The set is trusted for the max age
 *   (JWKS_MAX_AGE_SECONDS, default 60 s) counted from when its fetch was sent, whichever
 *   kid the traffic uses: past it, a lookup waits for a fetch as a cold start does. So a
 *   key withdrawn from the JWKS is refused at the latest one max age after it left.
 * - Past half the max age, a lookup is answered from the set at once and starts a refresh
 *   behind it (refresh ahead): under steady traffic the set is replaced before it expires
 *   and nobody waits, for at most 60 / (max age / 2) fetches a minute.
 * - A kid outside the trusted set needs a refetch, which a token bucket allows `perMinute`
 *   times a minute. Concurrent lookups share the fetch in flight and its outcome. When the
 *   budget is spent (a flood of made-up kids), a lookup gets `JwksRefetchDeferred`: 503
 *   with a Retry-After until the next refetch, never 401, because the kid may be a freshly
 *   rotated key that the next refetch will bring (and any refetch brings every new key).
 *   Fetches for a set that is missing or too old spend no budget: a flood must not be able
 *   to keep the set from being renewed.
 * - Every fetch has its own timeout (`jwksTimeoutMs`), never a request's leftover: a
 *   request stops waiting at its own deadline (503 for it) and the fetch goes on. Only the
 *   identity provider's own failure (its status, a network error, its timeout) is
 *   recorded: a failed fetch gives its refetch back, and for `jwksFailureBackoffMs` after
 *   it no other fetch is tried (new kids get the same failure at once). The pause doubles
 *   with each failure in a row (up to 30 s), so an outage is not fetched once a second.
 * - A fetch still running well past its own timeout was frozen with its serverless
 *   instance (or the event loop stalled): it is given up, its outcome blames nobody, and
 *   the next lookup fetches afresh, so the max age holds whatever happened to it.
 * - A failure is the identity provider's (503) unless the URL itself is wrong (4xx, a
 *   redirect): that is the deployment's (500).
 */
import type jwksRsaModule from "jwks-rsa";
import { IdentityProviderUnavailable, JwksNoMatchingKey, JwksRefetchDeferred, Misconfigured } from "../errors/index.ts";
import { log } from "../log.ts";
import { requestBudgets } from "../budgets.ts";
import { Deadline } from "../deadline.ts";
import { DEFAULT_JWKS_MAX_AGE_SECONDS } from "../config/load.ts";
import { describeJwksFailure, fetchJwks, loadJwksRsa, misconfiguration, toSigningKeys, type SigningKey } from "./jwks-fetch.ts";

export { describeJwksFailure, MAX_JWKS_BYTES, type SigningKey } from "./jwks-fetch.ts";

export interface JwksOptions {
  /** Upper bound on JWKS fetches caused by uncached `kid`s, per minute. Default 5. */
  jwksRequestsPerMinute?: number;
  /**
   * How long a fetched key set is trusted, from when its fetch was sent; past half of it a
   * lookup refreshes the set behind its answer. Default JWKS_MAX_AGE_SECONDS's (60 s).
   */
  keyCacheMaxAgeMs?: number;
  /** A JWKS fetch's own timeout, whoever waits for it. Default: budgets.ts's `jwksFetchMs` (5 s). */
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

/** After this many failed fetches in a row the pause between fetches stops doubling. */
const MAX_FAILURE_BACKOFF_MS = 30_000;

interface KeySet {
  all: SigningKey[];
  byKid: Map<string, SigningKey>;
  /** When the fetch that brought it was sent: the JWKS said this at that instant or later. */
  fetchedAt: number;
}

/** A fetch of the JWKS, shared by whoever needs it while it runs. */
interface Fetch {
  promise: Promise<KeySet>;
  startedAt: number;
  /** Started for a kid the trusted set lacks: it spent a refetch, given back if it fails. */
  spentRefetch: boolean;
}

/**
 * How much later than its own timeout a fetch may settle and still be the identity
 * provider's doing. Later than that, this instance was not running (a serverless instance
 * frozen between invocations) or its event loop stalled: nothing to blame on the provider.
 */
const OVERDUE_MARGIN_MS = 1000;

export function jwksKeyLookup(jwksUri: string, opts: JwksOptions = {}): KeyLookup {
  const now = opts.now ?? Date.now;
  const maxAgeMs = opts.keyCacheMaxAgeMs ?? DEFAULT_JWKS_MAX_AGE_SECONDS * 1000;
  const fetchTimeoutMs = opts.jwksTimeoutMs ?? requestBudgets().jwksFetchMs;
  const backoffMs = opts.jwksFailureBackoffMs ?? 1000;
  const jwksHost = new URL(jwksUri).host;
  const budget = new RefetchBudget(opts.jwksRequestsPerMinute ?? 5, now);
  let set: KeySet | undefined;
  let failure: { at: number; error: IdentityProviderUnavailable | Misconfigured; inARow: number } | undefined;
  let inFlight: Fetch | undefined;
  /** Set by the first lookup that needs it; a key set exists only once it is. */
  let jwksRsa: typeof jwksRsaModule | undefined;

  /** The set, while it is younger than the max age: past it, nothing in it is trusted. */
  const trusted = (): KeySet | undefined => (set && now() - set.fetchedAt < maxAgeMs ? set : undefined);
  const holding = (kid: string | undefined): KeySet | undefined => {
    const s = trusted();
    return s !== undefined && (kid === undefined || s.byKid.has(kid)) ? s : undefined;
  };
  const overdue = (f: Fetch): boolean => now() - f.startedAt > fetchTimeoutMs + OVERDUE_MARGIN_MS;
  /**
   * The fetch in flight, unless it is overdue: a fetch frozen with its instance is given
   * up (its outcome is then ignored), so that it cannot hold lookups past the max age.
   */
  const current = (): Fetch | undefined => {
    if (inFlight && overdue(inFlight)) inFlight = undefined;
    return inFlight;
  };
  // The pause after a failure doubles with each failure in a row: a failed fetch gives its
  // refetch back (an outage must not leave rotated-in keys refused after it), so this is
  // what keeps an outage, or a wrong URL, from being fetched once a second.
  const inBackoff = (): boolean =>
    failure !== undefined && now() - failure.at < Math.min(backoffMs * 2 ** (failure.inARow - 1), MAX_FAILURE_BACKOFF_MS);

  /** What a failed fetch means: the identity provider's failure, or nothing (it was given up). */
  function settleFailure(f: Fetch, e: unknown, background: boolean): IdentityProviderUnavailable | Misconfigured {
    const cause = describeJwksFailure(e, jwksRsa?.JwksError);
    const error = misconfiguration(cause) ?? new IdentityProviderUnavailable(cause);
    if (f.spentRefetch) budget.refund();
    if (inFlight !== f || overdue(f)) {
      log("debug", "jwks_fetch_given_up", { jwks_host: jwksHost, ...cause, ms_since_sent: now() - f.startedAt });
      return error;
    }
    failure = { at: now(), error, inARow: (failure?.inARow ?? 0) + 1 };
    log(error instanceof Misconfigured ? "error" : "warn", "jwks_fetch_failed", {
      jwks_host: jwksHost,
      ...cause,
      failures_in_a_row: failure.inARow,
      ...(background ? { background: true } : {}),
    });
    return error;
  }

  /**
   * One fetch, under its own timeout whoever started it: a request with a moment left
   * stops waiting at its own deadline, and the fetch goes on for the others.
   */
  function start(rsa: typeof jwksRsaModule, spentRefetch: boolean, background: boolean): Fetch {
    const f: Fetch = { promise: undefined as unknown as Promise<KeySet>, startedAt: now(), spentRefetch };
    f.promise = fetchJwks(jwksUri, AbortSignal.timeout(fetchTimeoutMs))
      .then((doc) => toSigningKeys(rsa, jwksUri, doc))
      .then(
        (keys) => {
          const byKid = new Map<string, SigningKey>();
          for (const k of keys) if (k.kid !== undefined) byKid.set(k.kid, k);
          const fetched: KeySet = { all: keys, byKid, fetchedAt: f.startedAt };
          // A fetch given up and answered late must not replace a set fetched after it.
          if (!set || set.fetchedAt <= fetched.fetchedAt) set = fetched;
          if (inFlight === f) failure = undefined;
          return fetched;
        },
        (e: unknown) => {
          throw settleFailure(f, e, background);
        },
      )
      .finally(() => {
        if (inFlight === f) inFlight = undefined;
      });
    // Nobody may be waiting for it (a refresh ahead): its failure is logged above, never unhandled.
    f.promise.catch(() => undefined);
    inFlight = f;
    return f;
  }

  /**
   * Past half the max age, a lookup answered from the set starts a refresh behind it, so
   * that under steady traffic the set is replaced before it expires and nobody waits.
   */
  function refreshAhead(s: KeySet): void {
    if (now() - s.fetchedAt < maxAgeMs / 2 || !jwksRsa || current() || inBackoff()) return;
    start(jwksRsa, false, true);
  }

  /**
   * The set that holds `kid` once a fetch has brought it, or why it cannot be had, by
   * `deadline` (the request's own). A request that joined a fetch started for another kid,
   * and whose kid that fetch did not bring (it may have been published since), goes
   * through the budget once more.
   */
  async function fetchHolding(kid: string | undefined, deadline: Deadline): Promise<KeySet> {
    for (let round = 0; round < 2; round++) {
      let f = current();
      let started = false;
      if (!f) {
        if (inBackoff()) throw failure!.error;
        jwksRsa ??= await loadJwksRsa();
        const found = holding(kid);
        if (found) return found;
        f = current();
        if (!f) {
          // A kid the trusted set lacks is the caller's choice, so its refetch spends the
          // budget. A set that is missing or past its max age is fetched regardless: time
          // bounds those fetches, and made-up kids must not be able to starve them.
          const spend = trusted() !== undefined;
          if (spend && !budget.take()) throw new JwksRefetchDeferred(budget.secondsUntilNext());
          f = start(jwksRsa, spend, false);
          started = true;
        }
      }
      await deadline.race(f.promise, () => new IdentityProviderUnavailable({ code: "request_deadline" }));
      const found = holding(kid);
      if (found) return found;
      if (started) break;
    }
    if (trusted()) throw new JwksNoMatchingKey();
    throw new IdentityProviderUnavailable({ code: "stale_key_set" });
  }

  const keysFor = (s: KeySet, kid: string | undefined): SigningKey[] => (kid !== undefined ? [s.byKid.get(kid)!] : s.all);
  return (kid, deadline) => {
    const s = holding(kid);
    if (s) {
      refreshAhead(s);
      return keysFor(s, kid);
    }
    // Without a deadline of its own, a lookup waits for the fetch's outcome (its timeout included).
    return fetchHolding(kid, deadline ?? Deadline.after(fetchTimeoutMs + OVERDUE_MARGIN_MS)).then((found) => keysFor(found, kid));
  };
}
