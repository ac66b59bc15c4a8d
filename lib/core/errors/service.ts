/**
 * Failures the operator must fix or wait out: the identity provider, FaunaDB, the
 * deployment's configuration and schema, and this service itself. Their messages say
 * what to fix; what only an operator may see (hosts, causes, problems) is in fields.
 */
import { DEFAULT_RETRY_AFTER_SECONDS, TokenExchangeError } from "./base.ts";

/**
 * Why a JWKS fetch failed, for operators: the HTTP status it answered, or a short
 * code (`ECONNREFUSED`, `timeout`, `invalid_json`, `not_a_jwks`, …). Never a URL, a
 * header or a body, so it is safe in logs.
 */
export interface IdentityProviderFailure {
  status?: number;
  code?: string;
}

/** The JWKS could not be fetched (a transient failure: the client should retry). */
export class IdentityProviderUnavailable extends TokenExchangeError {
  override readonly name: string = "IdentityProviderUnavailable";
  static readonly code: string = "ERR_IDP_UNAVAILABLE";
  readonly code: string = IdentityProviderUnavailable.code;
  /** What failed (for logs; the client sees only the message). */
  override readonly cause: IdentityProviderFailure | undefined;
  override readonly retryAfterSeconds: number = DEFAULT_RETRY_AFTER_SECONDS;
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
  override readonly name = "JwksRefetchDeferred";
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
  override readonly name = "DatabaseUnavailable";
  static readonly code = "ERR_DATABASE_UNAVAILABLE";
  readonly code = DatabaseUnavailable.code;
  override readonly retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS;
  constructor(readonly failure: DatabaseFailure = {}) {
    super("The database could not be reached; try again later.");
  }
}

/** Seconds a client is asked to wait while an index builds: longer than a blip, much shorter than a build. */
export const INDEX_BUILD_RETRY_AFTER_SECONDS = 5;

/**
 * An index the query needs is still being built by FaunaDB (a new index over more than
 * 128 documents builds in the background: `deploy-schema` on an existing deployment):
 * "not yet", never "no such thing" (503 with Retry-After). `index` names it, for the log.
 */
export class IndexNotActive extends TokenExchangeError {
  override readonly name = "IndexNotActive";
  static readonly code = "ERR_INDEX_NOT_ACTIVE";
  readonly code = IndexNotActive.code;
  override readonly retryAfterSeconds = INDEX_BUILD_RETRY_AFTER_SECONDS;
  constructor(readonly index: string) {
    super("The database is still building an index this service needs; try again later.");
  }
}

