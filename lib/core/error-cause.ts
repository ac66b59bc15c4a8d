/**
 * The cause worth logging of a failed network call, as a short code: what an operator
 * needs to tell a typo (ENOTFOUND), a service that is down (ECONNREFUSED) and a
 * certificate problem apart, and nothing that could hold a secret.
 */

const SYSTEM_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

/**
 * The first system error code in an error's causes: undici wraps a refused connection as
 * `TypeError: fetch failed` whose `cause` is the socket error, or an AggregateError (one
 * per address tried) whose `errors` hold them.
 */
export function systemErrorCode(e: unknown, depth = 0): string | undefined {
  if (typeof e !== "object" || e === null || depth > 4) return undefined;
  const x = e as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof x.code === "string" && SYSTEM_CODE.test(x.code) && !x.code.startsWith("ERR_")) return x.code;
  const inner = [x.cause, ...(Array.isArray(x.errors) ? x.errors : [])];
  for (const c of inner) {
    const code = systemErrorCode(c, depth + 1);
    if (code) return code;
  }
  return typeof x.code === "string" && SYSTEM_CODE.test(x.code) ? x.code : undefined;
}

