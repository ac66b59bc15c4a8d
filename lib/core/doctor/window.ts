/**
 * The doctor's two checks that need a token of their own (throwaway.ts): a token's ttl
 * enforced, and the revocation window measured.
 *
 * ttl, without waiting for one to pass: a token made with a ttl already 1 s in the past
 * must be refused at once, one with a ttl ahead accepted. Both ttls come from FaunaDB's
 * own `Now()`, so this machine's clock plays no part.
 *
 * The window: the accepted token is deleted, then used every `pollMs` until FaunaDB
 * refuses it. On a single node that is its first use (0 ms); on a cluster the credential
 * cache can keep it working for up to about a minute. The token's ttl lies past the
 * timeout, so it is the deletion that is timed, never the ttl.
 */
import type faunadb from "faunadb";
import { DatabaseUnavailable } from "../errors/index.ts";
import { mapFaunaError } from "../fauna/failures.ts";
import { probeFqlV4 } from "../fauna/probe.ts";
import type { DoctorCheck } from "./checks.ts";
import { createThrowaway, createToken, deleteToken, remove, sweep, type Throwaway } from "./throwaway.ts";

export interface WindowOptions {
  endpoint: string;
  timeoutMs: number;
  pollMs: number;
  /** The longest timeout any run may have: throw-away collections older than that are leftovers. */
  maxTimeoutMs: number;
  signal?: AbortSignal;
  /** Each check as it is decided: ttl, revocation, cleanup. */
  add(check: DoctorCheck): void;
}

export interface WindowResult {
  windowMs: number | null;
  interrupted: boolean;
  unreachable: boolean;
}

/** FaunaDB's key cache refreshes an entry at most this often (`cache_key_ttl_seconds`). */
const KEY_CACHE_MS = 60_000;
/** Margin past the timeout for the throw-away identity's ttl. */
const LIFETIME_MARGIN_S = 60;

/** Whether FaunaDB accepts a secret: one FQL v4 query with it (401: refused). */
async function secretWorks(endpoint: string, secret: string): Promise<boolean> {
  const a = await probeFqlV4(endpoint, secret, 5_000);
  if (a.kind === "answered") return true;
  if (a.kind === "error" && a.status === 401) return false;
  throw new DatabaseUnavailable({ cause: a.kind === "error" ? `http_${a.status}:${a.code}` : `http_${a.status}` });
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

const n = (x: number) => x.toLocaleString("en-US");

async function ttlCheck(client: faunadb.Client, o: WindowOptions, t: Throwaway, lifetimeS: number): Promise<{ check: DoctorCheck; live: string | null }> {
  const expired = await createToken(client, t, -1);
  const live = await createToken(client, t, lifetimeS);
  const expiredWorks = await secretWorks(o.endpoint, expired.secret);
  const liveWorks = await secretWorks(o.endpoint, live.secret);
  if (!expiredWorks && liveWorks) {
    return { check: { name: "ttl", ok: true, detail: `a token whose ttl passed 1 s before was refused (401), one with its ttl ${lifetimeS} s ahead accepted` }, live: live.secret };
  }
  const detail = expiredWorks
    ? "FaunaDB accepted a token whose ttl passed 1 s before: it does not enforce a token's ttl, so a secret would outlive its JWT"
    : `FaunaDB refused a token whose ttl is ${lifetimeS} s ahead: the secrets it issues would not work`;
  return { check: { name: "ttl", ok: false, detail }, live: liveWorks ? live.secret : null };
}

export async function measureWindow(client: faunadb.Client, o: WindowOptions): Promise<WindowResult> {
  const result: WindowResult = { windowMs: null, interrupted: false, unreachable: false };
  let decided = 0;
  const add = (c: DoctorCheck) => {
    decided++;
    o.add(c);
  };
  const lifetimeS = Math.ceil(o.timeoutMs / 1000) + LIFETIME_MARGIN_S;
  const swept = await sweep(client, Math.ceil(o.maxTimeoutMs / 1000) + 2 * LIFETIME_MARGIN_S);
  const t = await createThrowaway(client, lifetimeS);
  try {
    const { check, live } = await ttlCheck(client, o, t, lifetimeS);
    add(check);
    if (live === null) {
      add({ name: "revocation", ok: false, detail: "not measured: no token was accepted" });
      return result;
    }
    await deleteToken(client, t.tokens[1]!);
    const deletedAt = Date.now();
    for (let first = true; ; first = false) {
      if (o.signal?.aborted) {
        result.interrupted = true;
        add({ name: "revocation", ok: false, detail: `interrupted ${n(Date.now() - deletedAt)} ms after the deletion, the token still working` });
        return result;
      }
      const sentAt = Date.now();
      if (!(await secretWorks(o.endpoint, live))) {
        result.windowMs = first ? 0 : sentAt - deletedAt;
        break;
      }
      if (Date.now() - deletedAt >= o.timeoutMs) break;
      await pause(o.pollMs, o.signal);
    }
    add(
      result.windowMs === null
        ? { name: "revocation", ok: false, detail: `a deleted token still worked ${n(o.timeoutMs)} ms after its deletion (--revocation-timeout): ${o.timeoutMs < KEY_CACHE_MS ? "FaunaDB's credential cache may keep one working for up to about 60 s; wait longer to measure it" : "longer than FaunaDB's 60 s key cache should allow; check the cluster's cache settings (cache_key_ttl_seconds)"}` }
        : result.windowMs === 0
          ? { name: "revocation", ok: true, detail: "a deleted token was refused at its first use after the deletion: revocation_window_ms 0" }
          : { name: "revocation", ok: true, detail: `a deleted token kept working for ${n(result.windowMs)} ms after its deletion (measured every ${o.pollMs} ms): FaunaDB's credential cache, so a revoked secret may keep working that long; a ttl has no such window` },
    );
    return result;
  } catch (e) {
    // Said in the check it interrupted; the throw-away identity goes all the same (below).
    const mapped = mapFaunaError(e, { endpoint: o.endpoint });
    result.unreachable = mapped instanceof DatabaseUnavailable;
    const why = mapped instanceof DatabaseUnavailable ? `FaunaDB stopped answering (${mapped.failure.cause ?? "no answer"})` : `FaunaDB answered what the doctor cannot explain (${mapped.code})`;
    add({ name: decided === 0 ? "ttl" : "revocation", ok: false, detail: why });
    return result;
  } finally {
    const leftovers = swept.length > 0 ? `, and ${swept.length} left by earlier runs (${swept.join(", ")})` : "";
    try {
      await remove(client, t);
      add({ name: "cleanup", ok: true, detail: `deleted the throw-away collection ${t.collection}, its document and its ${t.tokens.length} tokens${leftovers}` });
    } catch (e) {
      const cause = mapFaunaError(e, { endpoint: o.endpoint });
      add({
        name: "cleanup",
        ok: false,
        detail: `could not delete the throw-away collection ${t.collection} (${cause.code}): delete it; its document and tokens stop working within ${lifetimeS} s of the start on their own${leftovers}`,
      });
    }
  }
}
