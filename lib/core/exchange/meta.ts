/**
 * The ledger entry's `meta`: metadata from importing code, and the verified claims
 * LEDGER_CLAIMS names, within one size bound.
 */
import { InvalidMetadata } from "../errors/index.ts";

/** Ledger `meta` size bound: it is copied into every ledger document. */
export const MAX_METADATA_BYTES = 4096;

/**
 * Metadata from importing code, made safe to store: a plain JSON object (so the
 * driver sends it as data, never as FQL), bounded in size. Empty → no `meta`.
 */
export function toLedgerMeta(metadata: unknown): Record<string, unknown> | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== "object" || Array.isArray(metadata)) throw new InvalidMetadata("metadata must be a plain object.");
  let json: string;
  try {
    json = JSON.stringify(metadata);
  } catch {
    throw new InvalidMetadata("metadata must be JSON-serializable.");
  }
  if (Buffer.byteLength(json) > MAX_METADATA_BYTES) {
    throw new InvalidMetadata(`metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON.`);
  }
  const copy = JSON.parse(json) as Record<string, unknown>;
  return Object.keys(copy).length > 0 ? copy : undefined;
}

/** The allow-listed claims present in a verified token (for the HTTP function's ledger `meta`). */
export function pickClaims(claims: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (Object.hasOwn(claims, n) && claims[n] !== undefined) out[n] = claims[n];
  return out;
}

const jsonBytes = (v: unknown): number => Buffer.byteLength(JSON.stringify(v));

/**
 * The ledger `meta` of an exchange: the metadata importing code passed (already
 * validated, and it wins a name clash), plus the allow-listed claims, in LEDGER_CLAIMS
 * order, as long as the whole stays within MAX_METADATA_BYTES. A claim that would not
 * fit is left out rather than refusing a valid JWT (the token is the identity
 * provider's, not the caller's to trim); `dropped` names those claims.
 */
export function ledgerMeta(
  custom: Record<string, unknown> | undefined,
  claims: Record<string, unknown>,
  names: readonly string[],
): { meta: Record<string, unknown> | undefined; dropped: string[] } {
  const meta: Record<string, unknown> = {};
  const dropped: string[] = [];
  const picked = pickClaims(claims, names);
  for (const [name, value] of Object.entries(picked)) {
    if (custom && Object.hasOwn(custom, name)) continue;
    const candidate = { ...meta, [name]: value, ...custom };
    if (jsonBytes(candidate) > MAX_METADATA_BYTES) dropped.push(name);
    else meta[name] = value;
  }
  const all = { ...meta, ...custom };
  return { meta: Object.keys(all).length > 0 ? all : undefined, dropped };
}
