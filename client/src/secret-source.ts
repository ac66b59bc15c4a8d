/**
 * The secret a browser app uses against FaunaDB: exchanged from the app's access
 * token on first use, kept in memory (never in storage or the URL: docs/frontend.md,
 * "Why memory only"), renewed shortly before it expires with one exchange at a time
 * however many callers ask at once, and the previous secret logged out once the
 * renewed one has taken over, so that a tab holds one live secret, not two.
 */
import { ExchangeFailed, TemporarilyUnavailable } from "./errors.ts";
import { faunaLogout } from "./fauna-logout.ts";
import { noteStep } from "./failed-step.ts";
import type { FetchLike } from "./fetch-within.ts";
import { callTokenEndpoint } from "./token-endpoint.ts";

/** Renewal retries while the previous secret serves: 1 s, 2 s, 4 s … at most 30 s apart (or Retry-After, if longer). */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30_000;

export interface Secret {
  /** The FaunaDB secret: give it to the driver as `secret`. */
  readonly secret: string;
  /** When FaunaDB stops accepting it, by this browser's clock. */
  readonly expiresAt: Date;
}

export interface SecretSourceOptions {
  /**
   * A current access token for the API, e.g. `() => auth0.getTokenSilently()`. Called for
   * each exchange. What it throws reaches the caller as thrown (`failedStep(e)`: `identity-provider`).
   */
  getAccessToken: () => string | Promise<string>;
  /** The exchange endpoint; default `/api/token` (same origin). */
  tokenUrl?: string;
  /**
   * The FaunaDB endpoint the secrets are for. Needed by `signOut()`, and to log the
   * previous secret out after a renewal: without it that one lives until it expires.
   */
  faunaEndpoint?: string;
  /**
   * Exchange again this many seconds before the secret expires (default 60), or
   * halfway through its life if it lives less than twice that.
   */
  refreshMarginSeconds?: number;
  /**
   * Deadline of each request to the token endpoint and to FaunaDB's Logout, in ms
   * (default 10000). A request that misses it is aborted: `TemporarilyUnavailable`
   * (status 0) from the endpoint, `LogoutFailed` (status 0) from FaunaDB.
   */
  timeoutMs?: number;
  /**
   * After a renewal, the previous secret is logged out once no `withSecret()` (or
   * `faunaQuery`) call holds it, and no sooner than this many ms after it was last
   * handed out (default 10000): time for a caller of `getSecret()` to send it.
   */
  logoutDelayMs?: number;
  /**
   * Told what went wrong in the background, where no caller would see it: a renewal
   * that failed while the previous secret, valid until `expiresAt`, kept being
   * served (it is tried again with backoff; a `SignInRequired` here means the user
   * must sign in again before then), or a `LogoutFailed` of the previous secret
   * (which then lives until `expiresAt`).
   */
  onRenewalError?: (error: unknown, expiresAt: Date) => void;
  fetch?: FetchLike;
  /** The clock, in ms since the epoch; default `Date.now`. */
  now?: () => number;
}

export interface SignOutResult {
  /** Secrets FaunaDB no longer accepts because of this call. */
  revoked: number;
  /** False only when signing out everywhere stopped with secrets left (call again to go on). */
  complete: boolean;
}

export interface SecretSource {
  /** The current secret; exchanges when there is none or it is due for renewal. */
  getSecret(): Promise<Secret>;
  /**
   * `use(current secret)`, holding that secret until `use` settles: a renewal meanwhile
   * does not log it out under a running query. `faunaQuery` runs every query this way.
   */
  withSecret<T>(use: (secret: Secret) => Promise<T>): Promise<T>;
  /**
   * Forget the cached secret, so that the next `getSecret()` exchanges again. With a
   * secret, only if it is the cached one: callers that saw the same refusal then
   * cause one exchange between them, not one each.
   */
  invalidate(secret?: string): void;
  /**
   * Forget the secret and end it: `Logout(false)` at FaunaDB (the previous secret
   * too, if a renewal has not logged it out yet), or with `everywhere: true`
   * `DELETE /api/token`, which ends every secret issued to this user.
   */
  signOut(options?: { everywhere?: boolean }): Promise<SignOutResult>;
}

/** A secret as the source keeps it. */
interface Held {
  value: Secret;
  renewAt: number;
  /** Running `withSecret()` calls, plus one while a replaced secret waits out `logoutDelayMs`. */
  holds: number;
  /** Replaced by a renewal: logged out as soon as nothing holds it. */
  replaced?: boolean;
  /** Logged out, or left to `signOut()`: never logged out twice. */
  ended?: boolean;
  /** The `logoutDelayMs` wait of a replaced secret. */
  timer?: ReturnType<typeof setTimeout>;
}

