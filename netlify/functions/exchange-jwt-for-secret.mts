/** POST (exchange), DELETE (sign out everywhere), OPTIONS at /api/token: lib/adapters/netlify.ts, built once per cold start. */
import type { Config } from "@netlify/functions";
import { netlifyTokenFunction } from "../../lib/adapters/netlify.ts";

export default netlifyTokenFunction(process.env);

export const config: Config = {
  path: "/api/token",
  // Per client IP, a sliding window: see docs/deploying.md, "Rate limit".
  rateLimit: { windowLimit: 60, windowSize: 60, aggregateBy: ["ip", "domain"] },
};
