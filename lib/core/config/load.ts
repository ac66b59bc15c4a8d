/**
 * Configuration from the environment, validated once per cold start. Every
 * problem is collected before failing so one deploy log line names all of them;
 * problems name variables, never their values (one of them is a server key).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { DEFAULT_USERS_COLLECTION, DEFAULT_USERS_INDEX } from "../ledger/layout.ts";
import { Misconfigured } from "../errors/index.ts";

export type Env = Readonly<Record<string, string | undefined>>;

/** What anything that only talks to Fauna (deploy-schema, the cleanup) needs. */
export interface FaunaConfig {
  endpoint: string;
  secret: string;
}

/** Asymmetric algorithms only: `none` and HMAC can never be allow-listed. */
export const SUPPORTED_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
] as const;
export type JwtAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

export interface JwtConfig {
  /** Exact `iss` expected, e.g. `https://tenant.auth0.com/` (Auth0 keeps the trailing slash). */
  issuer: string;
  /** Where signing keys come from; absent when `publicKeyPem` is used instead. */
  jwksUri?: string;
  publicKeyPem?: string;
  audiences: string[];
  algorithms: JwtAlgorithm[];
}

export interface Config {
  fauna: FaunaConfig;
  jwt: JwtConfig;
  usersCollection: string;
  usersIndex: string;
  createMissingUsers: boolean;
  tokenMaxTtlSeconds: number;
  /** Live secrets one user may hold; issuing one more revokes the oldest. 0: no bound. */
  maxLiveSecretsPerUser: number;
  allowedOrigins: string[];
  /** JWT claims copied into the ledger's `meta` by the HTTP function. */
  ledgerClaims: string[];
}

export const DEFAULT_TOKEN_MAX_TTL_SECONDS = 3600;
export const DEFAULT_MAX_LIVE_SECRETS_PER_USER = 20;
/** Each exchange reads this many of the user's ledger entries at most: keep it small. */
const MAX_MAX_LIVE_SECRETS_PER_USER = 1000;
/** Fauna accepts any future ttl; a year is a sanity bound against typos, not a Fauna limit. */
const MAX_TOKEN_MAX_TTL_SECONDS = 366 * 24 * 3600;

class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new Misconfigured(this.list);
  }
}

function read(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === "" ? undefined : v;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function readFauna(env: Env, p: Problems): FaunaConfig {
  const endpoint = read(env, "FAUNA_ENDPOINT");
  const secret = read(env, "FAUNA_SECRET");
  if (!endpoint) p.add("FAUNA_ENDPOINT is missing (e.g. http://127.0.0.1:8443)");
  else if (!isHttpUrl(endpoint)) p.add("FAUNA_ENDPOINT must be an http(s) URL");
  if (!secret) p.add("FAUNA_SECRET is missing (a server key's secret)");
  else if (/\s/.test(secret)) p.add("FAUNA_SECRET must not contain whitespace");
  return { endpoint: endpoint ?? "", secret: secret ?? "" };
}

/** Only FAUNA_ENDPOINT and FAUNA_SECRET: for code that never verifies a JWT. */
export function loadFaunaConfig(env: Env): FaunaConfig {
  const p = new Problems();
  const fauna = readFauna(env, p);
  p.throwIfAny();
  return fauna;
}

function readBoolean(env: Env, name: string, fallback: boolean, p: Problems): boolean {
  const v = read(env, name);
  if (v === undefined) return fallback;
  const lower = v.toLowerCase();
  if (["1", "true", "yes", "on"].includes(lower)) return true;
  if (["0", "false", "no", "off"].includes(lower)) return false;
  p.add(`${name} must be true or false`);
  return fallback;
}

/** Fauna names: letters, digits, underscore, not starting with a digit. */
function readName(env: Env, name: string, fallback: string, p: Problems): string {
  const v = read(env, name) ?? fallback;
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(v)) p.add(`${name} must be a Fauna collection/index name`);
  return v;
}

/** Netlify UIs often store a PEM on one line with literal `\n`. */
function normalizePem(pem: string): string {
  return pem.includes("\\n") ? pem.replace(/\\n/g, "\n") : pem;
}

/** The key type (and curve) each algorithm verifies with. */
function keyFits(alg: JwtAlgorithm, key: KeyObject): boolean {
  const type = key.asymmetricKeyType;
  if (alg.startsWith("RS")) return type === "rsa";
  if (alg.startsWith("PS")) return type === "rsa" || type === "rsa-pss";
  const curve = { ES256: "prime256v1", ES384: "secp384r1", ES512: "secp521r1" }[alg as "ES256" | "ES384" | "ES512"];
  return type === "ec" && key.asymmetricKeyDetails?.namedCurve === curve;
}

