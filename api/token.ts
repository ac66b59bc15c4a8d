/** Vercel: POST (exchange), DELETE (sign out everywhere), OPTIONS at /api/token, all lib/http.ts. */
import { handlerFromEnv } from "../lib/adapters/from-env.ts";

const handle = handlerFromEnv(process.env);

export const POST = handle;
export const DELETE = handle;
export const OPTIONS = handle;
// Other methods get the same OAuth-shaped 405 with `Allow` as on Netlify, not Vercel's own.
export const GET = handle;
export const PUT = handle;
export const PATCH = handle;
export const HEAD = handle;
