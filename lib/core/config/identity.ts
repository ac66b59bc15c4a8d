/**
 * The identity provider's variables (AUTH0_*): which issuer, where its keys are (a JWKS
 * URL or one PEM public key), which audiences and algorithms. Read by the configuration
 * reader in one pass with the others (load.ts).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { isHttpUrl, type EnvReader } from "./reader.ts";

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

/** JWKS_MAX_AGE_SECONDS's default: a key withdrawn from the JWKS is refused within a minute. */
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 60;
/**
 * Twice the JWKS fetch's own timeout (budgets.ts, 5 s): a fetch that takes all of it still
 * brings a set that is good for a while (its age counts from when the fetch was sent).
 */
const MIN_JWKS_MAX_AGE_SECONDS = 10;
/** An hour: more is a typo (milliseconds for seconds) more often than a wish. */
const MAX_JWKS_MAX_AGE_SECONDS = 3600;

export interface JwtConfig {
  /** Exact `iss` expected, e.g. `https://tenant.auth0.com/` (Auth0 keeps the trailing slash). */
  issuer: string;
  /** Where signing keys come from; absent when `publicKeyPem` is used instead. */
  jwksUri?: string;
  publicKeyPem?: string;
  audiences: string[];
  algorithms: JwtAlgorithm[];
  /**
   * JWKS_MAX_AGE_SECONDS: how long a fetched key set is trusted, counted from when its
   * fetch was sent; a key withdrawn from the JWKS is refused at the latest this long after
   * (lib/core/identity/jwks.ts). Unset: DEFAULT_JWKS_MAX_AGE_SECONDS.
   */
  jwksMaxAgeSeconds?: number;
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

/** JWKS_MAX_AGE_SECONDS: it applies to every issuer's key set (OIDC_ISSUERS' too). */
export function readJwksMaxAge(r: EnvReader): number {
  return (
    r.wholeNumber(
      "JWKS_MAX_AGE_SECONDS",
      { min: MIN_JWKS_MAX_AGE_SECONDS, max: MAX_JWKS_MAX_AGE_SECONDS },
      `JWKS_MAX_AGE_SECONDS must be a whole number of seconds from ${MIN_JWKS_MAX_AGE_SECONDS} to ${MAX_JWKS_MAX_AGE_SECONDS}`,
    ) ?? DEFAULT_JWKS_MAX_AGE_SECONDS
  );
}

/** AUTH0_DOMAIN or AUTH0_ISSUER, AUTH0_JWKS_URI or AUTH0_PUBLIC_KEY, AUTH0_AUDIENCE, AUTH0_ALGORITHMS, JWKS_MAX_AGE_SECONDS. */
export function readJwt(r: EnvReader): JwtConfig {
  const domain = r.value("AUTH0_DOMAIN");
  const issuerVar = r.value("AUTH0_ISSUER");
  const jwksVar = r.value("AUTH0_JWKS_URI");
  const pemVar = r.value("AUTH0_PUBLIC_KEY");
  const audiences = r.list("AUTH0_AUDIENCE");
  let issuer = "";
  let jwksUri: string | undefined;

  if (domain && issuerVar) {
    r.problem("AUTH0_DOMAIN", "set only one of AUTH0_DOMAIN and AUTH0_ISSUER");
  } else if (domain) {
    const host = domain.replace(/^https:\/\//, "").replace(/\/+$/, "");
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(host)) {
      r.problem("AUTH0_DOMAIN", "AUTH0_DOMAIN must be a host name such as tenant.eu.auth0.com");
    } else {
      issuer = `https://${host}/`;
      jwksUri = `https://${host}/.well-known/jwks.json`;
    }
  } else if (issuerVar) {
    if (!isHttpUrl(issuerVar)) r.problem("AUTH0_ISSUER", "AUTH0_ISSUER must be an http(s) URL");
    else {
      issuer = issuerVar;
      // OIDC providers publish the JWKS beside the issuer; Auth0's issuer ends in "/".
      jwksUri = new URL(".well-known/jwks.json", issuerVar.endsWith("/") ? issuerVar : `${issuerVar}/`).href;
    }
  } else {
    r.problem("AUTH0_DOMAIN", "AUTH0_DOMAIN or AUTH0_ISSUER is missing (or set OIDC_ISSUERS)");
  }

  if (jwksVar) {
    if (!isHttpUrl(jwksVar)) r.problem("AUTH0_JWKS_URI", "AUTH0_JWKS_URI must be an http(s) URL");
    else jwksUri = jwksVar;
  }

  if (audiences.length === 0) r.problem("AUTH0_AUDIENCE", "AUTH0_AUDIENCE is missing (API identifier or client id, comma-separated)");

  const algorithms = r.list("AUTH0_ALGORITHMS", "RS256");
  const unsupported = algorithms.filter((a) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(a));
  const algorithmsValid = algorithms.length > 0 && unsupported.length === 0;
  if (!algorithmsValid) r.problem("AUTH0_ALGORITHMS", `AUTH0_ALGORITHMS may list only ${SUPPORTED_ALGORITHMS.join(", ")}`);

  let publicKeyPem: string | undefined;
  if (pemVar) {
    publicKeyPem = normalizePem(pemVar);
    const problem = publicKeyProblem(publicKeyPem, algorithmsValid ? (algorithms as JwtAlgorithm[]) : []);
    if (problem) r.problem("AUTH0_PUBLIC_KEY", problem);
    if (jwksVar) r.problem("AUTH0_PUBLIC_KEY", "set only one of AUTH0_PUBLIC_KEY and AUTH0_JWKS_URI");
    jwksUri = undefined;
  }

  const jwksMaxAgeSeconds = readJwksMaxAge(r);

  return {
    issuer,
    ...(jwksUri ? { jwksUri } : {}),
    ...(publicKeyPem ? { publicKeyPem } : {}),
    audiences,
    algorithms: algorithms as JwtAlgorithm[],
    jwksMaxAgeSeconds,
  };
}

