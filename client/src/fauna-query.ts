/**
 * Runs queries through the `faunadb` driver with the secret source's current
 * secret, held for the query's duration (a renewal meanwhile does not log it out
 * under it). FaunaDB refuses a secret (401) before running anything, so a query
 * refused because its secret was revoked or expired early can safely be sent
 * once more with a freshly exchanged one. The driver is the caller's: this file
 * only needs its `query(expr, { secret })`.
 */
import { noteStep } from "./failed-step.ts";
import type { SecretSource } from "./secret-source.ts";

/** What is used of a `faunadb.Client`: `query` with the per-query `secret` option. */
export interface FaunaClientLike<E, O extends { secret?: string }> {
  query<T>(expr: E, options?: O): Promise<T>;
}

/** The driver's `Unauthorized`: FaunaDB answered 401. */
export function isUnauthorized(e: unknown): boolean {
  return (e as { requestResult?: { statusCode?: unknown } } | null)?.requestResult?.statusCode === 401;
}

/**
 * `query(expr, options)` as the driver's, with the current secret; on a 401 it
 * invalidates that secret, exchanges once more and retries once. A second 401
 * (or any other error) is thrown as the driver threw it.
 */
export function faunaQuery<E, O extends { secret?: string }>(
  source: SecretSource,
  client: FaunaClientLike<E, O>,
): <T = unknown>(expr: E, options?: O) => Promise<T> {
  return async <T>(expr: E, options?: O): Promise<T> => {
    for (let retried = false; ; retried = true) {
      let refused = "";
      try {
        return await source.withSecret(async ({ secret }) => {
          refused = secret;
          try {
            return await client.query<T>(expr, { ...options, secret } as O);
          } catch (e) {
            throw noteStep(e, "faunadb");
          }
        });
      } catch (e) {
        if (retried || !isUnauthorized(e)) throw e;
        source.invalidate(refused);
      }
    }
  };
}
