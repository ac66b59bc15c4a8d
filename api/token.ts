/** Vercel: POST (exchange), DELETE (sign out everywhere), OPTIONS at /api/token; every other method the same OAuth 405. */
import { vercelTokenRoutes } from "../lib/adapters/vercel.ts";

const routes = vercelTokenRoutes(process.env);

export const POST = routes.POST;
export const DELETE = routes.DELETE;
export const OPTIONS = routes.OPTIONS;
export const GET = routes.GET;
export const PUT = routes.PUT;
export const PATCH = routes.PATCH;
export const HEAD = routes.HEAD;
