/**
 * Failures the caller must fix: the request, the JWT, the user it names, and arguments
 * given to lib's functions. Their messages may be shown to whoever sent them.
 */
import { fixedFailure, TokenExchangeError } from "./base.ts";

// ---------------------------------------------------------------- the request

export class BadRequest extends TokenExchangeError {
  override readonly name: string = "BadRequest";
  static readonly code: string = "ERR_BAD_REQUEST";
  readonly code: string = BadRequest.code;
}

export class MethodNotAllowed extends TokenExchangeError {
  override readonly name = "MethodNotAllowed";
  static readonly code = "ERR_METHOD_NOT_ALLOWED";
  readonly code = MethodNotAllowed.code;
  constructor(readonly allowed: readonly string[]) {
    super(`Method not allowed; use ${allowed.join(", ")}.`);
  }
}

export class PayloadTooLarge extends TokenExchangeError {
  override readonly name = "PayloadTooLarge";
  static readonly code = "ERR_PAYLOAD_TOO_LARGE";
  readonly code = PayloadTooLarge.code;
  constructor(readonly limitBytes: number) {
    super(`The request body is larger than ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaType extends fixedFailure("ERR_UNSUPPORTED_MEDIA_TYPE", "Send application/json or application/x-www-form-urlencoded.") {
  override readonly name = "UnsupportedMediaType";
}

/** RFC 8693 form with a grant_type other than token exchange (RFC 6749 §5.2 names it). */
export class UnsupportedGrantType extends fixedFailure(
  "ERR_UNSUPPORTED_GRANT_TYPE",
  "Only grant_type=urn:ietf:params:oauth:grant-type:token-exchange is supported.",
) {
  override readonly name = "UnsupportedGrantType";
}

/** Metadata handed to `exchangeJwtForSecret` that cannot be stored as ledger data. */
export class InvalidMetadata extends BadRequest {
  override readonly name = "InvalidMetadata";
  static override readonly code = "ERR_INVALID_METADATA";
  override readonly code = InvalidMetadata.code;
}

/** The client went away before its request was read: nobody is waiting for an answer. */
export class RequestAborted extends fixedFailure("ERR_REQUEST_ABORTED", "The request was closed before its body was received.") {
  override readonly name = "RequestAborted";
}

/**
 * The body did not arrive by its deadline (budgets.ts's `bodyMs` from the request's
 * arrival): a client that sends headers and then trickles, or nothing, must not hold the
 * request past its budget. Answered 408, and the connection is closed.
 */
export class RequestTimeout extends TokenExchangeError {
  override readonly name = "RequestTimeout";
  static readonly code = "ERR_REQUEST_TIMEOUT";
  readonly code = RequestTimeout.code;
  constructor(readonly limitMs: number) {
    super(`The request body did not arrive within ${limitMs / 1000} s of the request; send it at once.`);
  }
}

// ---------------------------------------------------------------- the JWT

export type InvalidTokenReason = "expired" | "bad_signature" | "wrong_issuer" | "wrong_audience" | "not_yet_valid" | "malformed" | "signed_out";

/** Base of every "this JWT is not acceptable" failure; `reason` is the short why. */
export abstract class InvalidToken extends TokenExchangeError {
  override readonly name: string = "InvalidToken";
  abstract readonly reason: InvalidTokenReason;
}

/**
 * The class of one JWT failure: its code, its reason, and its message, made from the
 * constructor's arguments (if any). A failure that carries what was wrong (the claim, the
 * header parameter, what was expected) keeps it as a field of its own class below.
 */
function tokenFailure<const C extends string, const R extends InvalidTokenReason, A extends unknown[] = []>(
  code: C,
  reason: R,
  message: (...args: A) => string,
) {
  return class extends InvalidToken {
    static readonly code: C = code;
    readonly code: C = code;
    readonly reason: R = reason;
    constructor(...args: A) {
      super(message(...args));
    }
  };
}

export class JwtExpired extends tokenFailure("ERR_JWT_EXPIRED", "expired", () => "The token has expired.") {
  override readonly name = "JwtExpired";
}

export class JwtNotYetValid extends tokenFailure("ERR_JWT_NOT_YET_VALID", "not_yet_valid", () => "The token is not valid yet.") {
  override readonly name = "JwtNotYetValid";
}

export class JwtSignatureInvalid extends tokenFailure("ERR_JWT_SIGNATURE_INVALID", "bad_signature", () => "The token signature is invalid.") {
  override readonly name = "JwtSignatureInvalid";
}

/** No trusted key matches the token's `kid` (after at most one JWKS refetch). */
export class JwksNoMatchingKey extends tokenFailure("ERR_JWKS_NO_MATCHING_KEY", "bad_signature", () => "The token was not signed by a trusted key.") {
  override readonly name = "JwksNoMatchingKey";
}

/** `alg` outside the allow-list: covers `none` and HMAC-with-a-public-key confusion. */
export class JwtAlgorithmNotAllowed extends tokenFailure(
  "ERR_JWT_ALGORITHM_NOT_ALLOWED",
  "bad_signature",
  () => "The token's signing algorithm is not allowed.",
) {
  override readonly name = "JwtAlgorithmNotAllowed";
}

/**
 * What was expected and what a signed token carried, for the operator's log (both are
 * configuration or public claims, never secrets); the client sees only the message.
 */
export interface ClaimMismatch {
  expected: string | readonly string[];
  received: unknown;
  /** `received` was read from a token whose signature could not be checked (an issuer that is not configured has no key). */
  unverified?: boolean;
}

export class JwtIssuerInvalid extends tokenFailure("ERR_JWT_ISSUER_INVALID", "wrong_issuer", () => "The token was issued by an untrusted issuer.") {
  override readonly name = "JwtIssuerInvalid";
  constructor(readonly mismatch?: ClaimMismatch) {
    super();
  }
}

export class JwtAudienceInvalid extends tokenFailure("ERR_JWT_AUDIENCE_INVALID", "wrong_audience", () => "The token is not meant for this audience.") {
  override readonly name = "JwtAudienceInvalid";
  constructor(readonly mismatch?: ClaimMismatch) {
    super();
  }
}

/**
 * Not a signed JWT (a JWS in compact form) at all: an encrypted JWT (five segments) or
 * an opaque string. With Auth0 this is the access token of a login that did not ask for
 * the API's audience, so the message says how to fix it.
 */
export class JwtNotSigned extends tokenFailure(
  "ERR_JWT_NOT_SIGNED",
  "malformed",
  (kind: "encrypted" | "opaque") =>
    `The token is ${kind === "encrypted" ? "an encrypted JWT (JWE)" : "not a JWT"}, not a signed JWT. With Auth0 this means the access token was requested without the API's audience: request it with the audience this service expects (AUTH0_AUDIENCE), e.g. authorizationParams.audience in auth0-spa-js.`,
) {
  override readonly name = "JwtNotSigned";
  constructor(readonly kind: "encrypted" | "opaque") {
    super(kind);
  }
}

/**
 * RFC 7515 §4.1.11: a JWS listing a critical extension the recipient does not implement
 * must be refused. None is implemented here, and neither is RFC 7797's unencoded payload
 * (`b64`), which changes what the signature covers.
 */
export class JwtCritUnsupported extends tokenFailure(
  "ERR_JWT_CRIT_UNSUPPORTED",
  "malformed",
  (parameter: "crit" | "b64") => `The token's header uses "${parameter}", an extension this service does not implement.`,
) {
  override readonly name = "JwtCritUnsupported";
  constructor(readonly parameter: "crit" | "b64") {
    super(parameter);
  }
}

export class JwtMalformed extends tokenFailure("ERR_JWT_MALFORMED", "malformed", (detail: string = "The token is malformed.") => detail) {
  override readonly name = "JwtMalformed";
}

/** A claim the exchange depends on (`sub`, `exp`) is absent or of the wrong type. */
export class JwtClaimMissing extends tokenFailure("ERR_JWT_CLAIM_MISSING", "malformed", (claim: string) => `The token has no valid "${claim}" claim.`) {
  override readonly name = "JwtClaimMissing";
  constructor(readonly claim: string) {
    super(claim);
  }
}

type SubProblem = "too_long" | "invisible_character" | "another_issuers_key";

type IatProblem = "future" | "not_a_time";

/**
 * An `iat` that cannot be when the token was issued: later than now (beyond the clock
 * tolerance), or not a time at all (not a finite number, negative, or outside what a date
 * can hold). Sign out everywhere refuses a JWT issued at or before it; one that claims to be
 * issued in the future would never be, so it is refused here, before anything is looked up.
 * jsonwebtoken checks `iat` only with `maxAge`.
 */
export class JwtIatInvalid extends tokenFailure("ERR_JWT_IAT_INVALID", "malformed", (problem: IatProblem) =>
  problem === "future" ? 'The token\'s "iat" claim says it was issued in the future.' : 'The token\'s "iat" claim is not a time.',
) {
  override readonly name = "JwtIatInvalid";
  constructor(readonly problem: IatProblem) {
    super(problem);
  }
}

/**
 * The user signed out everywhere at or after the token's `iat` (or the token has no `iat`
 * and the user signed out once): it stays refused until it expires, whoever holds it.
 * A new sign-in gives a token issued after the sign-out.
 */
export class JwtSignedOut extends tokenFailure(
  "ERR_JWT_SIGNED_OUT",
  "signed_out",
  () => "The user signed out everywhere after this token was issued: signed out; sign in again.",
) {
  override readonly name = "JwtSignedOut";
}

/**
 * A `sub` that is a string but not one this service stores: over 255 characters, or
 * holding a character that changes how text is read or shown without being seen
 * (controls, line or paragraph separators, bidi controls, zero-width and other format
 * characters, an unpaired surrogate). A `sub` goes into the database and into every log
 * line about its user, where such characters forge lines or disguise one user as another.
 * Or, from the first of several issuers, one that starts with another issuer's `<iss>#`:
 * the form of that issuer's user keys (lib/core/identity/issuers.ts).
 */
export class JwtSubInvalid extends tokenFailure(
  "ERR_JWT_SUB_INVALID",
  "malformed",
  (problem: SubProblem) =>
    problem === "too_long"
      ? 'The token\'s "sub" claim is longer than 255 characters.'
      : problem === "another_issuers_key"
        ? 'The token\'s "sub" claim has the form of another issuer\'s user key ("<issuer>#…").'
        : 'The token\'s "sub" claim contains a control, separator, bidi, zero-width or other invisible formatting character.',
) {
  override readonly name = "JwtSubInvalid";
  constructor(readonly problem: SubProblem) {
    super(problem);
  }
}

// ---------------------------------------------------------------- the user

export class UnknownUser extends fixedFailure("ERR_UNKNOWN_USER", "No user is registered for this token's subject.") {
  override readonly name = "UnknownUser";
}

// ---------------------------------------------------------------- arguments

/** A function of lib was called with an argument it cannot use (a bug of the caller's). */
export class InvalidArgument extends TokenExchangeError {
  override readonly name: string = "InvalidArgument";
  static readonly code: string = "ERR_INVALID_ARGUMENT";
  readonly code: string = InvalidArgument.code;
}

/** `revokeToken` was given something that is not a token document's numeric id. */
export class InvalidTokenIdError extends InvalidArgument {
  override readonly name = "InvalidTokenIdError";
  static override readonly code = "ERR_INVALID_TOKEN_ID";
  override readonly code = InvalidTokenIdError.code;
  constructor() {
    super("a token id is the numeric id of a FaunaDB token document");
  }
}

/** The secret given to `revokeSecret` is a key's, not a token's: keys are not revoked here. */
export class NotATokenSecretError extends InvalidArgument {
  override readonly name = "NotATokenSecretError";
  static override readonly code = "ERR_NOT_A_TOKEN";
  override readonly code = NotATokenSecretError.code;
  constructor() {
    super("that secret belongs to a key, not to a token: revoke ends the secrets the exchange issues (tokens); delete a key with Delete(Ref(Keys(), id))");
  }
}
