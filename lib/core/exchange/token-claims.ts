/**
 * The claims an issued token carries (TOKEN_CLAIMS), for roles to grant by. A role must
 * never see part of a claim: a claim is copied whole or not at all. What does not fit
 * within MAX_TOKEN_CLAIMS_BYTES is left out whole, in TOKEN_CLAIMS order, and named, so
 * that a predicate that grants on a claim's value can only ever see less authority than
 * the identity provider gave, never a trimmed array or string that means something else.
 */
import { pickClaims } from "./meta.ts";

/** `data.claims` size bound, as JSON: like the ledger's `meta`, it is copied into every token. */
export const MAX_TOKEN_CLAIMS_BYTES = 4096;

/** The listed claims present in a verified token, within the bound; `dropped` names those left out. */
export function tokenClaims(claims: Record<string, unknown>, names: readonly string[]): { claims?: Record<string, unknown>; dropped: string[] } {
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(pickClaims(claims, names))) {
    if (Buffer.byteLength(JSON.stringify({ ...kept, [name]: value })) > MAX_TOKEN_CLAIMS_BYTES) dropped.push(name);
    else kept[name] = value;
  }
  return { ...(Object.keys(kept).length > 0 ? { claims: kept } : {}), dropped };
}