function isPrivateKeyPem(pem: string): boolean {
  // Also "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "OPENSSH PRIVATE KEY".
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) return true;
  try {
    createPrivateKey(pem);
    return true;
  } catch (e) {
    // An encrypted private key without its passphrase is still a private key.
    return (e as { code?: unknown }).code === "ERR_MISSING_PASSPHRASE";
  }
}

/**
 * What is wrong with AUTH0_PUBLIC_KEY, or undefined. A private key is refused even
 * though a public key could be derived from it: it must never sit in a function's
 * environment. The message names the variable and the key's type, never its content.
 */
function publicKeyProblem(pem: string, algorithms: readonly JwtAlgorithm[]): string | undefined {
  if (isPrivateKeyPem(pem)) {
    return "AUTH0_PUBLIC_KEY holds a PRIVATE key: set the public key or certificate only (and treat that private key as exposed)";
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return "AUTH0_PUBLIC_KEY must be a PEM public key or certificate";
  }
  if (key.type !== "public") return "AUTH0_PUBLIC_KEY must be a PEM public key or certificate";
  const unfit = algorithms.filter((a) => !keyFits(a, key));
  if (unfit.length > 0) {
    const kind = key.asymmetricKeyType === "ec" ? `an EC (${key.asymmetricKeyDetails?.namedCurve ?? "unknown curve"})` : `an ${key.asymmetricKeyType ?? "unknown"}`;
    return `AUTH0_PUBLIC_KEY is ${kind} key, which cannot verify ${unfit.join(", ")} listed in AUTH0_ALGORITHMS (RS*/PS* need RSA, ES256/384/512 need EC P-256/P-384/P-521)`;
  }
  return undefined;
}

function readJwt(env: Env, p: Problems): JwtConfig {
  const domain = read(env, "AUTH0_DOMAIN");
  const issuerVar = read(env, "AUTH0_ISSUER");
  const jwksVar = read(env, "AUTH0_JWKS_URI");
  const pemVar = read(env, "AUTH0_PUBLIC_KEY");
  const audiences = list(env.AUTH0_AUDIENCE);
  let issuer = "";
  let jwksUri: string | undefined;

  if (domain && issuerVar) {
    p.add("set only one of AUTH0_DOMAIN and AUTH0_ISSUER");
  } else if (domain) {
    const host = domain.replace(/^https:\/\//, "").replace(/\/+$/, "");
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) {
      p.add("AUTH0_DOMAIN must be a host name such as tenant.eu.auth0.com");
    } else {
      issuer = `https://${host}/`;
      jwksUri = `https://${host}/.well-known/jwks.json`;
    }
  } else if (issuerVar) {
    if (!isHttpUrl(issuerVar)) p.add("AUTH0_ISSUER must be an http(s) URL");
    else {
      issuer = issuerVar;
      // OIDC providers publish the JWKS beside the issuer; Auth0's issuer ends in "/".
      jwksUri = new URL(".well-known/jwks.json", issuerVar.endsWith("/") ? issuerVar : `${issuerVar}/`).href;
    }
  } else {
    p.add("AUTH0_DOMAIN or AUTH0_ISSUER is missing");
  }

  if (jwksVar) {
    if (!isHttpUrl(jwksVar)) p.add("AUTH0_JWKS_URI must be an http(s) URL");
    else jwksUri = jwksVar;
  }

  if (audiences.length === 0) p.add("AUTH0_AUDIENCE is missing (API identifier or client id, comma-separated)");

  const algorithms = list(env.AUTH0_ALGORITHMS ?? "RS256");
  const unsupported = algorithms.filter((a) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(a));
  const algorithmsValid = algorithms.length > 0 && unsupported.length === 0;
  if (!algorithmsValid) p.add(`AUTH0_ALGORITHMS may list only ${SUPPORTED_ALGORITHMS.join(", ")}`);

  let publicKeyPem: string | undefined;
  if (pemVar) {
    publicKeyPem = normalizePem(pemVar);
    const problem = publicKeyProblem(publicKeyPem, algorithmsValid ? (algorithms as JwtAlgorithm[]) : []);
    if (problem) p.add(problem);
    if (jwksVar) p.add("set only one of AUTH0_PUBLIC_KEY and AUTH0_JWKS_URI");
    jwksUri = undefined;
  }

  return {
    issuer,
    ...(jwksUri ? { jwksUri } : {}),
    ...(publicKeyPem ? { publicKeyPem } : {}),
    audiences,
    algorithms: algorithms as JwtAlgorithm[],
  };
}

