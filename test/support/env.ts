/**
 * The environment that points the exchange at a test database and a local issuer: what
 * a deployment sets (FAUNA_ENDPOINT, a server key, the issuer, its JWKS, the audience).
 */
import type { FaunaTarget } from "fql4-emulator/testing";
import type { DevIssuer } from "../../lib/dev/issuer.ts";

export function exchangeEnv(target: Pick<FaunaTarget, "endpoint" | "serverSecret">, issuer: DevIssuer): Record<string, string> {
  return {
    FAUNA_ENDPOINT: target.endpoint,
    FAUNA_SECRET: target.serverSecret,
    AUTH0_ISSUER: issuer.issuer,
    AUTH0_JWKS_URI: issuer.jwksUri,
    AUTH0_AUDIENCE: issuer.audience,
  };
}
