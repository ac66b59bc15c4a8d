/**
 * What `npm start` serves beside /api/token, on the same origin: the demo page
 * from public/ (the folder Netlify publishes), a /config.json with the local URLs
 * the page needs (a deployed site has none, and the page then explains itself),
 * and the two modules an app would get from its bundler, the browser client and
 * the faunadb driver, bundled for browsers by esbuild at startup.
 */
import { readFile, stat } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";
import { build } from "esbuild";

const ROOT = resolve(import.meta.dirname, "..");
export const PUBLIC_DIR = join(ROOT, "public");

export const DEV_MODULES = { client: "/_dev/client.js", faunadb: "/_dev/faunadb.js" } as const;

/** What the demo page reads from /config.json. */
export interface DemoConfig {
  faunaEndpoint: string;
  /** The dev issuer's `GET /mint` (it plays Auth0's part). */
  mintUrl: string;
  tokenUrl: string;
  modules: typeof DEV_MODULES;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

const HEADERS = { "cache-control": "no-store", "x-content-type-options": "nosniff" };

function text(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...HEADERS, "content-type": "text/plain; charset=utf-8", ...extra } });
}

/** Bundles as an app's bundler would: the browser field of faunadb's package.json drops its Node-only parts. */
async function bundle(contents: string): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: ROOT, loader: "ts", sourcefile: "dev-module.ts" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "error",
  });
  return result.outputFiles[0]!.text;
}

/** A file under public/ for a URL path, or undefined when the path leaves it. */
function publicFile(pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const file = resolve(PUBLIC_DIR, `.${decoded.endsWith("/") ? `${decoded}index.html` : decoded}`);
  return file.startsWith(PUBLIC_DIR + sep) ? file : undefined;
}

export async function createDevSite(config: Omit<DemoConfig, "modules">): Promise<(req: Request) => Promise<Response>> {
  const [client, faunadb] = await Promise.all([
    bundle('export * from "./client/src/index.ts";'),
    bundle('export { default } from "faunadb";'),
  ]);
  const generated = new Map<string, { body: string; type: string }>([
    ["/config.json", { body: JSON.stringify({ ...config, modules: DEV_MODULES } satisfies DemoConfig), type: TYPES[".json"]! }],
    [DEV_MODULES.client, { body: client, type: TYPES[".js"]! }],
    [DEV_MODULES.faunadb, { body: faunadb, type: TYPES[".js"]! }],
  ]);

  return async (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "method not allowed", { allow: "GET, HEAD" });
    const { pathname } = new URL(req.url);
    const made = generated.get(pathname);
    let body: string | Blob;
    let type: string;
    if (made) {
      ({ body, type } = made);
    } else {
      const file = publicFile(pathname);
      const info = file ? await stat(file).catch(() => undefined) : undefined;
      if (!file || !info?.isFile()) return text(404, "not found");
      body = new Blob([await readFile(file)]);
      type = TYPES[extname(file)] ?? "application/octet-stream";
    }
    return new Response(req.method === "HEAD" ? null : body, { status: 200, headers: { ...HEADERS, "content-type": type } });
  };
}
