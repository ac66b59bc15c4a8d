/** Every 15 minutes: one time-boxed cleanup (lib/cleanup-handler.ts), well inside Netlify's 30 s. */
import type { Config } from "@netlify/functions";
import { cleanupHandlerFromEnv } from "../../lib/adapters/from-env.ts";

export default cleanupHandlerFromEnv(process.env);

export const config: Config = { schedule: "*/15 * * * *" };
