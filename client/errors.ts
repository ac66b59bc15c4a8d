/**
 * The client's failures, one class each with a stable `code` (as lib/core/errors/
 * does on the server). Token-endpoint failures also carry the OAuth `error` the
 * endpoint answered and the HTTP `status`, so a caller can branch on either.
 */

/** Base of every failure of the token endpoint (`POST` or `DELETE /api/token`). */
export abstract class ExchangeError extends Error {
  abstract readonly code: string;

  constructor(
    /** HTTP status of the answer; 0 when no answer arrived (offline, DNS, CORS refused). */
    readonly status: number,
    /** The OAuth `error` of the answer (`invalid_token`, `temporarily_unavailable` …). */
    readonly error: string,
    description: string,
  ) {
    super(description);
    this.name = new.target.name;
  }
}

/** 401: the access token was refused (expired, wrong audience …). Sign the user in again. */
export class SignInRequired extends ExchangeError {
  readonly code = "ERR_SIGN_IN_REQUIRED";
}

/** 403: the user is unknown to the database (and the endpoint does not create users). */
export class AccessDenied extends ExchangeError {
  readonly code = "ERR_ACCESS_DENIED";
}

/**
 * 503 (also 429, 502, 504, or no answer at all): try again later. `retryAfter`
 * is the server's `Retry-After` in seconds when it sent one; until then the
 * secret source refuses to ask again and rejects at once with this error.
 */
export class TemporarilyUnavailable extends ExchangeError {
  readonly code = "ERR_TEMPORARILY_UNAVAILABLE";

  constructor(status: number, error: string, description: string, readonly retryAfter?: number) {
    super(status, error, description);
  }
}

/** Any other refusal (400, 405, 500 …) or an answer that is not the endpoint's JSON. */
export class ExchangeFailed extends ExchangeError {
  readonly code = "ERR_EXCHANGE_FAILED";
}

/** `signOut()`: FaunaDB did not confirm `Logout(false)`; the secret may still work until it expires. */
export class LogoutFailed extends Error {
  readonly code = "ERR_LOGOUT_FAILED";

  constructor(
    /** HTTP status of FaunaDB's answer; 0 when none arrived. */
    readonly status: number,
  ) {
    super(status ? `FaunaDB answered ${status} to Logout.` : "FaunaDB could not be reached to log out.");
    this.name = "LogoutFailed";
  }
}
