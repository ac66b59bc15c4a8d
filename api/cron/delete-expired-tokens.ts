/** Vercel Cron (vercel.json, every 15 minutes): the cleanup, behind Authorization: Bearer $CRON_SECRET. */
import { vercelCronRoute } from "../../lib/adapters/vercel.ts";

export const GET = vercelCronRoute(process.env);
