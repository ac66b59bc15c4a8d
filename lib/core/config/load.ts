/**
 * The one configuration reader: every variable the functions and commands read is read
 * and validated here, from an environment the caller passes in (lib never reads
 * `process.env` itself but in its Node adapter). Every problem is collected before
 * failing, so one log line names all of them; problems name variables, never values.
 *
 * Adding a variable: a field in the section it belongs to, one reader call below
 * (reader.ts has the kinds: numbers, names, lists, choices, booleans), its line in
 * .env.example and in docs/configuration.md's table.
 */
import { DEFAULT_USERS_COLLECTION, DEFAULT_USERS_INDEX } from "../ledger/layout.ts";
import { MAX_PAGE_SIZE, PAGE_SIZE_CAP_REASON } from "../ledger/limits.ts";
import { CleanupConfigError, Misconfigured } from "../errors/index.ts";
import { LOG_THRESHOLDS, type LogThreshold } from "../log.ts";
import { EnvReader, isHttpUrl, type Env, type Problem } from "./reader.ts";
import type { JwtConfig } from "./identity.ts";
import { readIssuers } from "./issuers.ts";

export type { Env } from "./reader.ts";
export { DEFAULT_JWKS_MAX_AGE_SECONDS, SUPPORTED_ALGORITHMS, type JwtAlgorithm, type JwtConfig } from "./identity.ts";
export { MAX_OIDC_ISSUERS_BYTES } from "./issuers.ts";

/** What anything that only talks to Fauna (deploy-schema, the cleanup) needs. */
export interface FaunaConfig {
  endpoint: string;
  secret: string;
}

export interface UsersSchemaNames {
  usersCollection: string;
  usersIndex: string;
}

export interface Config extends UsersSchemaNames {
  fauna: FaunaConfig;
  /** The first issuer (the AUTH0_* one when set): its users are keyed by their bare `sub`. */
  jwt: JwtConfig;
  /** Every issuer trusted (AUTH0_* and OIDC_ISSUERS), `jwt` first. */
  issuers: JwtConfig[];
  createMissingUsers: boolean;
  tokenMaxTtlSeconds: number;
  /** Live secrets one user may hold; issuing one more revokes the oldest. 0: no bound. */
  maxLiveSecretsPerUser: number;
  allowedOrigins: string[];
  /** JWT claims copied into the ledger's `meta` by the HTTP function. */
  ledgerClaims: string[];
  /** TOKEN_CLAIMS: verified JWT claims copied onto each issued token as `data.claims`, for roles to grant by. */
  tokenClaims: string[];
  /** LOG_LEVEL. */
  logLevel: LogThreshold;
}

/** The cleanup's own settings; unset ones take the cleanup's defaults. */
export interface CleanupSettings {
  /** CLEANUP_PAGE_SIZE: ledger entries per query. */
  pageSize?: number;
  /** CLEANUP_TIME_BUDGET_MS: stop starting pages after this long. */
  timeBudgetMs?: number;
}

/** What the scheduled cleanup needs. */
export interface CleanupConfig {
  fauna: FaunaConfig;
  cleanup: CleanupSettings;
  logLevel: LogThreshold;
}

export const DEFAULT_TOKEN_MAX_TTL_SECONDS = 3600;
export const DEFAULT_MAX_LIVE_SECRETS_PER_USER = 20;
/** Each exchange reads this many of the user's ledger entries at most: keep it small. */
const MAX_MAX_LIVE_SECRETS_PER_USER = 1000;
/** Fauna accepts any future ttl; a year is a sanity bound against typos, not a Fauna limit. */
const MAX_TOKEN_MAX_TTL_SECONDS = 366 * 24 * 3600;
/** The variables of `CleanupSettings`: a problem with them alone is ERR_CLEANUP_CONFIG. */
const CLEANUP_VARIABLES = ["CLEANUP_PAGE_SIZE", "CLEANUP_TIME_BUDGET_MS"];

// ---------------------------------------------------------------- sections

