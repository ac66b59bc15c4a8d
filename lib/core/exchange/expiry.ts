/**
 * When an issued secret stops working: min(JWT exp, now + cap). Pure, so the property
 * "never outlives the JWT" can be tested over many inputs.
 */

/** Below this a secret is useless to the caller; such a JWT is treated as expired. */
export const MIN_SECRET_LIFETIME_MS = 1000;

export interface ExpiryInput {
  /** JWT `exp`, seconds since the epoch (may be fractional). */
  jwtExpSeconds: number;
  maxTtlSeconds: number;
  nowMs: number;
}

/**
 * The expiry instant in whole milliseconds, or `null` when less than
 * MIN_SECRET_LIFETIME_MS would remain (the clock tolerance can let a JWT that
 * has just expired through verification; it must not yield a secret).
 */
export function computeExpiry({ jwtExpSeconds, maxTtlSeconds, nowMs }: ExpiryInput): Date | null {
  // Rounded down so the millisecond value sent to Fauna can never exceed the JWT's exp.
  const jwtExpMs = Math.floor(jwtExpSeconds * 1000);
  const capMs = Math.floor(nowMs) + Math.floor(maxTtlSeconds * 1000);
  const expiresMs = Math.min(jwtExpMs, capMs);
  if (!Number.isFinite(expiresMs) || expiresMs - nowMs < MIN_SECRET_LIFETIME_MS) return null;
  return new Date(expiresMs);
}

/** Seconds left, rounded down, as OAuth's `expires_in` wants it. */
export function secondsUntil(expiresAt: Date, nowMs: number): number {
  return Math.max(0, Math.floor((expiresAt.getTime() - nowMs) / 1000));
}