/** The database answered with something the service cannot explain (a bug, not an outage). */
export class DatabaseError extends TokenExchangeError {
  override readonly name = "DatabaseError";
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
 * A query abandoned at its deadline (lib/core/fauna/client.ts). Marked like the driver's
 * own `TimeoutError` (`isTimeoutError === true`), so both are classified alike: transient,
 * and "the database is unavailable" once mapped (lib/core/fauna/failures.ts).
 */
export class FaunaTimeoutError extends TokenExchangeError {
  override readonly name = "FaunaTimeoutError";
  static readonly code = "ERR_FAUNA_TIMEOUT";
  readonly code = FaunaTimeoutError.code;
  readonly isTimeoutError = true;
  constructor(readonly timeoutMs: number) {
    super(`FaunaDB did not answer within ${timeoutMs} ms`);
  }
}

/**
 * The deployment is wrong: missing or malformed environment, a key the database
 * refuses, a schema that was never deployed. `problems` names what to fix (variable
 * or object names only, never values) and is for operators, not clients.
 */
export class Misconfigured extends TokenExchangeError {
  override readonly name: string = "Misconfigured";
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
  override readonly name = "FaunaSecretRefused";
  static override readonly code = "ERR_FAUNA_SECRET_REFUSED";
  override readonly code = FaunaSecretRefused.code;
  constructor(
    readonly reason: "invalid" | "insufficient",
    problem: string,
  ) {
    super([problem]);
  }
}

/**
 * The cleanup's own settings are wrong (CLEANUP_PAGE_SIZE, CLEANUP_TIME_BUDGET_MS, or the
 * options given to `deleteExpiredTokens`): its own code, the configuration's class.
 */
export class CleanupConfigError extends Misconfigured {
  override readonly name = "CleanupConfigError";
  static override readonly code = "ERR_CLEANUP_CONFIG";
  override readonly code = CleanupConfigError.code;
  constructor(problems: string | readonly string[]) {
    super(typeof problems === "string" ? [problems] : problems);
  }
}

/**
 * A roles file (`deploy-schema --roles FILE`) that cannot be deployed: unreadable, not
 * JSON, or a role, field or value that is not what the format allows. Each problem names
 * the file, the role and the field. The configuration's class: fix it and run again.
 */
export class RolesFileInvalid extends Misconfigured {
  override readonly name = "RolesFileInvalid";
  static override readonly code = "ERR_ROLES_FILE";
  override readonly code = RolesFileInvalid.code;
  constructor(
    readonly file: string,
    problems: readonly string[],
  ) {
    super(problems.map((p) => `${file}: ${p}`));
  }
}

/** `deploy-schema` found an object with the expected name but another definition. */
export class SchemaConflict extends TokenExchangeError {
  override readonly name = "SchemaConflict";
  static readonly code = "ERR_SCHEMA_CONFLICT";
  readonly code = SchemaConflict.code;
  constructor(
    readonly object: string,
    readonly differences: readonly string[],
  ) {
    super(`${object} exists with a different definition: ${differences.join("; ")}`);
  }
}

/**
 * `deploy-schema` found a deployment of an earlier layout (indexes to change in place,
 * objects to add): it changes nothing without `--migrate`. `changes` says exactly what
 * `--migrate` would do, one line each.
 */
export class SchemaMigrationNeeded extends TokenExchangeError {
  override readonly name = "SchemaMigrationNeeded";
  static readonly code = "ERR_SCHEMA_MIGRATION_NEEDED";
  readonly code = SchemaMigrationNeeded.code;
  constructor(readonly changes: readonly string[]) {
    super(`the schema is an earlier layout; run deploy-schema with --migrate to change it: ${changes.join("; ")}`);
  }
}

/**
 * `deploy-schema` lost the race to create an object ("instance already exists") more often
 * than there are objects in its plan: each lost race means another deploy created at least
 * one of them, so this many can only mean objects also disappear meanwhile (someone deleting
 * them while deploys run). Nothing it created is undone; running it again carries on.
 */
export class SchemaDeployNotConverging extends TokenExchangeError {
  override readonly name = "SchemaDeployNotConverging";
  static readonly code = "ERR_SCHEMA_DEPLOY_NOT_CONVERGING";
  readonly code = SchemaDeployNotConverging.code;
  constructor(readonly attempts: number) {
    super(
      `another deploy-schema kept creating the objects this one was creating (${attempts} attempts, each finding one already there): run it again once the other deploys are done, and check that nothing deletes schema objects meanwhile`,
    );
  }
}

/**
 * A non-empty page of ledger entries deleted no ledger document: the set and the documents
 * disagree (each page reads and deletes at one snapshot, so this cannot happen on a
 * consistent database). Looping "from the start" would spin on the same entries forever;
 * this error stops the loop instead.
 */
export class LedgerStalledError extends TokenExchangeError {
  override readonly name = "LedgerStalledError";
  static readonly code = "ERR_LEDGER_STALLED";
  readonly code = LedgerStalledError.code;
  constructor(what: string) {
    super(`${what}: a page of ledger entries deleted nothing; stopping rather than looping on it`);
  }
}

/** A failure of this service itself (a bug): the detail is logged, never sent. */
export class InternalError extends TokenExchangeError {
  override readonly name = "InternalError";
  static readonly code = "ERR_INTERNAL";
  readonly code = InternalError.code;
  constructor() {
    super("The token service failed.");
  }
}

