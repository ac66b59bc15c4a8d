/**
 * A local stand-in for an Auth0 tenant: RSA keys made with node:crypto, their
 * JWKS served over HTTP on 127.0.0.1, and `mint()` for Auth0-shaped JWTs. Used
 * by `npm start` and by the tests, so both exercise real signatures and a real
 * JWKS fetch. Development only: it signs anything it is asked to.
 */
import { createServer, type Server } from "node:http";
import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import type { AddressInfo } from "node:net";
import jwt from "jsonwebtoken";
import { corsHeaders, preflightHeaders, refusedOriginLogger } from "../http/cors.ts";
import { toRequest } from "../adapters/node.ts";

export interface DevKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
}

export interface MintOptions {
  sub: string;
  /** Default: the issuer's default audience. */
  aud?: string | string[];
  /** Seconds since the epoch. Default: `iat` + `expiresIn`. */
  exp?: number;
  /** Lifetime when `exp` is not given; default 3600. */
  expiresIn?: number;
  iat?: number;
  nbf?: number;
  /** Default: the current signing key. A kid the JWKS does not publish makes an unknown-key token. */
  kid?: string;
  /** Sign with this key instead (kept out of the JWKS unless published). */
  key?: DevKey;
  iss?: string;
  /** Extra claims (`azp`, `scope`, namespaced claims …). `undefined` values remove a claim. */
  claims?: Record<string, unknown>;
  /** Extra protected-header fields, e.g. an attacker's `jku` or `jwk`. */
  header?: Record<string, unknown>;
  /** Leave `kid` out of the header (signed with `key` or the current key). */
  omitKid?: boolean;
  algorithm?: "RS256" | "RS384" | "RS512" | "PS256";
}

export interface DevIssuer {
  /** `http://127.0.0.1:PORT/`, with the trailing slash Auth0 uses. */
  issuer: string;
  jwksUri: string;
  port: number;
  audience: string;
  /** The key `mint()` signs with by default. */
  readonly currentKey: DevKey;
  mint(opts: MintOptions): string;
  /** A key pair that is not (yet) in the JWKS. */
  createKey(kid?: string): DevKey;
  /** Publish a new key and sign with it from now on; the old key stays published unless `retireOld`. */
  rotate(opts?: { retireOld?: boolean; kid?: string }): DevKey;
  /** Publish an existing key (e.g. one from `createKey`). */
  publish(key: DevKey): void;
  /** Publish a JWK exactly as given (e.g. one with `use: "enc"`); `unpublish(kid)` removes it. */
  publishJwk(jwk: Record<string, unknown> & { kid: string }): void;
  unpublish(kid: string): void;
  /** GET requests answered on the JWKS path so far. */
  readonly jwksFetches: number;
  resetJwksFetches(): void;
  /** Make the JWKS endpoint answer 503 (an identity-provider outage). */
  setUnavailable(down: boolean): void;
  /** Make the JWKS endpoint answer this status with a text body (e.g. 404); `undefined` restores it. */
  setJwksStatus(status: number | undefined): void;
  /**
   * Hold each JWKS answer this long (a slow identity provider), or forever with `Infinity`
   * (one that accepts the request and never answers); 0 restores it. The answer is the
   * JWKS as it is when the request arrived.
   */
  setJwksDelay(ms: number): void;
  /**
   * Let pages on these origins (e.g. `http://127.0.0.1:8888`, or `*` for every one) read
   * `GET /mint` answers, as a browser app reads its identity provider's: the token
   * endpoint's CORS (lib/http/cors.ts), with the same answers and the same
   * `cors_origin_refused` log line for any other origin. Adds to those allowed before.
   */
  allowMintOrigins(origins: readonly string[]): void;
  close(): Promise<void>;
}

export interface DevIssuerOptions {
  port?: number;
  host?: string;
  audience?: string;
  /**
   * Also serve `GET /mint?sub=…[&expires_in=seconds][&permissions=a,b]` returning a fresh
   * JWT (with `permissions` as Auth0's RBAC puts it: an array claim), or a 400 saying, as
   * plain text, what is wrong with the parameters, so `npm start` can print a
   * copy-pasteable curl command and its demo page can sign in. Its CORS is the token
   * endpoint's, for the origins of `allowMintOrigins`. Off by default: tests mint in process.
   */
  mintEndpoint?: boolean;
}

export const DEV_JWKS_PATH = "/.well-known/jwks.json";

function newKey(kid = `dev-${randomBytes(6).toString("hex")}`): DevKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { kid, privateKey, publicKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
}

