/**
 * The translation of driver failures into lib's typed errors. Fauna error codes are
 * matched against the constants below, and `Abort` reasons against ABORT_REASONS, which
 * the queries use too — so the two sides cannot drift apart.
 */
import faunadb from "faunadb";
import { systemErrorCode } from "../error-cause.ts";
import {
  DatabaseError,
  DatabaseUnavailable,
  FaunaSecretRefused,
  FaunaTimeoutError,
  IndexNotActive,
  InternalError,
  JwtSignedOut,
  Misconfigured,
  TokenExchangeError,
  UnknownUser,
} from "../errors/index.ts";

/** Fauna's own error codes (errors[0].code) this project reacts to. */
export const FAUNA_ERROR = {
  transactionAborted: "transaction aborted",
  instanceNotUnique: "instance not unique",
  instanceAlreadyExists: "instance already exists",
  instanceNotFound: "instance not found",
  contendedTransaction: "contended transaction",
  invalidRef: "invalid ref",
  permissionDenied: "permission denied",
  unauthorized: "unauthorized",
  /** 503: the query's X-Query-Timeout passed ("Read timed out"). */
  timeOut: "time out",
} as const;

/** The strings our queries pass to `Abort()`; mapped back to typed errors below. */
export const ABORT_REASONS = {
  unknownUser: "fte:unknown_user",
  signedOut: "fte:signed_out",
} as const;

export interface FaunaFailure {
  status: number;
  /** errors[0].code, e.g. "transaction aborted". */
  code: string;
  /** errors[0].description (the Abort reason for aborted transactions). */
  description: string;
}

/** The status and first error of a driver HTTP error, or null for anything else. */
export function faunaFailure(e: unknown): FaunaFailure | null {
  if (!(e instanceof faunadb.errors.FaunaHTTPError)) return null;
  const status = e.requestResult.statusCode;
  const first = (e.errors() as unknown[])[0] as { code?: unknown; description?: unknown } | undefined;
  return {
    status,
    code: typeof first?.code === "string" ? first.code : "",
    description: typeof first?.description === "string" ? first.description : "",
  };
}

/**
 * The index FaunaDB is still building, when that is why a query failed: FaunaDB answers
 * 400 `instance not found` with the description "Index 'NAME' is not active." (no field
 * carries the name, so it is read from there), or null for any other failure.
 */
export function inactiveIndex(e: unknown): string | null {
  const f = faunaFailure(e);
  if (!f || f.code !== FAUNA_ERROR.instanceNotFound) return null;
  return /^Index '(.+)' is not active\.$/.exec(f.description)?.[1] ?? null;
}

/** What the caller was doing, so a mapped error can name what to fix. */
export interface FaunaErrorContext {
  /** FAUNA_ENDPOINT: its host goes into DatabaseUnavailable for the log. */
  endpoint?: string;
  /** The users index and collection in use, to name their variables when one is missing. */
  usersIndex?: string;
  usersCollection?: string;
  /** e.g. "deploy-schema": who lacks a permission. Default "the exchange". */
  operation?: string;
  /** What FAUNA_SECRET must be for `operation`. Default "a server key". */
  needs?: string;
}

function hostOf(endpoint: string | undefined): string | undefined {
  if (!endpoint) return undefined;
  try {
    return new URL(endpoint).host;
  } catch {
    return undefined;
  }
}

/** Why FaunaDB could not be talked to, as a short code safe for logs. */
function transportCause(e: unknown): string {
  if (isFaunaTimeout(e)) return "timeout";
  if (e instanceof SyntaxError) return "unreadable_response";
  return systemErrorCode(e) ?? "connection_failed";
}

/**
 * A missing schema object, named with the variable that names it. FaunaDB's own
 * description ("Ref refers to undefined index 'x'") says which object it was.
 */
function missingSchemaObject(description: string, ctx: FaunaErrorContext): string {
  const m = /undefined (collection|index) '([^']*)'/.exec(description);
  if (m) {
    const [, kind, name] = m;
    if (kind === "index" && name === ctx.usersIndex) {
      return `index '${name}' (FAUNA_USERS_INDEX) does not exist: fix FAUNA_USERS_INDEX, or create it (npm run deploy-schema -- --with-users creates it, unique on data.auth0_id)`;
    }
    if (kind === "collection" && name === ctx.usersCollection) {
      return `collection '${name}' (FAUNA_USERS_COLLECTION) does not exist: fix FAUNA_USERS_COLLECTION, or create it (npm run deploy-schema -- --with-users)`;
    }
    return `${kind} '${name}' does not exist: run \`npm run deploy-schema\` (with --migrate on a deployment of an earlier version)`;
  }
  return "a collection or index is missing: run `npm run deploy-schema`";
}

/**
 * Driver error → typed error. Deliberately lossy: the driver error holds the
 * request and response (which can include an issued secret), so none of it is
 * carried along; only Fauna's error code, the endpoint's host and a short cause
 * survive, for logs.
 */
