/**
 * Serves one BUILT function over HTTP the way its platform invokes it, so the conformance
 * test can send real requests to what would be deployed. Plain JavaScript on purpose: it
 * runs in a fresh Node 22 started with --no-experimental-require-module (AWS Lambda's
 * setting), with nothing between Node and the built code.
 *
 *   node --no-experimental-require-module runtime-runner.mjs netlify <function dir> <timeout ms>
 *     Netlify: loads zip-it-and-ship-it's ___netlify-entry-point.mjs (Netlify's bootstrap
 *     around our module) and calls its Lambda handler with a Lambda-shaped event and a
 *     response stream, through the `awslambda` global that Lambda's Node runtime provides.
 *   node --no-experimental-require-module runtime-runner.mjs vercel <module file> <timeout ms>
 *     Vercel: loads the module `vercel build` wrote and calls the export named after the
 *     request's method (405 when there is none), as Vercel's Node runtime does.
 *
 * Like Lambda, a module that fails to load fails every invocation (502, the error in the
 * body), and an invocation that outlives the timeout is cut off (504): a hang shows up as
 * an answer the test can see, never as a test that waits forever.
 *
 * Prints one line, {"listening": <port>}, once it accepts requests.
 */
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";

const [kind, target, timeoutArg] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg ?? 10_000);

/** The part of Lambda's Node runtime that response streaming relies on. */
globalThis.awslambda = {
  streamifyResponse: (fn) => fn,
  HttpResponseStream: {
    from(stream, prelude) {
      stream.prelude = prelude;
      return stream;
    },
  },
};

/** Collects what a handler streams back: the prelude (status, headers) and the body. */
class ResponseStream extends Writable {
  chunks = [];
  prelude = undefined;
  _write(chunk, _enc, cb) {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
}

let invoke;
try {
  if (kind === "netlify") {
    const { handler } = await import(pathToFileURL(`${target}/___netlify-entry-point.mjs`).href);
    invoke = async (req) => {
      const body = Buffer.from(await req.arrayBuffer());
      const headers = {};
      // Lambda hands over one value per header name; repeated headers arrive comma-joined.
      req.headers.forEach((v, k) => (headers[k] = v));
      const event = { rawUrl: req.url, httpMethod: req.method, headers, body: body.toString("base64"), isBase64Encoded: true, flags: {} };
      const started = Date.now();
      const context = { awsRequestId: randomUUID(), getRemainingTimeInMillis: () => timeoutMs - (Date.now() - started), callbackWaitsForEmptyEventLoop: true };
      const stream = new ResponseStream();
      await handler(event, stream, context);
      if (!stream.writableFinished) await new Promise((resolve) => stream.once("finish", resolve));
      const { statusCode = 200, multiValueHeaders = {}, headers: single = {} } = stream.prelude ?? {};
      const out = new Headers();
      for (const [k, vs] of Object.entries(multiValueHeaders)) for (const v of vs) out.append(k, v);
      for (const [k, v] of Object.entries(single)) out.set(k, v);
      return new Response(statusCode === 204 || statusCode === 304 ? null : Buffer.concat(stream.chunks), { status: statusCode, headers: out });
    };
  } else if (kind === "vercel") {
    const mod = await import(pathToFileURL(target).href);
    invoke = async (req) => {
      const fn = mod[req.method];
      if (typeof fn !== "function") return new Response(null, { status: 405 });
      return fn(req);
    };
  } else {
    throw new Error(`unknown platform ${kind}`);
  }
} catch (e) {
  const failure = { errorType: e?.code ?? e?.name ?? "Error", errorMessage: String(e?.message ?? e) };
  process.stderr.write(`load failed: ${failure.errorType}: ${failure.errorMessage}\n`);
  invoke = async () => Response.json(failure, { status: 502 });
}

function withTimeout(promise) {
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(() => resolve(Response.json({ errorType: "Timeout", errorMessage: `Task timed out after ${timeoutMs} ms` }, { status: 504 })), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const headers = new Headers();
  if (kind === "vercel") {
    // Vercel's Node launcher builds the Request from node's `req.headers`, where a repeated
    // Authorization (like Host, Content-Type, …) keeps only its first value.
    for (const [k, v] of Object.entries(req.headers)) for (const one of [v].flat()) if (one !== undefined) headers.append(k, one);
  } else {
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const request = new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
  let response;
  try {
    response = await withTimeout(invoke(request));
  } catch (e) {
    response = Response.json({ errorType: e?.name ?? "Error", errorMessage: String(e?.message ?? e) }, { status: 502 });
  }
  const body = Buffer.from(await response.arrayBuffer());
  const out = {};
  response.headers.forEach((v, k) => (out[k] = v));
  res.writeHead(response.status, out).end(body);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ listening: server.address().port })}\n`);
});
