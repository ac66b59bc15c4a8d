/**
 * The client's failures, one class each with a stable `code` (as lib/core/errors/
 * does on the server). Token-endpoint failures also carry the OAuth `error` the
 * endpoint answered and the HTTP `status`, so a caller can branch on either.
 *
 * Every `name` is a string literal, never `new.target.name` or the constructor's
 * name: a minifier renames classes, and the name must still read `SignInRequired`.
 */

/** Base of every failure of the token endpoint (`POST` or `DELETE /api/token`). */
export abstract class ExchangeError extends Error {
  override name: string = "ExchangeError";
  abstract readonly code: string;

  constructor(
    /** HTTP status of the answer; 0 when no answer arrived (offline, DNS, CORS refused, timed out). */
    readonly status: number,
    /** The OAuth `error` of the answer (`invalid_token`, `temporarily_unavailable` …). */
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

/** 401: the access token was refused (expired, wrong audience …). Sign the user in again. */
export class SignInRequired extends ExchangeError {
  override readonly name = "SignInRequired";
  readonly code = "ERR_SIGN_IN_REQUIRED";
}

/** 403: the user is unknown to the database (and the endpoint does not create users). */
export class AccessDenied extends ExchangeError {
  override readonly name = "AccessDenied";
  readonly code = "ERR_ACCESS_DENIED";
}

/**
 * 503 (also 429, 502, 504, or no answer at all, or none within `timeoutMs`): try
 * again later. `retryAfter` is the server's `Retry-After` in seconds when it sent
 * one; until then the secret source refuses to ask again and rejects at once with
 * this error (or serves the previous secret while it is valid).
 */
export class TemporarilyUnavailable extends ExchangeError {
  override readonly name = "TemporarilyUnavailable";
  readonly code = "ERR_TEMPORARILY_UNAVAILABLE";

  constructor(status: number, error: string, description: string, readonly retryAfter?: number) {
    super(status, error, description);
  }
}

/** FaunaDB did not confirm `Logout(false)`; the secret may still work until it expires. */
export class LogoutFailed extends Error {
  override readonly name = "LogoutFailed";
  readonly code = "ERR_LOGOUT_FAILED";

  constructor(
    /** HTTP status of FaunaDB's answer; 0 when none arrived (or none within `timeoutMs`). */
    readonly status: number,
    message = status ? `FaunaDB answered ${status} to Logout.` : "FaunaDB could not be reached to log out.",
  ) {
    super(message);
  }
}

/** Any other refusal (400, 405, 500 …) or an answer that is not the endpoint's JSON. */
export class ExchangeFailed extends ExchangeError {
  override readonly name = "ExchangeFailed";
  readonly code = "ERR_EXCHANGE_FAILED";
}
