/** Vercel: POST (exchange), DELETE (sign out everywhere), OPTIONS at /api/token, all lib/http.ts. */
import { handlerFromEnv } from "../lib/http.ts";

const handle = handlerFromEnv(process.env);

export const POST = handle;
export const DELETE = handle;
export const OPTIONS = handle;
