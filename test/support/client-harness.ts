/**
 * What the browser-client tests share: a secret source wired to a served
 * exchange (real HTTP, real JWTs), with its calls counted through the `fetch`
 * and `getAccessToken` it is given, what it reports in the background collected,
 * and a clock the test moves by hand. The previous secret is logged out as soon
 * as a renewal has replaced it (`logoutDelayMs: 0`) unless a test says otherwise.
 */
import assert from "node:assert/strict";
import { createSecretSource, type Secret, type SecretSource, type SecretSourceOptions } from "../../client/src/index.ts";
import type { Stack } from "./stack.ts";

export interface Harness {
  source: SecretSource;
  /** `METHOD url` of every request the source sent, in order. */
  requests: string[];
  /** Exchanges asked of the token endpoint (POSTs to it). */
  exchanges(): number;
  /** Logout requests sent to FaunaDB. */
  logouts(): number;
  accessTokens: number;
  /** What `onRenewalError` was told, in order. */
  renewalErrors: { error: unknown; expiresAt: Date }[];
  /** The source's clock (ms); starts at the real time and moves only when set. */
  now: number;
}

export function harness(s: Stack, opts: Partial<SecretSourceOptions> & { sub?: string; jwtLifetime?: number } = {}): Harness {
  const { sub = "auth0|alice", jwtLifetime = 3600, ...rest } = opts;
  const tokenUrl = rest.tokenUrl ?? s.url;
  const faunaEndpoint = "faunaEndpoint" in rest ? rest.faunaEndpoint : s.target.endpoint;
  const h: Harness = {
    source: undefined as unknown as SecretSource,
    requests: [],
    exchanges: () => h.requests.filter((r) => r === `POST ${tokenUrl}`).length,
    logouts: () => h.requests.filter((r) => r === `POST ${faunaEndpoint}`).length,
    accessTokens: 0,
    renewalErrors: [],
    now: Date.now(),
  };
  h.source = createSecretSource({
    tokenUrl,
    faunaEndpoint,
    logoutDelayMs: 0,
    getAccessToken: () => {
      h.accessTokens++;
      return s.issuer.mint({ sub, expiresIn: jwtLifetime });
    },
    fetch: (input, init) => {
      h.requests.push(`${init.method ?? "GET"} ${input}`);
      return fetch(input, init);
    },
    onRenewalError: (error, expiresAt) => {
      h.renewalErrors.push({ error, expiresAt });
    },
    now: () => h.now,
    ...rest,
  });
  return h;
}

/** Waits (in real time, up to 10 s) until `check()` holds. */
export async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `not within 10 s: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Moves the clock to the moment `previous` is due for renewal (`marginMs` before it
 * expires), and returns the secret the background renewal brings; meanwhile
 * `getSecret()` serves `previous`.
 */
export async function renew(h: Harness, previous: Secret, marginMs: number): Promise<Secret> {
  h.now = previous.expiresAt.getTime() - marginMs;
  assert.equal(await h.source.getSecret(), previous, "the due secret serves while the renewal runs");
  let next = previous;
  await until("renewed", async () => (next = await h.source.getSecret()) !== previous);
  return next;
}
