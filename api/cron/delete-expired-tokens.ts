/** Vercel Cron (vercel.json, every 15 minutes): the cleanup, behind Authorization: Bearer $CRON_SECRET. */
import { cleanupHandlerFromEnv, requireCronSecret } from "../../lib/adapters/from-env.ts";

export const GET = requireCronSecret(process.env, cleanupHandlerFromEnv(process.env));
