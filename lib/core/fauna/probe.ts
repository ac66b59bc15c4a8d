/**
 * Two looks at a FaunaDB below the driver, for the doctor: its `/ping`, and one FQL v4
 * query sent as plain HTTP, so that an answer that is not FaunaDB's can be told apart from
 * a refused key or a network failure (the driver would make all three look alike), and
 * the server's clock read with the round trip around it. Each has a deadline of its own.
 */
import { systemErrorCode } from "../error-cause.ts";
import { DatabaseUnavailable } from "../errors/index.ts";

export interface PingAnswer {
  status: number;
  /** FaunaDB's `resource` ("Scope write is OK"), or the start of whatever else answered. */
  said: string;
  ms: number;
}

export type FqlV4Answer =
  /** The query ran: the server's `Now()` and the local instants around the request. */
  | { kind: "answered"; serverNowMs: number; sentAtMs: number; answeredAtMs: number }
  /** An FQL v4 error: 401 `unauthorized` is a refused key; anything else is said. */
  | { kind: "error"; status: number; code: string }
  /** Not FaunaDB's FQL v4 answer at all. */
  | { kind: "not_v4"; status: number; said: string };

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return endpoint;
  }
}

async function send(endpoint: string, path: string, init: RequestInit, timeoutMs: number): Promise<{ res: Response; text: string }> {
  try {
    const res = await fetch(new URL(path, endpoint), { ...init, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
    return { res, text: await res.text() };
  } catch (e) {
    const timedOut = (e as { name?: unknown }).name === "TimeoutError";
    throw new DatabaseUnavailable({ host: hostOf(endpoint), cause: timedOut ? "timeout" : (systemErrorCode(e) ?? "connection_failed") });
  }
}

function parse(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const excerpt = (text: string) => text.replace(/\s+/g, " ").trim().slice(0, 80);

/** `GET /ping?scope=write`: whether the node can serve writes. Throws `DatabaseUnavailable` when nothing answers. */
export async function pingFauna(endpoint: string, timeoutMs: number): Promise<PingAnswer> {
  const started = performance.now();
  const { res, text } = await send(endpoint, "/ping?scope=write", {}, timeoutMs);
  const resource = parse(text)?.resource;
  return { status: res.status, said: typeof resource === "string" ? resource : excerpt(text), ms: Math.round(performance.now() - started) };
}

/**
 * `ToMillis(Now())` as an FQL v4 request (`POST /`, the secret as a Bearer token, API
 * version 4). Throws `DatabaseUnavailable` when nothing answers.
 */
export async function probeFqlV4(endpoint: string, secret: string, timeoutMs: number): Promise<FqlV4Answer> {
  const sentAtMs = Date.now();
  const { res, text } = await send(
    endpoint,
    "/",
    {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json", "x-faunadb-api-version": "4" },
      body: JSON.stringify({ to_millis: { now: null } }),
    },
    timeoutMs,
  );
  const answeredAtMs = Date.now();
  const body = parse(text);
  if (res.status === 200 && typeof body?.resource === "number") return { kind: "answered", serverNowMs: body.resource, sentAtMs, answeredAtMs };
  const first = Array.isArray(body?.errors) ? (body.errors[0] as { code?: unknown } | undefined) : undefined;
  if (typeof first?.code === "string") return { kind: "error", status: res.status, code: first.code };
  return { kind: "not_v4", status: res.status, said: excerpt(text) };
}
