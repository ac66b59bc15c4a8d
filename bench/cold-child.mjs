/**
 * One cold start, measured inside a fresh Node process (bench/cold-start.ts spawns it):
 * the import of a built function module, and optionally the time from the process's own
 * start (performance.timeOrigin) to the first 200 answer. Plain JavaScript, so nothing
 * but Node sits between the measurement and the built code.
 *
 *   node --no-experimental-require-module cold-child.mjs <module> <netlify|vercel|netlify-entry> [<jwt>]
 * `netlify-entry` imports Netlify's whole entry point (its Lambda bootstrap, which then
 * imports the function on the first invocation), with Lambda's `awslambda` global shimmed.
 * Prints {"importMs": n, "firstOkMs": n | null, "status": n | null}.
 */
import { pathToFileURL } from "node:url";

const [file, kind, jwt] = process.argv.slice(2);
if (kind === "netlify-entry") globalThis.awslambda = { streamifyResponse: (fn) => fn, HttpResponseStream: { from: (s) => s } };
const before = performance.now();
const mod = await import(pathToFileURL(file).href);
const importMs = performance.now() - before;
let firstOkMs = null;
let status = null;
if (jwt) {
  const req = new Request("http://localhost/api/token", { method: "POST", headers: { authorization: `Bearer ${jwt}` } });
  const res = kind === "vercel" ? await mod.POST(req) : await mod.default(req, {});
  status = res.status;
  await res.arrayBuffer();
  // Measured from the process's start: Node's own startup, the import, the JWKS fetch,
  // the key import and the one Fauna query.
  firstOkMs = performance.now();
}
process.stdout.write(`${JSON.stringify({ importMs, firstOkMs, status })}\n`);
// Open HTTP/2 sessions would keep the process alive; it has said what it had to say.
process.exit(0);
