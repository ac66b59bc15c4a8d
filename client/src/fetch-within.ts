/**
 * Every request the client sends (to the token endpoint, to FaunaDB's Logout)
 * has a deadline of its own: a hung server costs the caller `timeoutMs`, never
 * forever. The request is aborted at the deadline; the deadline holds even when
 * a caller's `fetch` ignores the abort signal.
 */

/** The subset of `fetch` the client uses; pass your own to add headers or count calls. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * `fetchFn(url, init)`, then `read(response)`, both within `timeoutMs`. A `fetch`
 * that rejects (offline, DNS, CORS refused) rejects with `unreachable(false)`, a
 * missed deadline with `unreachable(true)`; what `read` throws passes unchanged.
 */
export async function fetchWithin<T>(
  fetchFn: FetchLike,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  read: (res: Response) => Promise<T>,
  unreachable: (timedOut: boolean) => Error,
): Promise<T> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(unreachable(true));
      abort.abort();
    }, timeoutMs);
  });
  try {
    const answered = fetchFn(url, { ...init, signal: abort.signal }).then(read, () => {
      throw unreachable(false);
    });
    return await Promise.race([answered, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