export async function startDevIssuer(opts: DevIssuerOptions = {}): Promise<DevIssuer> {
  const host = opts.host ?? "127.0.0.1";
  const audience = opts.audience ?? "https://fauna-token-exchange.local/api";
  const published = new Map<string, DevKey>();
  let current = newKey();
  published.set(current.kid, current);
  const rawJwks = new Map<string, Record<string, unknown>>();
  let fetches = 0;
  let failWith: number | undefined;
  let delayMs = 0;
  let issuer = "";
  const mintOrigins = new Set<string>();
  const logRefusedOrigin = refusedOriginLogger({
    endpoint: "GET /mint",
    hint: "add this origin to ALLOWED_ORIGINS (npm start passes it to the dev issuer's /mint too) if a page there signs in",
  });

  const jwks = (): { keys: Record<string, unknown>[] } => ({
    keys: [...published.values()].map((k): Record<string, unknown> => ({
      ...(k.publicKey.export({ format: "jwk" }) as Record<string, unknown>),
      kid: k.kid,
      alg: "RS256",
      use: "sig",
    })).concat([...rawJwks.values()]),
  });

  const mint = (m: MintOptions): string => {
    const key = m.key ?? (m.kid ? (published.get(m.kid) ?? current) : current);
    const iat = m.iat ?? Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      iss: m.iss ?? issuer,
      sub: m.sub,
      aud: m.aud ?? audience,
      iat,
      exp: m.exp ?? iat + (m.expiresIn ?? 3600),
      ...(m.nbf !== undefined ? { nbf: m.nbf } : {}),
      ...m.claims,
    };
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete payload[k];
    return jwt.sign(payload, key.privateKey, {
      algorithm: m.algorithm ?? "RS256",
      header: { alg: m.algorithm ?? "RS256", typ: "JWT", ...(m.omitKid ? {} : { kid: m.kid ?? key.kid }), ...m.header },
    });
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === DEV_JWKS_PATH) {
      fetches++;
      const answer = failWith === undefined ? JSON.stringify(jwks()) : undefined;
      const status = failWith ?? 200;
      const respond = () => {
        if (answer === undefined) res.writeHead(status, { "content-type": "text/plain" }).end("unavailable");
        else res.writeHead(status, { "content-type": "application/json" }).end(answer);
      };
      if (delayMs === 0) respond();
      else if (Number.isFinite(delayMs)) setTimeout(respond, delayMs);
      return;
    }
    if (opts.mintEndpoint && url.pathname === "/mint" && (req.method === "GET" || req.method === "OPTIONS")) {
      const web = toRequest(req, res, issuer.slice(0, -1));
      if (req.method === "OPTIONS") {
        res.writeHead(204, preflightHeaders(web, [...mintOrigins], ["GET"])).end();
        return;
      }
      logRefusedOrigin(web, [...mintOrigins]);
      const answer = (status: number, body: string) =>
        res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...corsHeaders(web, [...mintOrigins]) }).end(body);
      const sub = url.searchParams.get("sub") ?? "auth0|dev-user";
      const expiresIn = Number(url.searchParams.get("expires_in") ?? 3600);
      if (sub.trim() === "") return answer(400, "sub is empty: give the user's id, e.g. sub=auth0|dev-user");
      if (!Number.isInteger(expiresIn)) return answer(400, "expires_in must be a whole number of seconds");
      const permissions = url.searchParams.get("permissions")?.split(",").filter((p) => p !== "");
      const claims = permissions?.length ? { permissions } : {};
      return answer(200, mint({ sub, expiresIn, claims }));
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  issuer = `http://${host}:${port}/`;

  return {
    issuer,
    jwksUri: `http://${host}:${port}${DEV_JWKS_PATH}`,
    port,
    audience,
    get currentKey() {
      return current;
    },
    mint,
    createKey: newKey,
    rotate(r = {}) {
      const next = newKey(r.kid);
      if (r.retireOld) published.delete(current.kid);
      published.set(next.kid, next);
      current = next;
      return next;
    },
    publish(key) {
      published.set(key.kid, key);
    },
    publishJwk(jwk) {
      rawJwks.set(jwk.kid, jwk);
    },
    unpublish(kid) {
      published.delete(kid);
      rawJwks.delete(kid);
    },
    get jwksFetches() {
      return fetches;
    },
    resetJwksFetches() {
      fetches = 0;
    },
    setUnavailable(down) {
      failWith = down ? 503 : undefined;
    },
    setJwksStatus(status) {
      failWith = status;
    },
    setJwksDelay(ms) {
      delayMs = ms;
    },
    allowMintOrigins(origins) {
      for (const o of origins) mintOrigins.add(o);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