export function mapFaunaError(e: unknown, ctx: FaunaErrorContext = {}): TokenExchangeError {
  const host = hostOf(ctx.endpoint);
  // Our own deadline is the database not answering in time, for whoever asked.
  if (e instanceof FaunaTimeoutError) return new DatabaseUnavailable({ ...(host ? { host } : {}), cause: "timeout" });
  if (e instanceof TokenExchangeError) return e;
  const f = faunaFailure(e);
  if (f) {
    if (f.code === FAUNA_ERROR.transactionAborted && f.description === ABORT_REASONS.unknownUser) return new UnknownUser();
    if (f.code === FAUNA_ERROR.transactionAborted && f.description === ABORT_REASONS.signedOut) return new JwtSignedOut();
    const building = inactiveIndex(e);
    if (building !== null) return new IndexNotActive(building);
    if (f.status === 401) {
      return new FaunaSecretRefused("invalid", `FaunaDB at ${host ?? "FAUNA_ENDPOINT"} refused FAUNA_SECRET (401): it is not a valid key for that database`);
    }
    if (f.code === FAUNA_ERROR.permissionDenied) {
      return new FaunaSecretRefused("insufficient", `FAUNA_SECRET lacks a permission ${ctx.operation ?? "the exchange"} needs (use ${ctx.needs ?? "a server key"})`);
    }
    if (f.code === FAUNA_ERROR.invalidRef) return new Misconfigured([missingSchemaObject(f.description, ctx)]);
    if (isTransientStatus(f.status)) return new DatabaseUnavailable({ ...(host ? { host } : {}), cause: `http_${f.status}${f.code ? `:${f.code}` : ""}` });
    return new DatabaseError(f.code || String(f.status));
  }
  // Driver errors that are not HTTP answers (bad arguments) are our bugs.
  if (e instanceof faunadb.errors.FaunaError) return new DatabaseError(e.name);
  if (isTransportFailure(e)) return new DatabaseUnavailable({ ...(host ? { host } : {}), cause: transportCause(e) });
  // Anything else did not come from the database at all: a bug of ours, never "ERR_DATABASE".
  return new InternalError();
}

/**
 * FaunaDB's 440 `processing time limit exceeded`: the query's `X-Query-Timeout` passed
 * before it finished (the server answers 440 rather than 503 `time out` when it ran less
 * than a second, or less than twice its expected time). Like 503 `time out`, it means
 * "not done, nothing committed", not "you asked wrong".
 */
const PROCESSING_TIME_LIMIT_EXCEEDED = 440;

/** Contention, throttling, FaunaDB's timeouts (440, 503), and FaunaDB (or a proxy in front of it) failing or unavailable. */
function isTransientStatus(status: number): boolean {
  return status === 409 || status === 429 || status === PROCESSING_TIME_LIMIT_EXCEEDED || status >= 500;
}

/**
 * The one classifier of failures after which the same query may simply be sent again
 * (and which, in an answer, mean "the database is unavailable", not "you asked wrong"):
 * an HTTP answer with a transient status (409 contention, 429 throttling, 440 and 503
 * FaunaDB's query timeouts, 5xx), or no
 * usable answer at all (see `isTransportFailure`: refused/reset connections, DNS, the
 * driver's `TimeoutError`, which is marked only by `isTimeoutError === true`, never by
 * its `name`). Any other driver error (a 4xx, a bad argument) is not transient.
 */
export function isTransientFaunaError(e: unknown): boolean {
  const f = faunaFailure(e);
  if (f) return isTransientStatus(f.status);
  if (e instanceof faunadb.errors.FaunaError) return false;
  return isTransportFailure(e);
}

/**
 * A query that ran out of time, whoever's deadline it was: FaunaDB's 440 or 503 `time out`,
 * or our own (the driver's timeout, `FaunaTimeoutError`). Transient, but sending the same
 * work again may take as long again.
 */
export function isQueryTimeout(e: unknown): boolean {
  const f = faunaFailure(e);
  if (f) return f.status === PROCESSING_TIME_LIMIT_EXCEEDED || (f.status === 503 && f.code === FAUNA_ERROR.timeOut);
  return isFaunaTimeout(e);
}

/** True for the driver's timeout (and any error that marks itself the same way). */
export function isFaunaTimeout(e: unknown): boolean {
  return e instanceof Error && (e as { isTimeoutError?: unknown }).isTimeoutError === true;
}

/** Node's codes for a connection that failed or broke (net, dns, http2, undici). */
const TRANSPORT_CODE = /^(ERR_HTTP2_|UND_ERR|ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_|EHOSTUNREACH|ENETUNREACH)/;

/**
 * The database could not be talked to: a refused or reset connection, an HTTP/2
 * failure (the driver reports a refused connection as ERR_HTTP2_STREAM_CANCEL with
 * the socket error as its cause), the driver's timeout or abort, or a proxy
 * answering with a body that is not Fauna's JSON. Codes are matched by Node's
 * prefixes so that our own `ERR_…` codes never count as an outage.
 */
function isTransportFailure(e: unknown, depth = 0): boolean {
  if (!(e instanceof Error) || depth > 2) return false;
  const x = e as Error & { code?: unknown; syscall?: unknown; isTimeoutError?: unknown; isAbortError?: unknown };
  return (
    (typeof x.code === "string" && TRANSPORT_CODE.test(x.code)) ||
    typeof x.syscall === "string" ||
    x.isTimeoutError === true ||
    x.isAbortError === true ||
    e instanceof SyntaxError ||
    isTransportFailure(x.cause, depth + 1)
  );
}
