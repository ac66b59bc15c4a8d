/**
 * Which of the three steps behind a query failed: the identity provider (the app's
 * `getAccessToken`), the token endpoint, or FaunaDB (the driver's query, or a Logout).
 * The errors are not wrapped: `getAccessToken`'s and the driver's reach the caller
 * exactly as they were thrown (an Auth0 `login_required` stays one). The client only
 * notes, beside them, where it saw each one thrown.
 */
import { ExchangeError, LogoutFailed } from "./errors.ts";

export type FailedStep = "identity-provider" | "token-endpoint" | "faunadb";

const seenAt = new WeakMap<object, FailedStep>();

/** Notes that `error` came out of `step`, and returns it (for `throw noteStep(e, …)`). */
export function noteStep(error: unknown, step: FailedStep): unknown {
  if (typeof error === "object" && error !== null) seenAt.set(error, step);
  return error;
}

/**
 * The step an error of the secret source or of `faunaQuery` came from, or `undefined`
 * for an error that came through neither (a bug of the app's, a value thrown that is
 * not an object).
 */
export function failedStep(error: unknown): FailedStep | undefined {
  if (error instanceof ExchangeError) return "token-endpoint";
  if (error instanceof LogoutFailed) return "faunadb";
  return typeof error === "object" && error !== null ? seenAt.get(error) : undefined;
}
