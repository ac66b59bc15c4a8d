/**
 * A local stand-in for one identity provider's signing side: a key of the provider's
 * algorithm (RSA for RS256, EC P-256 for ES256), its JWKS served over HTTP on 127.0.0.1 at
 * the path the provider uses, the JWK shaped as the provider publishes it (its kid style,
 * its extra members), and `mint` for tokens shaped like the provider's. The tokens' `iss`
 * is the provider's real form: only the JWKS is local (OIDC_ISSUERS takes any jwks_uri).
 */
import { createServer } from "node:http";
import { generateKeyPairSync } from "node:crypto";
import type { AddressInfo } from "node:net";
import jwt from "jsonwebtoken";

export interface ProviderIssuer {
  jwksUri: string;
  /** A JWT with exactly this payload (plus `iat`/`exp` if absent), signed with the provider's key. */
  mint(payload: Record<string, unknown>): string;
  close(): Promise<void>;
}

export interface ProviderKeyOptions {
  /** Where the provider serves its JWKS, e.g. `/protocol/openid-connect/certs`. */
  jwksPath: string;
  alg: "RS256" | "ES256";
  kid: string;
  /** Members the provider's JWK carries besides the key (`use`, `key_ops`, `ext`, …). */
  jwkExtras?: Record<string, unknown>;
}

export async function startProviderIssuer(o: ProviderKeyOptions): Promise<ProviderIssuer> {
  const { privateKey, publicKey } = o.alg === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...(publicKey.export({ format: "jwk" }) as Record<string, unknown>), kid: o.kid, alg: o.alg, ...o.jwkExtras };
  const server = createServer((req, res) => {
    if (req.method === "GET" && req.url === o.jwksPath) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    jwksUri: `http://127.0.0.1:${port}${o.jwksPath}`,
    mint(payload) {
      const iat = Math.floor(Date.now() / 1000);
      return jwt.sign({ iat, exp: iat + 3600, ...payload }, privateKey, { algorithm: o.alg, header: { alg: o.alg, typ: "JWT", kid: o.kid } });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
