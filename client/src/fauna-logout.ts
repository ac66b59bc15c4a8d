/**
 * `Logout(false)` at FaunaDB for one secret: the token behind it is deleted, so
 * FaunaDB refuses it from then on (the exchange's ledger entry is the cleanup's
 * to remove). The driver is not needed for one fixed request.
 */
import { LogoutFailed } from "./errors.ts";
import { fetchWithin, type FetchLike } from "./fetch-within.ts";

/** 1 when FaunaDB logged the secret out, 0 when it no longer knew it (401: already ended). */
export function faunaLogout(fetchFn: FetchLike, endpoint: string, secret: string, timeoutMs: number): Promise<number> {
  return fetchWithin(
    fetchFn,
    endpoint,
    {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "x-faunadb-api-version": "4" },
      // FQL v4's wire form of Logout(false): end this token only.
      body: '{"logout":false}',
    },
    timeoutMs,
    async (res) => {
      if (res.status === 401) return 0;
      if (!res.ok) throw new LogoutFailed(res.status);
      return 1;
    },
    (timedOut) =>
      new LogoutFailed(
        0,
        timedOut
          ? `FaunaDB (${endpoint}) did not answer Logout within ${timeoutMs} ms (timeoutMs).`
          : `FaunaDB (${endpoint}) could not be reached to log out.`,
      ),
  );
}
