/**
 * POST /api/token: trade a JWT for a Fauna user secret; DELETE: sign out everywhere.
 * Everything lives in lib/http.ts; this file only binds it to Netlify. The handler
 * (config, JWKS cache, Fauna client) is built once per cold start.
 */
import type { Config, Context } from "@netlify/functions";
import { handlerFromEnv } from "../../lib/http.ts";

const handle = handlerFromEnv(process.env);

export default async (req: Request, _context: Context): Promise<Response> => handle(req);

export const config: Config = { path: "/api/token" };
