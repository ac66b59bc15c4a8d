/**
 * fauna-token-exchange-client (also `fauna-token-exchange/client`): the browser
 * side. Exchanges the app's access token for a FaunaDB secret at /api/token,
 * keeps it in memory, renews it before it expires and logs the previous one out,
 * and retries a query once when FaunaDB refuses a secret. No Node built-ins, no
 * dependencies and no driver inside: bring your own `faunadb`.
 */
export {
  createSecretSource,
  type Secret,
  type SecretSource,
  type SecretSourceOptions,
  type SignOutResult,
} from "./secret-source.ts";
export { faunaQuery, isUnauthorized, type FaunaClientLike } from "./fauna-query.ts";
export { failedStep, type FailedStep } from "./failed-step.ts";
export { parseRetryAfter } from "./token-endpoint.ts";
export type { FetchLike } from "./fetch-within.ts";
export {
  ExchangeError,
  SignInRequired,
  AccessDenied,
  TemporarilyUnavailable,
  ExchangeFailed,
  LogoutFailed,
} from "./errors.ts";
