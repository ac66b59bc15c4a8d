/** Every error lib/ throws, from one place: the base, the caller's failures, the service's. */
export { DEFAULT_RETRY_AFTER_SECONDS, TokenExchangeError, isTokenExchangeError } from "./base.ts";
export * from "./caller.ts";
export * from "./service.ts";
