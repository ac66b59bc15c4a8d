/**
 * One fetch of a JWKS and what it yields: the document read under our own limits (a
 * signal, no redirects, 256 KB), its signing keys as jwks-rsa decides them, turned into
 * `KeyObject`s, and what a failure was, said without a URL, a header or a body. The key
 * set's cache, its max age and the rules on when to fetch are jwks.ts's.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import type jwksRsaModule from "jwks-rsa";
import { IdentityProviderUnavailable, type IdentityProviderFailure, InternalError, Misconfigured } from "../errors/index.ts";
import { log } from "../log.ts";
import { systemErrorCode } from "../error-cause.ts";

export interface SigningKey {
  kid?: string;
  /** The JWK's own `alg`, when it declares one: the key may verify only that. */
  alg?: string;
  key: KeyObject;
}

/** Far more than any real JWKS (a provider publishes a few keys); a larger answer is refused unread. */
export const MAX_JWKS_BYTES = 256 * 1024;

async function readLimited(res: Response, limit: number): Promise<string> {
  if (Number(res.headers.get("content-length") ?? 0) > limit) {
    await res.body?.cancel().catch(() => undefined);
    throw new IdentityProviderUnavailable({ code: "too_large" });
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new IdentityProviderUnavailable({ code: "too_large" });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function fetchJwks(uri: string, signal: AbortSignal): Promise<{ keys: unknown[] }> {
  // No redirects: the JWKS location is configuration, not something a response may change.
  // A redirect is answered as it is ("manual") so that its status says what it was.
  const res = await fetch(uri, { headers: { accept: "application/json" }, redirect: "manual", signal });
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new IdentityProviderUnavailable(res.status >= 300 && res.status < 400 ? { code: "redirect" } : { status: res.status });
  }
  const body = JSON.parse(await readLimited(res, MAX_JWKS_BYTES)) as { keys?: unknown } | null;
  if (typeof body !== "object" || body === null || !Array.isArray(body.keys)) throw new IdentityProviderUnavailable({ code: "not_a_jwks" });
  return { keys: body.keys };
}

function isTimeout(e: unknown): boolean {
  const err = e as { name?: unknown; cause?: { name?: unknown } } | null;
  return !!err && (err.name === "TimeoutError" || err.name === "AbortError" || err.cause?.name === "TimeoutError" || err.cause?.name === "AbortError");
}

/**
 * What went wrong with a JWKS fetch, as an HTTP status or a short code: never a URL, a
 * header or a body, so it can go into logs and error objects as it is.
 */
export function describeJwksFailure(e: unknown, jwksRsaError?: new (...a: never[]) => Error): IdentityProviderFailure {
  if (e instanceof IdentityProviderUnavailable) return e.cause ?? { code: "fetch_failed" };
  if (e instanceof SyntaxError) return { code: "invalid_json" };
  if (jwksRsaError && e instanceof jwksRsaError) return { code: "no_signing_keys" };
  if (isTimeout(e)) return { code: "timeout" };
  return { code: systemErrorCode(e) ?? "fetch_failed" };
}

/**
 * A failure that retrying will not fix: the URL is wrong (4xx other than 408/429) or
 * redirects elsewhere. That is the deployment's to fix, so it is a 500 (logged), not
 * a 503 that would have clients retry forever.
 */
export function misconfiguration(f: IdentityProviderFailure): Misconfigured | undefined {
  const what = "the JWKS URL (AUTH0_JWKS_URI, or the one derived from AUTH0_DOMAIN / AUTH0_ISSUER)";
  if (f.status !== undefined && f.status >= 400 && f.status < 500 && f.status !== 408 && f.status !== 429) {
    return new Misconfigured([`${what} answered HTTP ${f.status}; identity providers other than Auth0 must set AUTH0_JWKS_URI`]);
  }
  if (f.code === "redirect") return new Misconfigured([`${what} redirects; set AUTH0_JWKS_URI to the final location`]);
  return undefined;
}

let jwksRsaLoaded: Promise<typeof jwksRsaModule> | undefined;

/**
 * jwks-rsa (and the jose it brings) is needed only once a key set has been fetched: not
 * at a cold start's import, and never with a PEM key. A failed load is not kept (the next
 * request tries again) and is this deployment's bug: logged, and answered 500, never
 * blamed on the identity provider.
 */
export async function loadJwksRsa(): Promise<typeof jwksRsaModule> {
  jwksRsaLoaded ??= import("jwks-rsa").then((m) => m.default);
  try {
    return await jwksRsaLoaded;
  } catch (e) {
    jwksRsaLoaded = undefined;
    log("error", "jwks_module_unavailable", { error: e });
    throw new InternalError();
  }
}


export async function toSigningKeys(jwksRsa: typeof jwksRsaModule, jwksUri: string, doc: { keys: unknown[] }): Promise<SigningKey[]> {
  // jwks-rsa decides what a signing key is; it is handed the document we fetched.
  const keys = await jwksRsa({ jwksUri, cache: false, rateLimit: false, fetcher: async () => doc }).getSigningKeys();
  return keys.map((k) => {
    const alg = (k as { alg?: unknown }).alg;
    return { ...(typeof k.kid === "string" ? { kid: k.kid } : {}), ...(typeof alg === "string" ? { alg } : {}), key: createPublicKey(k.getPublicKey()) };
  });
}
