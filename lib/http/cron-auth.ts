/**
 * Vercel runs a cron job as a plain GET to a public URL, so anyone could trigger the
 * cleanup; Vercel sends `Authorization: Bearer $CRON_SECRET` when the project defines
 * CRON_SECRET, and this guard lets only that through. Netlify's scheduled functions
 * have no public URL and need no guard.
 *
 * Without CRON_SECRET the route refuses everything (500, one log line naming the
 * variable): an unguarded cleanup endpoint is a misconfiguration, not a default.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { cronNotConfigured, cronUnauthorized, type FetchHandler } from "./respond.ts";
import { log } from "../core/log.ts";

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Constant-time: both sides are hashed to the same length before comparing. */
function sameSecret(received: string, expected: string): boolean {
  return timingSafeEqual(digest(received), digest(expected));
}

/** The route is public: refusals are logged at most once a minute, with how many there were. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** `handler`, behind `Authorization: Bearer <expected>` (CRON_SECRET as the configuration read it). */
export function cronGuard(expected: string | undefined, handler: FetchHandler): FetchHandler {
  let refused = 0;
  let lastLogged = 0;
  return async (req) => {
    if (!expected) {
      log("error", "cron_secret_missing", { problem: "CRON_SECRET is not set: the cron route refuses every request until it is (Vercel sends it as a Bearer token)" });
      return cronNotConfigured();
    }
    const header = req.headers.get("authorization") ?? "";
    const presented = /^Bearer (.+)$/.exec(header)?.[1] ?? "";
    if (!sameSecret(presented, expected)) {
      refused++;
      if (Date.now() - lastLogged >= REFUSAL_LOG_INTERVAL_MS) {
        log("warn", "cron_unauthorized", { refused_since_last_line: refused, bearer: header === "" ? "absent" : "wrong" });
        lastLogged = Date.now();
        refused = 0;
      }
      return cronUnauthorized();
    }
    return handler(req);
  };
}
