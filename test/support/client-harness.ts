/**
 * What the browser-client tests share: a secret source wired to a served
 * exchange (real HTTP, real JWTs), with its calls counted through the `fetch`
 * and `getAccessToken` it is given, and a clock the test moves by hand.
 */
import { createSecretSource, type SecretSource, type SecretSourceOptions } from "../../client/index.ts";
import type { Stack } from "./stack.ts";

export interface Harness {
  source: SecretSource;
  /** `METHOD url` of every request the source sent, in order. */
  requests: string[];
  /** Exchanges asked of the token endpoint (POSTs). */
  exchanges(): number;
  accessTokens: number;
  /** The source's clock (ms); starts at the real time and moves only when set. */
  now: number;
}

export function harness(s: Stack, opts: Partial<SecretSourceOptions> & { sub?: string; jwtLifetime?: number } = {}): Harness {
  const { sub = "auth0|alice", jwtLifetime = 3600, ...rest } = opts;
  const h: Harness = {
    source: undefined as unknown as SecretSource,
    requests: [],
    exchanges: () => h.requests.filter((r) => r.startsWith("POST ")).length,
    accessTokens: 0,
    now: Date.now(),
  };
  h.source = createSecretSource({
    tokenUrl: s.url,
    faunaEndpoint: s.target.endpoint,
    getAccessToken: () => {
      h.accessTokens++;
      return s.issuer.mint({ sub, expiresIn: jwtLifetime });
    },
    fetch: (input, init) => {
      h.requests.push(`${init.method ?? "GET"} ${input}`);
      return fetch(input, init);
    },
    now: () => h.now,
    ...rest,
  });
  return h;
}
