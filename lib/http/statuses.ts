/**
 * The one table from an error's code to its HTTP status and OAuth `error`: nothing else
 * decides a status. A code that is not here (misconfiguration, a database surprise, a
 * bug) is a 500 whose description says nothing from inside the service.
 */
import * as E from "../core/errors/index.ts";

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
  E.JwtExpired.code,
  E.JwtNotYetValid.code,
  E.JwtSignatureInvalid.code,
  E.JwksNoMatchingKey.code,
  E.JwtAlgorithmNotAllowed.code,
  E.JwtIssuerInvalid.code,
  E.JwtAudienceInvalid.code,
  E.JwtNotSigned.code,
  E.JwtCritUnsupported.code,
  E.JwtMalformed.code,
  E.JwtClaimMissing.code,
  E.JwtSignedOut.code,
  E.JwtSubInvalid.code,
  E.JwtIatInvalid.code,
];

const STATUS_BY_CODE: ReadonlyMap<string, Row> = new Map<string, Row>([
  [E.BadRequest.code, invalidRequest(400)],
  [E.InvalidMetadata.code, invalidRequest(400)],
  // Nobody reads this answer; the status keeps a closed request out of the 5xx counts.
  [E.RequestAborted.code, invalidRequest(400)],
  // OAuth has no error of its own for a body that never arrived: it is a request that cannot be read.
  [E.RequestTimeout.code, invalidRequest(408)],
  [E.UnsupportedGrantType.code, { status: 400, error: "unsupported_grant_type" }],
  [E.MethodNotAllowed.code, invalidRequest(405)],
  [E.PayloadTooLarge.code, invalidRequest(413)],
  [E.UnsupportedMediaType.code, invalidRequest(415)],
  [E.UnknownUser.code, { status: 403, error: "access_denied" }],
  ...INVALID_TOKEN_CODES.map((code) => [code, INVALID_TOKEN] as const),
  [E.IdentityProviderUnavailable.code, UNAVAILABLE],
  [E.JwksRefetchDeferred.code, UNAVAILABLE],
  [E.DatabaseUnavailable.code, UNAVAILABLE],
  [E.IndexNotActive.code, UNAVAILABLE],
]);

/** The status and OAuth error of a code; `form` for an RFC 8693 form request. */
export function outcomeOf(code: string, form: boolean): HttpOutcome {
  const row = STATUS_BY_CODE.get(code);
  if (!row) return SERVER_ERROR;
  return form && row.form ? row.form : { status: row.status, error: row.error };
}