function readFauna(r: EnvReader): FaunaConfig {
  const endpoint = r.value("FAUNA_ENDPOINT");
  const secret = r.value("FAUNA_SECRET");
  if (!endpoint) r.problem("FAUNA_ENDPOINT", "FAUNA_ENDPOINT is missing (e.g. http://127.0.0.1:8443)");
  else if (!isHttpUrl(endpoint)) r.problem("FAUNA_ENDPOINT", "FAUNA_ENDPOINT must be an http(s) URL");
  if (!secret) r.problem("FAUNA_SECRET", "FAUNA_SECRET is missing (a server key's secret)");
  else if (/\s/.test(secret)) r.problem("FAUNA_SECRET", "FAUNA_SECRET must not contain whitespace");
  return { endpoint: endpoint ?? "", secret: secret ?? "" };
}

function readUsers(r: EnvReader): UsersSchemaNames {
  return {
    usersCollection: r.faunaName("FAUNA_USERS_COLLECTION", DEFAULT_USERS_COLLECTION),
    usersIndex: r.faunaName("FAUNA_USERS_INDEX", DEFAULT_USERS_INDEX),
  };
}

function readCreateMissingUsers(r: EnvReader): boolean {
  return r.boolean("CREATE_MISSING_USERS", false);
}

function readOrigins(r: EnvReader): string[] {
  const origins = r.list("ALLOWED_ORIGINS");
  const isOrigin = (o: string): boolean => {
    try {
      const u = new URL(o);
      return (u.protocol === "http:" || u.protocol === "https:") && u.origin === o.replace(/\/$/, "");
    } catch {
      return false;
    }
  };
  if (origins.some((o) => o !== "*" && !isOrigin(o))) {
    r.problem("ALLOWED_ORIGINS", "ALLOWED_ORIGINS must be comma-separated origins such as https://app.example.com (no path), or *");
  }
  return origins.map((o) => o.replace(/\/$/, ""));
}

function readLedgerClaims(r: EnvReader): string[] {
  const claims = r.list("LEDGER_CLAIMS");
  if (claims.some((c) => c.length > 256)) r.problem("LEDGER_CLAIMS", "LEDGER_CLAIMS entries must be claim names");
  return claims;
}

/**
 * TOKEN_CLAIMS: top-level claim names, taken literally (an Auth0 namespaced claim such as
 * `https://example.com/roles` holds dots and is one name; `realm_access.roles` would be a
 * claim of that name, not a path, so a name that looks like a path is refused).
 */
function readTokenClaims(r: EnvReader): string[] {
  const claims = r.list("TOKEN_CLAIMS");
  const bad = claims.filter((c) => c.length > 256 || /[\u0000-\u001f\u007f]/.test(c));
  if (bad.length > 0) r.problem("TOKEN_CLAIMS", "TOKEN_CLAIMS entries must be claim names (at most 256 characters, no control characters)");
  const paths = claims.filter((c) => /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(c));
  if (paths.length > 0) {
    r.problem("TOKEN_CLAIMS", `TOKEN_CLAIMS names top-level claims: list ${paths.map((p) => p.split(".")[0]).join(", ")} (the whole object), not a path into it`);
  }
  if (new Set(claims).size !== claims.length) r.problem("TOKEN_CLAIMS", "TOKEN_CLAIMS lists a claim twice");
  return claims;
}

function readLogLevel(r: EnvReader): LogThreshold {
  return r.choice("LOG_LEVEL", LOG_THRESHOLDS, "info");
}

function readCleanup(r: EnvReader): CleanupSettings {
  const positive = (name: string) => (raw: string) => `${name} must be a positive integer, got ${JSON.stringify(raw)}`;
  const unbounded = { min: 1, max: Number.MAX_SAFE_INTEGER };
  const pageSize = r.wholeNumber("CLEANUP_PAGE_SIZE", unbounded, positive("CLEANUP_PAGE_SIZE"));
  const timeBudgetMs = r.wholeNumber("CLEANUP_TIME_BUDGET_MS", unbounded, positive("CLEANUP_TIME_BUDGET_MS"));
  const settings: CleanupSettings = {};
  if (pageSize !== undefined && pageSize > MAX_PAGE_SIZE) {
    r.problem("CLEANUP_PAGE_SIZE", `CLEANUP_PAGE_SIZE must be at most ${MAX_PAGE_SIZE}, got ${pageSize}: ${PAGE_SIZE_CAP_REASON}`);
  } else if (pageSize !== undefined) settings.pageSize = pageSize;
  if (timeBudgetMs !== undefined) settings.timeBudgetMs = timeBudgetMs;
  return settings;
}

