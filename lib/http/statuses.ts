/**
 * The one table from an error's code to its HTTP status and OAuth `error`: nothing else
 * decides a status. A code that is not here (misconfiguration, a database surprise, a
 * bug) is a 500 whose description says nothing from inside the service.
 */
import {
  BadRequest,
  DatabaseUnavailable,
  IdentityProviderUnavailable,
  InvalidMetadata,
  JwksNoMatchingKey,
  JwksRefetchDeferred,
  JwtAlgorithmNotAllowed,
  JwtAudienceInvalid,
  JwtClaimMissing,
  JwtCritUnsupported,
  JwtExpired,
  JwtIssuerInvalid,
  JwtMalformed,
  JwtNotSigned,
  JwtNotYetValid,
  JwtSignatureInvalid,
  MethodNotAllowed,
  PayloadTooLarge,
  RequestAborted,
  UnknownUser,
  UnsupportedGrantType,
  UnsupportedMediaType,
} from "../core/errors/index.ts";

export interface HttpOutcome {
  status: number;
  /** OAuth's `error` (RFC 6749 §5.2, RFC 6750 §3.1). */
  error: string;
}

interface Row extends HttpOutcome {
  /** The answer in an RFC 8693 form exchange, when it differs (§2.2.2: an invalid subject token is a 400). */
  form?: HttpOutcome;
}

const invalidRequest = (status: number): Row => ({ status, error: "invalid_request" });
const INVALID_TOKEN: Row = { status: 401, error: "invalid_token", form: invalidRequest(400) };
const UNAVAILABLE: Row = { status: 503, error: "temporarily_unavailable" };
export const SERVER_ERROR: HttpOutcome = { status: 500, error: "server_error" };

/** Every code of an `InvalidToken` (the JWT is at fault: sign in again). */
export const INVALID_TOKEN_CODES: readonly string[] = [
  JwtExpired.code,
  JwtNotYetValid.code,
  JwtSignatureInvalid.code,
  JwksNoMatchingKey.code,
  JwtAlgorithmNotAllowed.code,
  JwtIssuerInvalid.code,
  JwtAudienceInvalid.code,
  JwtNotSigned.code,
  JwtCritUnsupported.code,
  JwtMalformed.code,
  JwtClaimMissing.code,
];

const STATUS_BY_CODE: ReadonlyMap<string, Row> = new Map<string, Row>([
  [BadRequest.code, invalidRequest(400)],
  [InvalidMetadata.code, invalidRequest(400)],
  // Nobody reads this answer; the status keeps a closed request out of the 5xx counts.
  [RequestAborted.code, invalidRequest(400)],
  [UnsupportedGrantType.code, { status: 400, error: "unsupported_grant_type" }],
  [MethodNotAllowed.code, invalidRequest(405)],
  [PayloadTooLarge.code, invalidRequest(413)],
  [UnsupportedMediaType.code, invalidRequest(415)],
  [UnknownUser.code, { status: 403, error: "access_denied" }],
  ...INVALID_TOKEN_CODES.map((code) => [code, INVALID_TOKEN] as const),
  [IdentityProviderUnavailable.code, UNAVAILABLE],
  [JwksRefetchDeferred.code, UNAVAILABLE],
  [DatabaseUnavailable.code, UNAVAILABLE],
]);

/** The status and OAuth error of a code; `form` for an RFC 8693 form request. */
export function outcomeOf(code: string, form: boolean): HttpOutcome {
  const row = STATUS_BY_CODE.get(code);
  if (!row) return SERVER_ERROR;
  return form && row.form ? row.form : { status: row.status, error: row.error };
}