function readOrigins(env: Env, p: Problems): string[] {
  const origins = list(env.ALLOWED_ORIGINS);
  for (const o of origins) {
    if (o === "*") continue;
    let ok = false;
    try {
      const u = new URL(o);
      ok = (u.protocol === "http:" || u.protocol === "https:") && u.origin === o.replace(/\/$/, "");
    } catch {
      ok = false;
    }
    if (!ok) {
      p.add("ALLOWED_ORIGINS must be comma-separated origins such as https://app.example.com (no path), or *");
      break;
    }
  }
  return origins.map((o) => o.replace(/\/$/, ""));
}

function readLedgerClaims(env: Env, p: Problems): string[] {
  const claims = list(env.LEDGER_CLAIMS);
  if (claims.some((c) => c.length > 256)) p.add("LEDGER_CLAIMS entries must be claim names");
  return claims;
}

function readTtl(env: Env, p: Problems): number {
  const v = read(env, "TOKEN_MAX_TTL_SECONDS");
  if (v === undefined) return DEFAULT_TOKEN_MAX_TTL_SECONDS;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > MAX_TOKEN_MAX_TTL_SECONDS) {
    p.add(`TOKEN_MAX_TTL_SECONDS must be a whole number of seconds between 1 and ${MAX_TOKEN_MAX_TTL_SECONDS}`);
    return DEFAULT_TOKEN_MAX_TTL_SECONDS;
  }
  return n;
}

function readMaxLiveSecrets(env: Env, p: Problems): number {
  const v = read(env, "MAX_LIVE_SECRETS_PER_USER");
  if (v === undefined) return DEFAULT_MAX_LIVE_SECRETS_PER_USER;
  if (!/^\d+$/.test(v) || Number(v) > MAX_MAX_LIVE_SECRETS_PER_USER) {
    p.add(`MAX_LIVE_SECRETS_PER_USER must be a whole number from 0 (no bound) to ${MAX_MAX_LIVE_SECRETS_PER_USER}`);
    return DEFAULT_MAX_LIVE_SECRETS_PER_USER;
  }
  return Number(v);
}

/** FAUNA_USERS_COLLECTION / FAUNA_USERS_INDEX with their defaults, for deploy-schema. */
export function loadUsersSchemaNames(env: Env): { usersCollection: string; usersIndex: string } {
  const p = new Problems();
  const names = {
    usersCollection: readName(env, "FAUNA_USERS_COLLECTION", DEFAULT_USERS_COLLECTION, p),
    usersIndex: readName(env, "FAUNA_USERS_INDEX", DEFAULT_USERS_INDEX, p),
  };
  p.throwIfAny();
  return names;
}

/**
 * What deploy-schema needs, FAUNA_ENDPOINT / FAUNA_SECRET and the users collection and
 * index names, read in one pass so one error names every bad variable.
 */
export function loadDeploySchemaConfig(env: Env): { fauna: FaunaConfig; usersCollection: string; usersIndex: string } {
  const p = new Problems();
  const fauna = readFauna(env, p);
  const usersCollection = readName(env, "FAUNA_USERS_COLLECTION", DEFAULT_USERS_COLLECTION, p);
  const usersIndex = readName(env, "FAUNA_USERS_INDEX", DEFAULT_USERS_INDEX, p);
  p.throwIfAny();
  return { fauna, usersCollection, usersIndex };
}

/** The whole configuration of the exchange; throws `Misconfigured` listing every problem. */
export function loadConfig(env: Env): Config {
  const p = new Problems();
  const fauna = readFauna(env, p);
  const jwt = readJwt(env, p);
  const config: Config = {
    fauna,
    jwt,
    usersCollection: readName(env, "FAUNA_USERS_COLLECTION", DEFAULT_USERS_COLLECTION, p),
    usersIndex: readName(env, "FAUNA_USERS_INDEX", DEFAULT_USERS_INDEX, p),
    createMissingUsers: readBoolean(env, "CREATE_MISSING_USERS", false, p),
    tokenMaxTtlSeconds: readTtl(env, p),
    maxLiveSecretsPerUser: readMaxLiveSecrets(env, p),
    allowedOrigins: readOrigins(env, p),
    ledgerClaims: readLedgerClaims(env, p),
  };
  p.throwIfAny();
  return config;
}
