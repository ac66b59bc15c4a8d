/**
 * The identity providers a deployment trusts: the one the AUTH0_* variables describe
 * (identity.ts), and any number more in OIDC_ISSUERS, a JSON array of
 * `{"issuer", "audience", "jwks_uri", "algorithms"}`. Both together: the AUTH0_* one is
 * first. The first issuer's users are keyed by their bare `sub`, as they always were; any
 * other issuer's by `<iss>#<sub>` (lib/core/identity/issuers.ts), which is why no issuer
 * listed here may hold a `#` (an OIDC issuer has no fragment anyway).
 */
import { SUPPORTED_ALGORITHMS, readJwksMaxAge, readJwt, type JwtAlgorithm, type JwtConfig } from "./identity.ts";
import { isHttpUrl, type EnvReader } from "./reader.ts";

/**
 * OIDC_ISSUERS at most this long: AWS Lambda, and so Netlify, gives all of a function's
 * variables 4 KB together, and FAUNA_SECRET and the rest need some of it. Three issuers
 * take about 550 bytes (the example in docs/identity-providers.md).
 */
export const MAX_OIDC_ISSUERS_BYTES = 3072;

const FIELDS = ["issuer", "audience", "jwks_uri", "algorithms"] as const;
const AUTH0_VARIABLES = ["AUTH0_DOMAIN", "AUTH0_ISSUER", "AUTH0_JWKS_URI", "AUTH0_PUBLIC_KEY", "AUTH0_AUDIENCE", "AUTH0_ALGORITHMS"];
const VARIABLE = "OIDC_ISSUERS";

/** Every issuer trusted, the AUTH0_* one (when set) first; `jwt` is the first, as before there were several. */
export interface IssuersConfig {
  jwt: JwtConfig;
  issuers: JwtConfig[];
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A JWKS URL: https, or http to this machine only (a local issuer in development). */
function jwksUriProblem(value: unknown): string | undefined {
  if (typeof value !== "string" || !isHttpUrl(value)) return "jwks_uri must be an https URL (the provider's jwks_uri)";
  const url = new URL(value);
  if (url.protocol === "http:" && !isLoopback(url.hostname)) return "jwks_uri must use https (http only to localhost)";
  return undefined;
}

function audiences(value: unknown): string[] | undefined {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === "string" && a.trim() !== "")) return undefined;
  return list as string[];
}

function algorithms(value: unknown): JwtAlgorithm[] | undefined {
  if (value === undefined) return ["RS256"];
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.every((a) => (SUPPORTED_ALGORITHMS as readonly unknown[]).includes(a)) ? (value as JwtAlgorithm[]) : undefined;
}

/** One entry of OIDC_ISSUERS, or the problems with it (each naming `OIDC_ISSUERS[n]` and the field). */
function readEntry(entry: unknown, at: string): { config?: JwtConfig; problems: string[] } {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return { problems: [`${at} must be an object with ${FIELDS.join(", ")}`] };
  }
  const e = entry as Record<string, unknown>;
  const problems = Object.keys(e)
    .filter((k) => !(FIELDS as readonly string[]).includes(k))
    .map((k) => `${at} has an unknown field ${JSON.stringify(k)} (the fields are ${FIELDS.join(", ")})`);
  const issuer = e.issuer;
  if (typeof issuer !== "string" || !isHttpUrl(issuer)) problems.push(`${at}.issuer must be the provider's issuer URL, exactly as in its tokens' iss`);
  else if (issuer.includes("#")) problems.push(`${at}.issuer must not contain "#" (an OIDC issuer has no fragment)`);
  const aud = audiences(e.audience);
  if (!aud) problems.push(`${at}.audience must be a string or a non-empty array of strings (the tokens' aud)`);
  const jwksProblem = jwksUriProblem(e.jwks_uri);
  if (jwksProblem) problems.push(`${at}.${jwksProblem}`);
  const algs = algorithms(e.algorithms);
  if (!algs) problems.push(`${at}.algorithms must be a non-empty array of ${SUPPORTED_ALGORITHMS.join(", ")} (default ["RS256"])`);
  if (problems.length > 0) return { problems };
  return { config: { issuer: issuer as string, jwksUri: e.jwks_uri as string, audiences: aud!, algorithms: algs! }, problems };
}

/** OIDC_ISSUERS as configurations, every problem recorded against the variable. */
function readOidcIssuers(r: EnvReader, raw: string): JwtConfig[] {
  if (Buffer.byteLength(raw) > MAX_OIDC_ISSUERS_BYTES) {
    r.problem(VARIABLE, `${VARIABLE} must be at most ${MAX_OIDC_ISSUERS_BYTES} bytes: a Netlify function's variables share 4 KB`);
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    r.problem(VARIABLE, `${VARIABLE} must be JSON: an array of {"issuer", "audience", "jwks_uri", "algorithms"}`);
    return [];
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    r.problem(VARIABLE, `${VARIABLE} must be a non-empty JSON array of {"issuer", "audience", "jwks_uri", "algorithms"}`);
    return [];
  }
  const configs: JwtConfig[] = [];
  parsed.forEach((entry, n) => {
    const { config, problems } = readEntry(entry, `${VARIABLE}[${n}]`);
    for (const p of problems) r.problem(VARIABLE, p);
    if (config) configs.push(config);
  });
  return configs;
}

/**
 * AUTH0_* and OIDC_ISSUERS. With OIDC_ISSUERS set, the AUTH0_* variables are optional: left
 * all unset, they configure nothing; any one set, they are read (and checked) as always.
 */
export function readIssuers(r: EnvReader): IssuersConfig {
  const raw = r.value("OIDC_ISSUERS");
  const auth0 = raw === undefined || AUTH0_VARIABLES.some((v) => r.value(v) !== undefined) ? [readJwt(r)] : [];
  // JWKS_MAX_AGE_SECONDS is read once, with the AUTH0_* variables when they are read.
  const jwksMaxAgeSeconds = auth0[0]?.jwksMaxAgeSeconds ?? readJwksMaxAge(r);
  const listed = raw === undefined ? [] : readOidcIssuers(r, raw).map((c) => ({ ...c, jwksMaxAgeSeconds }));
  const issuers = [...auth0, ...listed];
  issuers.forEach((c, n) => {
    const first = issuers.findIndex((o) => o.issuer === c.issuer);
    if (first === n || c.issuer === "") return;
    const where = (i: number) => (i < auth0.length ? "AUTH0_DOMAIN/AUTH0_ISSUER" : `${VARIABLE}[${i - auth0.length}]`);
    r.problem(VARIABLE, `${where(n)} repeats the issuer of ${where(first)}: each issuer once`);
  });
  const placeholder: JwtConfig = { issuer: "", audiences: [], algorithms: ["RS256"] };
  return { jwt: issuers[0] ?? placeholder, issuers };
}
