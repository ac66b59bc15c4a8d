/**
 * Every failure the exchange can produce, one class each, with a stable `code`
 * (the panva/jose convention). Callers branch on `code`, never on `message`;
 * lib/http/respond.ts is the one place that turns a code into an HTTP status.
 *
 * Messages are written to be shown to a client: they never carry a secret, a
 * JWT, a driver message or anything else from inside the service.
 */

export type InvalidTokenReason =
  | "expired"
  | "bad_signature"
  | "wrong_issuer"
  | "wrong_audience"
  | "not_yet_valid"
  | "malformed";

export abstract class TokenExchangeError extends Error {
  /** Stable machine-readable identifier of this failure. */
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

// ---------------------------------------------------------------- the request

export class BadRequest extends TokenExchangeError {
  static readonly code: string = "ERR_BAD_REQUEST";
  readonly code: string = BadRequest.code;
}

export class MethodNotAllowed extends TokenExchangeError {
  static readonly code = "ERR_METHOD_NOT_ALLOWED";
  readonly code = MethodNotAllowed.code;
  constructor(readonly allowed: readonly string[]) {
    super(`Method not allowed; use ${allowed.join(", ")}.`);
  }
}

export class PayloadTooLarge extends TokenExchangeError {
  static readonly code = "ERR_PAYLOAD_TOO_LARGE";
  readonly code = PayloadTooLarge.code;
  constructor(readonly limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaType extends TokenExchangeError {
  static readonly code = "ERR_UNSUPPORTED_MEDIA_TYPE";
  readonly code = UnsupportedMediaType.code;
  constructor() {
    super("Send application/json or application/x-www-form-urlencoded.");
  }
}

/** RFC 8693 form with a grant_type other than token exchange (RFC 6749 §5.2 names it). */
export class UnsupportedGrantType extends TokenExchangeError {
  static readonly code = "ERR_UNSUPPORTED_GRANT_TYPE";
  readonly code = UnsupportedGrantType.code;
  constructor() {
    super("Only grant_type=urn:ietf:params:oauth:grant-type:token-exchange is supported.");
  }
}

/** Metadata handed to `exchangeJwtForSecret` that cannot be stored as ledger data. */
export class InvalidMetadata extends BadRequest {
  static override readonly code = "ERR_INVALID_METADATA";
  override readonly code = InvalidMetadata.code;
}

// ---------------------------------------------------------------- the JWT

/** Base of every "this JWT is not acceptable" failure; `reason` is the short why. */
export abstract class InvalidToken extends TokenExchangeError {
  abstract readonly reason: InvalidTokenReason;
}

export class JwtExpired extends InvalidToken {
  static readonly code = "ERR_JWT_EXPIRED";
  readonly code = JwtExpired.code;
  readonly reason = "expired";
  constructor() {
    super("The token has expired.");
  }
}

export class JwtNotYetValid extends InvalidToken {
  static readonly code = "ERR_JWT_NOT_YET_VALID";
  readonly code = JwtNotYetValid.code;
  readonly reason = "not_yet_valid";
  constructor() {
    super("The token is not valid yet.");
  }
}

export class JwtSignatureInvalid extends InvalidToken {
  static readonly code = "ERR_JWT_SIGNATURE_INVALID";
  readonly code = JwtSignatureInvalid.code;
  readonly reason = "bad_signature";
  constructor() {
    super("The token signature is invalid.");
  }
}

/** No trusted key matches the token's `kid` (after at most one JWKS refetch). */
export class JwksNoMatchingKey extends InvalidToken {
  static readonly code = "ERR_JWKS_NO_MATCHING_KEY";
  readonly code = JwksNoMatchingKey.code;
  readonly reason = "bad_signature";
  constructor() {
    super("The token was not signed by a trusted key.");
  }
}

/** `alg` outside the allow-list: covers `none` and HMAC-with-a-public-key confusion. */
export class JwtAlgorithmNotAllowed extends InvalidToken {
  static readonly code = "ERR_JWT_ALGORITHM_NOT_ALLOWED";
  readonly code = JwtAlgorithmNotAllowed.code;
  readonly reason = "bad_signature";
  constructor() {
    super("The token's signing algorithm is not allowed.");
  }
}

/**
 * What was expected and what a signed token carried, for the operator's log (both are
 * configuration or public claims, never secrets); the client sees only the message.
 */
export interface ClaimMismatch {
  expected: string | readonly string[];
  received: unknown;
}

export class JwtIssuerInvalid extends InvalidToken {
  static readonly code = "ERR_JWT_ISSUER_INVALID";
  readonly code = JwtIssuerInvalid.code;
  readonly reason = "wrong_issuer";
  constructor(readonly mismatch?: ClaimMismatch) {
    super("The token was issued by an untrusted issuer.");
  }
}

export class JwtAudienceInvalid extends InvalidToken {
  static readonly code = "ERR_JWT_AUDIENCE_INVALID";
  readonly code = JwtAudienceInvalid.code;
  readonly reason = "wrong_audience";
  constructor(readonly mismatch?: ClaimMismatch) {
    super("The token is not meant for this audience.");
  }
}

/**
 * Not a signed JWT (a JWS in compact form) at all: an encrypted JWT (five segments) or
 * an opaque string. With Auth0 this is the access token of a login that did not ask for
 * the API's audience, so the message says how to fix it.
 */
export class JwtNotSigned extends InvalidToken {
  static readonly code = "ERR_JWT_NOT_SIGNED";
  readonly code = JwtNotSigned.code;
  readonly reason = "malformed";
  constructor(readonly kind: "encrypted" | "opaque") {
    super(
      `The token is ${kind === "encrypted" ? "an encrypted JWT (JWE)" : "not a JWT"}, not a signed JWT. With Auth0 this means the access token was requested without the API's audience: request it with the audience this service expects (AUTH0_AUDIENCE), e.g. authorizationParams.audience in auth0-spa-js.`,
    );
  }
}

/**
 * RFC 7515 §4.1.11: a JWS listing a critical extension the recipient does not implement
 * must be refused. None is implemented here, and neither is RFC 7797's unencoded payload
 * (`b64`), which changes what the signature covers.
 */
export class JwtCritUnsupported extends InvalidToken {
  static readonly code = "ERR_JWT_CRIT_UNSUPPORTED";
  readonly code = JwtCritUnsupported.code;
  readonly reason = "malformed";
  constructor(readonly parameter: "crit" | "b64") {
    super(`The token's header uses "${parameter}", an extension this service does not implement.`);
  }
}

export class JwtMalformed extends InvalidToken {
  static readonly code = "ERR_JWT_MALFORMED";
  readonly code = JwtMalformed.code;
  readonly reason = "malformed";
  constructor(detail = "The token is malformed.") {
    super(detail);
  }
}

/** A claim the exchange depends on (`sub`, `exp`) is absent or of the wrong type. */
export class JwtClaimMissing extends InvalidToken {
  static readonly code = "ERR_JWT_CLAIM_MISSING";
  readonly code = JwtClaimMissing.code;
  readonly reason = "malformed";
  constructor(readonly claim: string) {
    super(`The token has no valid "${claim}" claim.`);
  }
}

// ---------------------------------------------------------------- the user

export class UnknownUser extends TokenExchangeError {
  static readonly code = "ERR_UNKNOWN_USER";
  readonly code = UnknownUser.code;
  constructor() {
    super("No user is registered for this token's subject.");
  }
}

// ---------------------------------------------------------------- dependencies

/**
 * Why a JWKS fetch failed, for operators: the HTTP status it answered, or a short
 * code (`ECONNREFUSED`, `timeout`, `invalid_json`, `not_a_jwks`, …). Never a URL, a
 * header or a body, so it is safe in logs.
 */
export interface IdentityProviderFailure {
  status?: number;
  code?: string;
}

/** Seconds a client is asked to wait (`Retry-After`) after a transient failure. */
export const DEFAULT_RETRY_AFTER_SECONDS = 2;

/** The JWKS could not be fetched (a transient failure: the client should retry). */
export class IdentityProviderUnavailable extends TokenExchangeError {
  static readonly code: string = "ERR_IDP_UNAVAILABLE";
  readonly code: string = IdentityProviderUnavailable.code;
  /** What failed (for logs; the client sees only the message). */
  override readonly cause: IdentityProviderFailure | undefined;
  readonly retryAfterSeconds: number = DEFAULT_RETRY_AFTER_SECONDS;
  constructor(cause?: IdentityProviderFailure, message = "The identity provider's signing keys could not be fetched; try again later.") {
    super(message);
    this.cause = cause;
  }
}

/**
 * The token names a key that is not in the cached key set, and the JWKS may not be
 * fetched again yet (the refetch budget is spent, most likely by a flood of made-up
 * kids). Whether the key exists cannot be known until the next refetch, so this is
 * "retry later" (503 with Retry-After), never "sign in again" (401): a freshly rotated
 * key must not sign users out.
 */
export class JwksRefetchDeferred extends IdentityProviderUnavailable {
  static override readonly code = "ERR_JWKS_REFETCH_DEFERRED";
  override readonly code = JwksRefetchDeferred.code;
  override readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super({ code: "refetch_budget_spent" }, "The token's signing key is not known yet; try again later.");
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Where FaunaDB was being reached, and what went wrong: for the operator's log. */
export interface DatabaseFailure {
  /** FAUNA_ENDPOINT's host. */
  host?: string;
  /** `ECONNREFUSED`, `ENOTFOUND`, `timeout`, `http_503`, a TLS code, … */
  cause?: string;
}

export class DatabaseUnavailable extends TokenExchangeError {
  static readonly code = "ERR_DATABASE_UNAVAILABLE";
  readonly code = DatabaseUnavailable.code;
  readonly retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS;
  constructor(readonly failure: DatabaseFailure = {}) {
    super("The database could not be reached; try again later.");
  }
}

/** The database answered with something the service cannot explain (a bug, not an outage). */
export class DatabaseError extends TokenExchangeError {
  static readonly code = "ERR_DATABASE";
  readonly code = DatabaseError.code;
  constructor(
    /** Fauna's error code (e.g. "invalid argument"), for logs; never sent to a client. */
    readonly faunaCode?: string,
  ) {
    super("The database rejected the request.");
  }
}

/**
 * The deployment is wrong: missing or malformed environment, a key the database
 * refuses, a schema that was never deployed. `problems` names what to fix (variable
 * or object names only, never values) and is for operators, not clients.
 */
export class Misconfigured extends TokenExchangeError {
  static readonly code: string = "ERR_MISCONFIGURED";
  readonly code: string = Misconfigured.code;
  constructor(readonly problems: readonly string[]) {
    super(`Misconfigured: ${problems.join("; ")}`);
  }
}

/**
 * FaunaDB refused FAUNA_SECRET: it is not a key of that database (`invalid`, FaunaDB's
 * 401), or it is one that lacks a permission the operation needs (`insufficient`).
 * Still the deployment's fault (a 500 for the endpoint), but its own code, because the
 * fix is a different key rather than a different setting.
 */
export class FaunaSecretRefused extends Misconfigured {
  static override readonly code = "ERR_FAUNA_SECRET_REFUSED";
  override readonly code = FaunaSecretRefused.code;
  constructor(
    readonly reason: "invalid" | "insufficient",
    problem: string,
  ) {
    super([problem]);
  }
}

/** `deploy-schema` found an object with the expected name but another definition. */
export class SchemaConflict extends TokenExchangeError {
  static readonly code = "ERR_SCHEMA_CONFLICT";
  readonly code = SchemaConflict.code;
  constructor(
    readonly object: string,
    readonly differences: readonly string[],
  ) {
    super(`${object} exists with a different definition: ${differences.join("; ")}`);
  }
}

/** The client went away before its request was read: nobody is waiting for an answer. */
export class RequestAborted extends TokenExchangeError {
  static readonly code = "ERR_REQUEST_ABORTED";
  readonly code = RequestAborted.code;
  constructor() {
    super("The request was closed before its body was received.");
  }
}

/** A failure of this service itself (a bug): the detail is logged, never sent. */
export class InternalError extends TokenExchangeError {
  static readonly code = "ERR_INTERNAL";
  readonly code = InternalError.code;
  constructor() {
    super("The token service failed.");
  }
}

export function isTokenExchangeError(e: unknown): e is TokenExchangeError {
  return e instanceof TokenExchangeError;
}
