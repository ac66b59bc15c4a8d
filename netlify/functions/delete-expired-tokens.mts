/** Every 15 minutes: one time-boxed cleanup (lib/adapters/netlify.ts), well inside Netlify's 30 s. */
import type { Config } from "@netlify/functions";
import { netlifyCleanupFunction } from "../../lib/adapters/netlify.ts";

export default netlifyCleanupFunction(process.env);

export const config: Config = { schedule: "*/15 * * * *" };
