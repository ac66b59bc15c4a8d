/**
 * FaunaDB's credential-cache window, controlled rather than assumed zero: on a cluster a
 * deleted (revoked, logged-out) token keeps authenticating until the cache lets go of it
 * (the emulator's cluster profile: `authCacheMs` after the deletion commits, by its clock;
 * the default profile has no cache). A test of "refused after revocation" passes the window
 * before it asserts the refusal, and, where it can, asserts that the secret still worked
 * inside it, so the window is shown to be there.
 */
import type { FaunaTarget } from "fql4-emulator/testing";

/** The longest a real FaunaDB cluster holds a deleted credential (the key cache's ttl). */
const FAUNADB_WINDOW_MS = 60_000;

/** The target's window: the emulator's `authCacheMs` (0 on the default profile); FaunaDB's, for a real one. */
export function credentialWindowMs(target: FaunaTarget): number {
  return target.emulator ? target.emulator.profile.authCacheMs : FAUNADB_WINDOW_MS;
}

/**
 * Lets the window pass for every credential deleted so far: the emulator's clock moves
 * past it (nothing else waits on it: ttls of an hour are untouched); a real FaunaDB is
 * waited for.
 */
export async function passCredentialWindow(target: FaunaTarget): Promise<void> {
  const ms = credentialWindowMs(target);
  if (ms === 0) return;
  if (target.emulator) target.emulator.clock.advance(ms + 1);
  else await new Promise((r) => setTimeout(r, ms + 1000));
}
