/** Vercel Cron (vercel.json, every 15 minutes): the cleanup, behind Authorization: Bearer $CRON_SECRET. */
import { cleanupHandlerFromEnv } from "../../lib/http/cleanup-handler.ts";
import { requireCronSecret } from "../../lib/http/cron-auth.ts";

export const GET = requireCronSecret(process.env, cleanupHandlerFromEnv(process.env));
