/**
 * The one base of every error lib/ throws: one class per failure, each with a stable
 * `code` (the panva/jose convention). Callers branch on the class or on `code`, never on
 * `message`; lib/http/statuses.ts is the one table that turns a code into an HTTP status,
 * scripts/command-line.ts the one that turns it into an exit code.
 *
 * Messages are written to be shown to a client or an operator: they never carry a secret,
 * a JWT, a driver message or anything else from inside the service.
 */

/** Seconds a client is asked to wait (`Retry-After`) after a transient failure. */
export const DEFAULT_RETRY_AFTER_SECONDS = 2;

export abstract class TokenExchangeError extends Error {
  /**
   * Every class names itself with a string literal (`override readonly name = "JwtExpired"`),
   * never with its constructor's name: a minifier renames classes, and `name` must still
   * read as the class is documented (test/error-names.test.ts bundles lib minified and checks).
   */
  override name: string = "TokenExchangeError";
  /** Stable machine-readable identifier of this failure. */
  abstract readonly code: string;
  /** Set on transient failures only: how long a client should wait before trying again. */
  declare readonly retryAfterSeconds?: number;

  constructor(message: string) {
    super(message);
  }
}

export function isTokenExchangeError(e: unknown): e is TokenExchangeError {
  return e instanceof TokenExchangeError;
}

/**
 * The class of a failure that carries nothing but its code and a fixed message:
 * `export class X extends fixedFailure("ERR_X", "…") {}`.
 */
export function fixedFailure<const C extends string>(code: C, message: string) {
  return class extends TokenExchangeError {
    static readonly code: C = code;
    readonly code: C = code;
    constructor() {
      super(message);
    }
  };
}
