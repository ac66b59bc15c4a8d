/**
 * The secret a browser app uses against FaunaDB: exchanged from the app's access
 * token on first use, kept in memory (never in storage or the URL: README,
 * "Frontend"), renewed shortly before it expires, with one exchange at a time
 * however many callers ask at once.
 */
import { LogoutFailed, TemporarilyUnavailable, ExchangeFailed } from "./errors.ts";
import { callTokenEndpoint, type FetchLike } from "./token-endpoint.ts";

export interface Secret {
  /** The FaunaDB secret: give it to the driver as `secret`. */
  readonly secret: string;
  /** When FaunaDB stops accepting it, by this browser's clock. */
  readonly expiresAt: Date;
}

export interface SecretSourceOptions {
  /** A current access token for the API, e.g. `() => auth0.getTokenSilently()`. Called for each exchange. */
  getAccessToken: () => string | Promise<string>;
  /** The exchange endpoint; default `/api/token` (same origin). */
  tokenUrl?: string;
  /** The FaunaDB endpoint the secrets are for; needed by `signOut()` to log the secret out there. */
  faunaEndpoint?: string;
  /**
   * Exchange again this many seconds before the secret expires (default 60), or
   * halfway through its life if it lives less than twice that.
   */
  refreshMarginSeconds?: number;
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
   * Forget the cached secret, so that the next `getSecret()` exchanges again. With a
   * secret, only if it is the cached one: callers that saw the same refusal then
   * cause one exchange between them, not one each.
   */
  invalidate(secret?: string): void;
  /**
   * Forget the secret and end it: `Logout(false)` at FaunaDB, or with
   * `everywhere: true` `DELETE /api/token`, which ends every secret issued to this user.
   */
  signOut(options?: { everywhere?: boolean }): Promise<SignOutResult>;
}

export function createSecretSource(options: SecretSourceOptions): SecretSource {
  const { getAccessToken, tokenUrl = "/api/token", faunaEndpoint, refreshMarginSeconds = 60 } = options;
  // Looked up at call time, and called unbound: `window.fetch` stored and called as a method throws.
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  let cached: { value: Secret; renewAt: number } | undefined;
  let inflight: Promise<Secret> | undefined;
  // Bumped by invalidate(): an exchange started before it must not refill the cache.
  let generation = 0;
  let blocked: { until: number; by: TemporarilyUnavailable } | undefined;

  const call = async (method: "POST" | "DELETE") =>
    callTokenEndpoint(fetchFn, tokenUrl, method, await getAccessToken(), now());

  async function exchange(gen: number): Promise<Secret> {
    // Counted from before the request, by the local clock: a skewed clock or a slow
    // answer can only make the secret look shorter-lived than it is.
    const sentAt = now();
    let body;
    try {
      body = await call("POST");
    } catch (e) {
      if (e instanceof TemporarilyUnavailable && e.retryAfter) blocked = { until: now() + e.retryAfter * 1000, by: e };
      throw e;
    }
    const { secret, expires_in: expiresIn } = body;
    if (typeof secret !== "string" || typeof expiresIn !== "number") {
      throw new ExchangeFailed(200, "", "The token endpoint answered without a secret.");
    }
    const life = expiresIn * 1000;
    const value: Secret = { secret, expiresAt: new Date(sentAt + life) };
    if (gen === generation) cached = { value, renewAt: sentAt + life - Math.min(refreshMarginSeconds * 1000, life / 2) };
    return value;
  }

  const source: SecretSource = {
    getSecret() {
      const t = now();
      if (cached && t < cached.renewAt) return Promise.resolve(cached.value);
      // Due for renewal but still accepted: it serves while the endpoint is unavailable.
      const fallback = cached && t < cached.value.expiresAt.getTime() ? cached.value : undefined;
      if (!inflight && blocked && t < blocked.until) {
        if (fallback) return Promise.resolve(fallback);
        const { status, error, message } = blocked.by;
        return Promise.reject(new TemporarilyUnavailable(status, error, message, Math.ceil((blocked.until - t) / 1000)));
      }
      if (!inflight) {
        const p = exchange(generation).finally(() => {
          if (inflight === p) inflight = undefined;
        });
        inflight = p;
      }
      if (!fallback) return inflight;
      return inflight.catch((e: unknown) => {
        if (e instanceof TemporarilyUnavailable) return fallback;
        throw e;
      });
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
      const current = cached?.value;
      source.invalidate();
      if (everywhere) {
        let revoked = 0;
        // The endpoint revokes in time-boxed batches; go on while each round makes progress.
        for (;;) {
          const body = await call("DELETE");
          const n = typeof body.revoked === "number" ? body.revoked : 0;
          revoked += n;
          if (body.complete !== false || n === 0) return { revoked, complete: body.complete !== false };
        }
      }
      if (!current || now() >= current.expiresAt.getTime()) return { revoked: 0, complete: true };
      let res: Response;
      try {
        res = await fetchFn(faunaEndpoint!, {
          method: "POST",
          headers: { authorization: `Bearer ${current.secret}`, "x-faunadb-api-version": "4" },
          // FQL v4's wire form of Logout(false): end this token only.
          body: '{"logout":false}',
        });
      } catch {
        throw new LogoutFailed(0);
      }
      // 401: FaunaDB no longer knows the secret, which is what was asked.
      if (res.status === 401) return { revoked: 0, complete: true };
      if (!res.ok) throw new LogoutFailed(res.status);
      return { revoked: 1, complete: true };
    },
  };
  return source;
}
