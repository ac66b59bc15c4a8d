/**
 * The token endpoint as the browser sees it (docs/endpoint.md, "The endpoint: `POST
 * /api/token`"): one authenticated call within its deadline, and the mapping of
 * its answer to a JSON body or to the typed error the caller acts on.
 */
import { AccessDenied, ExchangeFailed, SignInRequired, TemporarilyUnavailable, type ExchangeError } from "./errors.ts";
import { fetchWithin, type FetchLike } from "./fetch-within.ts";

/** `Retry-After` is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function refusal(res: Response, body: Record<string, unknown> | undefined, nowMs: number): ExchangeError {
  const error = typeof body?.error === "string" ? body.error : "";
  const description =
    typeof body?.error_description === "string" ? body.error_description : `The token endpoint answered ${res.status}.`;
  const s = res.status;
  if (s === 401) return new SignInRequired(s, error, description);
  if (s === 403) return new AccessDenied(s, error, description);
  // 429 and gateway failures mean the same to a browser as the endpoint's own 503.
  if (s === 429 || (s >= 502 && s <= 504)) {
    return new TemporarilyUnavailable(s, error, description, parseRetryAfter(res.headers.get("retry-after"), nowMs));
  }
  return new ExchangeFailed(s, error, description);
}

/**
 * `method` the endpoint with the access token as a Bearer credential (never in
 * the URL, never in a body that could be logged), and return its JSON answer.
 * No answer within `timeoutMs` is `TemporarilyUnavailable` with status 0.
 */
export function callTokenEndpoint(
  fetchFn: FetchLike,
  url: string,
  method: "POST" | "DELETE",
  accessToken: string,
  timeoutMs: number,
  now: () => number,
): Promise<Record<string, unknown>> {
  return fetchWithin(
    fetchFn,
    url,
    { method, headers: { authorization: `Bearer ${accessToken}` } },
    timeoutMs,
    async (res) => {
      let body: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = await res.json();
        if (parsed && typeof parsed === "object") body = parsed as Record<string, unknown>;
      } catch {
        // Not JSON (a proxy's error page): judged by the status alone.
      }
      if (!res.ok) throw refusal(res, body, now());
      if (!body) throw new ExchangeFailed(res.status, "", "The token endpoint answered something other than JSON.");
      return body;
    },
    (timedOut) =>
      new TemporarilyUnavailable(
        0,
        "",
        timedOut
          ? `The token endpoint (${method} ${url}) did not answer within ${timeoutMs} ms (timeoutMs).`
          : // The browser does not say which of these it was.
            `The token endpoint (${method} ${url}) could not be reached: offline, DNS, or refused by CORS.`,
      ),
  );
}