/** ERR_CLEANUP_CONFIG when only the cleanup's own settings are wrong, ERR_MISCONFIGURED otherwise. */
function cleanupError(problems: readonly Problem[]): Misconfigured {
  const messages = problems.map((p) => p.message);
  return problems.every((p) => CLEANUP_VARIABLES.includes(p.variable)) ? new CleanupConfigError(messages) : new Misconfigured(messages);
}

// ---------------------------------------------------------------- what each job reads

/** The whole configuration of the exchange; throws `Misconfigured` listing every problem. */
export function loadConfig(env: Env): Config {
  const r = new EnvReader(env);
  const fauna = readFauna(r);
  const { jwt, issuers } = readIssuers(r);
  return r.done({
    fauna,
    jwt,
    issuers,
    ...readUsers(r),
    createMissingUsers: readCreateMissingUsers(r),
    tokenMaxTtlSeconds:
      r.wholeNumber(
        "TOKEN_MAX_TTL_SECONDS",
        { min: 1, max: MAX_TOKEN_MAX_TTL_SECONDS },
        `TOKEN_MAX_TTL_SECONDS must be a whole number of seconds between 1 and ${MAX_TOKEN_MAX_TTL_SECONDS}`,
      ) ?? DEFAULT_TOKEN_MAX_TTL_SECONDS,
    maxLiveSecretsPerUser:
      r.wholeNumber(
        "MAX_LIVE_SECRETS_PER_USER",
        { min: 0, max: MAX_MAX_LIVE_SECRETS_PER_USER },
        `MAX_LIVE_SECRETS_PER_USER must be a whole number from 0 (no bound) to ${MAX_MAX_LIVE_SECRETS_PER_USER}`,
      ) ?? DEFAULT_MAX_LIVE_SECRETS_PER_USER,
    allowedOrigins: readOrigins(r),
    ledgerClaims: readLedgerClaims(r),
    tokenClaims: readTokenClaims(r),
    logLevel: readLogLevel(r),
  });
}

/** Only FAUNA_ENDPOINT and FAUNA_SECRET: for code that never verifies a JWT. */
export function loadFaunaConfig(env: Env): FaunaConfig {
  const r = new EnvReader(env);
  return r.done(readFauna(r));
}

/**
 * What revoke by `sub` needs besides FaunaDB: FAUNA_USERS_COLLECTION / FAUNA_USERS_INDEX with
 * their defaults, and CREATE_MISSING_USERS (then an unknown `sub` gets its user created to
 * hold the sign-out, as the exchange would create it: lib/core/revoke.ts).
 */
export function loadRevokeConfig(env: Env): UsersSchemaNames & { createMissingUsers: boolean } {
  const r = new EnvReader(env);
  return r.done({ ...readUsers(r), createMissingUsers: readCreateMissingUsers(r) });
}

/** What deploy-schema needs: FaunaDB, and the users collection and index names. */
export function loadDeploySchemaConfig(env: Env): { fauna: FaunaConfig } & UsersSchemaNames {
  const r = new EnvReader(env);
  const fauna = readFauna(r);
  return r.done({ fauna, ...readUsers(r) });
}

/** What the scheduled cleanup needs: FaunaDB, its own settings, LOG_LEVEL, in one error. */
export function loadCleanupConfig(env: Env): CleanupConfig {
  const r = new EnvReader(env);
  const fauna = readFauna(r);
  const cleanup = readCleanup(r);
  return r.done({ fauna, cleanup, logLevel: readLogLevel(r) }, cleanupError);
}

/**
 * The cleanup's own settings alone, `CLEANUP_PAGE_SIZE` and `CLEANUP_TIME_BUDGET_MS`:
 * unset or empty means the default; anything else must be a positive integer.
 */
export function cleanupOptionsFromEnv(env: Env): CleanupSettings {
  const r = new EnvReader(env);
  return r.done(readCleanup(r), cleanupError);
}

/** LOG_LEVEL alone (commands that build no handler). */
export function loadLogLevel(env: Env): LogThreshold {
  const r = new EnvReader(env);
  return r.done(readLogLevel(r));
}

/**
 * CRON_SECRET: the Bearer token Vercel Cron sends. Unset is not an error here: the cron
 * route then refuses every request, and says why in its log.
 */
export function loadCronSecret(env: Env): string | undefined {
  return new EnvReader(env).value("CRON_SECRET");
}