export function createSecretSource(options: SecretSourceOptions): SecretSource {
  const {
    getAccessToken,
    tokenUrl = "/api/token",
    faunaEndpoint,
    refreshMarginSeconds = 60,
    timeoutMs = 10_000,
    logoutDelayMs = 10_000,
    onRenewalError,
  } = options;
  // Looked up at call time, and called unbound: `window.fetch` stored and called as a method throws.
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  let cached: Held | undefined;
  let inflight: Promise<Held> | undefined;
  // Bumped by invalidate(): an exchange started before it must not refill the cache.
  let generation = 0;
  // Retry-After: no exchange before `until`, whether or not a previous secret still serves.
  let blocked: { until: number; by: TemporarilyUnavailable } | undefined;
  // Failed exchanges in a row, and the earliest next renewal while the previous secret serves.
  let failures = 0;
  let retryAt = 0;
  const replaced = new Set<Held>();

  const call = async (method: "POST" | "DELETE") => {
    let accessToken: string;
    try {
      accessToken = await getAccessToken();
    } catch (e) {
      throw noteStep(e, "identity-provider");
    }
    return callTokenEndpoint(fetchFn, tokenUrl, method, accessToken, timeoutMs, now);
  };

  function end(h: Held): void {
    h.ended = true;
    clearTimeout(h.timer);
    replaced.delete(h);
  }

  function logout(h: Held): Promise<number> {
    end(h);
    if (now() >= h.value.expiresAt.getTime()) return Promise.resolve(0);
    return faunaLogout(fetchFn, faunaEndpoint!, h.value.secret, timeoutMs);
  }

  function release(h: Held): void {
    if (--h.holds === 0 && h.replaced && !h.ended) logout(h).catch((e: unknown) => onRenewalError?.(e, h.value.expiresAt));
  }

  function replace(previous: Held | undefined, next: Held): void {
    cached = next;
    // Nothing to end when the previous one has expired; nothing that can end it without FaunaDB's URL.
    if (!previous || !faunaEndpoint || now() >= previous.value.expiresAt.getTime()) return;
    previous.replaced = true;
    replaced.add(previous);
    previous.holds++;
    previous.timer = setTimeout(() => release(previous), logoutDelayMs);
  }

  async function exchange(gen: number): Promise<Held> {
    // Counted from before the request, by the local clock: a skewed clock or a slow
    // answer can only make the secret look shorter-lived than it is.
    const sentAt = now();
    let next: Held;
    try {
      const { secret, expires_in: expiresIn } = await call("POST");
      if (typeof secret !== "string" || typeof expiresIn !== "number") {
        throw new ExchangeFailed(200, "", "The token endpoint answered without a secret.");
      }
      const life = expiresIn * 1000;
      const renewAt = sentAt + life - Math.min(refreshMarginSeconds * 1000, life / 2);
      next = { value: { secret, expiresAt: new Date(sentAt + life) }, renewAt, holds: 0 };
    } catch (e) {
      const t = now();
      const retryAfterMs = e instanceof TemporarilyUnavailable && e.retryAfter ? e.retryAfter * 1000 : 0;
      if (retryAfterMs) blocked = { until: t + retryAfterMs, by: e as TemporarilyUnavailable };
      retryAt = t + Math.max(retryAfterMs, Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** failures++));
      throw e;
    }
    failures = retryAt = 0;
    if (gen === generation) replace(cached, next);
    return next;
  }

  function start(): Promise<Held> {
    const p = exchange(generation).finally(() => {
      if (inflight === p) inflight = undefined;
    });
    return (inflight = p);
  }

  function current(): Promise<Held> {
    const t = now();
    const c = cached;
    if (c && t < c.renewAt) return Promise.resolve(c);
    if (c && t < c.value.expiresAt.getTime()) {
      // Due for renewal but still accepted: it serves at once while the renewal runs,
      // and through any failure of it (tried again with backoff) until it expires.
      if (!inflight && t >= retryAt) start().catch((e: unknown) => onRenewalError?.(e, c.value.expiresAt));
      return Promise.resolve(c);
    }
    if (!inflight && blocked && t < blocked.until) {
      const { status, error, message } = blocked.by;
      return Promise.reject(new TemporarilyUnavailable(status, error, message, Math.ceil((blocked.until - t) / 1000)));
    }
    return inflight ?? start();
  }

  const source: SecretSource = {
    getSecret: () => current().then((h) => h.value),

    async withSecret(use) {
      const h = await current();
      h.holds++;
      try {
        return await use(h.value);
      } finally {
        release(h);
      }
    },

    invalidate(secret) {
      if (secret === undefined || cached?.value.secret === secret) cached = undefined;
      if (secret === undefined) {
        generation++;
        inflight = undefined;
      }
    },

    async signOut({ everywhere = false } = {}) {
      if (!everywhere && !faunaEndpoint) throw new TypeError("signOut() logs out at FaunaDB: set faunaEndpoint.");
      const ending = [...replaced];
      if (cached) ending.push(cached);
      source.invalidate();
      if (everywhere) {
        let revoked = 0;
        // The endpoint revokes in time-boxed batches; go on while each round makes progress.
        for (;;) {
          const body = await call("DELETE");
          const n = typeof body.revoked === "number" ? body.revoked : 0;
          revoked += n;
          const complete = body.complete !== false;
          if (complete) {
            // Ended by the DELETE: no Logout of their own is due.
            ending.forEach(end);
          }
          if (complete || n === 0) return { revoked, complete };
        }
      }
      let revoked = 0;
      for (const r of await Promise.allSettled(ending.map(logout))) {
        if (r.status === "rejected") throw r.reason;
        revoked += r.value;
      }
      return { revoked, complete: true };
    },
  };
  return source;
}
