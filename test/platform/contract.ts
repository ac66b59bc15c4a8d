/**
 * What a deployed build must do, whoever built it: the exchange's contract over HTTP, and
 * expired ledger entries for a cleanup to delete. Shared by the conformance test (this
 * repository's own deployment) and the existing-site test (a site that installed the package).
 */
import assert from "node:assert/strict";
import faunadb from "faunadb";
import type { FaunaTarget } from "fql4-emulator/testing";
import { createUsers, issueTokens } from "../cleanup-fixtures.ts";
import type { DevIssuer } from "../../lib/dev/issuer.ts";
import { LEDGER_BY_EXPIRATION_INDEX } from "../../lib/core/ledger/layout.ts";

const q = faunadb.query;
const MIN = 60_000;

/** An origin the tests put in ALLOWED_ORIGINS. */
export const ALLOWED_ORIGIN = "https://app.example.com";

export async function expiredEntries(admin: faunadb.Client): Promise<number> {
  return (await admin.query(q.Count(q.Range(q.Match(q.Index(LEDGER_BY_EXPIRATION_INDEX)), [], [q.Now()])))) as number;
}

/** The identity a secret acts as, or null when FaunaDB refuses it. */
export async function identityOf(target: FaunaTarget, secret: string): Promise<string | null> {
  const client = new faunadb.Client({ secret, endpoint: target.endpoint, checkNewVersion: false, http2SessionIdleTime: 50 });
  try {
    const ref = await client.query<faunadb.values.Ref>(q.CurrentIdentity());
    return ref.id;
  } catch (e) {
    if (e instanceof faunadb.errors.Unauthorized) return null;
    throw e;
  } finally {
    await client.close({ force: true });
  }
}

/**
 * The exchange contract, the same on every platform: POST 200 with a secret FaunaDB accepts,
 * 401 for a bad signature, the preflight of an allowed origin, DELETE revoking the secret.
 */
export async function exchangeContract(url: string, target: FaunaTarget, issuer: DevIssuer, sub: string): Promise<void> {
  const jwt = issuer.mint({ sub });
  const issued = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${jwt}` } });
  const body = (await issued.json()) as { secret?: string; expires_at?: string; expires_in?: number };
  assert.equal(issued.status, 200, JSON.stringify(body));
  assert.match(body.secret ?? "", /^fn/);
  assert.ok(body.expires_in! > 3500 && body.expires_in! <= 3600);
  assert.equal(issued.headers.get("cache-control"), "no-store");
  const user = await identityOf(target, body.secret!);
  assert.ok(user, "the issued secret works against FaunaDB");

  const bad = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${jwt.slice(0, -4)}AAAA` } });
  assert.equal(bad.status, 401);
  assert.equal(((await bad.json()) as { error: string }).error, "invalid_token");
  assert.match(bad.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);

  const preflight = await fetch(url, { method: "OPTIONS", headers: { origin: ALLOWED_ORIGIN, "access-control-request-method": "POST" } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);

  const revoked = await fetch(url, { method: "DELETE", headers: { authorization: `Bearer ${jwt}` } });
  assert.equal(revoked.status, 200);
  assert.deepEqual(await revoked.json(), { revoked: 1, complete: true });
  assert.equal(await identityOf(target, body.secret!), null, "a signed-out secret is refused by FaunaDB");
}

/**
 * `count` secrets of a new user `sub` whose expiry has passed: issued to expire in 5 minutes,
 * then the emulator's clock moved 10 minutes on. Only on the emulator (its clock).
 */
export async function seedExpired(target: FaunaTarget, admin: faunadb.Client, sub: string, count: number): Promise<void> {
  const emu = target.emulator;
  assert.ok(emu, "needs the emulator's clock");
  const server = target.client(target.serverSecret);
  const [user] = await createUsers(server, [sub]);
  const now = (await admin.query(q.ToMillis(q.Now()))) as number;
  await issueTokens(server, Array.from({ length: count }, () => ({ user: user!, expiresAt: now + 5 * MIN })));
  emu.clock.advance(10 * MIN);
  assert.ok((await expiredEntries(admin)) >= count);
}

/** How Netlify triggers a scheduled function: a POST carrying the next run's time. */
export function triggerScheduled(url: string): Promise<Response> {
  return fetch(url, { method: "POST", body: JSON.stringify({ next_run: new Date().toISOString() }) });
}
