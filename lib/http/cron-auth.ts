/**
 * Vercel runs a cron job as a plain GET to a public URL, so anyone could trigger the
 * cleanup; Vercel sends `Authorization: Bearer $CRON_SECRET` when the project defines
 * CRON_SECRET, and this guard lets only that through. Netlify's scheduled functions
 * have no public URL and need no guard.
 *
 * Without CRON_SECRET the route refuses everything (500, a log line naming the variable,
 * at most one a minute): an unguarded cleanup endpoint is a misconfiguration, not a default.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { cronNotConfigured, cronUnauthorized, type FetchHandler } from "./respond.ts";
import { log, type LogFields, type LogLevel } from "../core/log.ts";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Constant-time: both sides are hashed to the same length before comparing. */
function sameSecret(received: string, expected: string): boolean {
  return timingSafeEqual(digest(received), digest(expected));
}

/** The route is public: refusals are logged at most once a minute, with how many there were. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/**
 * A log line that anyone can cause (the route is public), so at most one a minute: the
 * first at once, then the next one a minute later at the earliest, each carrying how many
 * refusals it stands for (`refused_since_last_line`, this one included).
 */
function everyMinute(level: LogLevel, event: string): (fields: LogFields) => void {
  let refused = 0;
  let lastLogged: number | undefined;
  return (fields) => {
    refused++;
    const now = Date.now();
    if (lastLogged !== undefined && now - lastLogged < REFUSAL_LOG_INTERVAL_MS) return;
    log(level, event, { refused_since_last_line: refused, ...fields });
    lastLogged = now;
    refused = 0;
  };
}

/** `handler`, behind `Authorization: Bearer <expected>` (CRON_SECRET as the configuration read it). */
export function cronGuard(expected: string | undefined, handler: FetchHandler): FetchHandler {
  const logMissing = everyMinute("error", "cron_secret_missing");
  const logRefused = everyMinute("warn", "cron_unauthorized");
  return async (req) => {
    if (!expected) {
      logMissing({ problem: "CRON_SECRET is not set: the cron route refuses every request until it is (Vercel sends it as a Bearer token)" });
      return cronNotConfigured();
    }
    const header = req.headers.get("authorization") ?? "";
    const presented = /^Bearer (.+)$/.exec(header)?.[1] ?? "";
    if (!sameSecret(presented, expected)) {
      logRefused({ bearer: header === "" ? "absent" : "wrong" });
      return cronUnauthorized();
    }
    return handler(req);
  };
}
