/**
 * Serves a web-standard `(Request) => Promise<Response>` over node:http, the way
 * Netlify invokes a v2 function. `npm start` and the tests use it, so local HTTP
 * requests take the same path as production ones.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { log } from "../core/log.ts";
import { handlerCrashed, routeNotFound } from "../http/respond.ts";

export interface ServedHandler {
  /** Base URL, e.g. `http://127.0.0.1:8888`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The web Request for a node:http request. Headers come from `rawHeaders`, so a header
 * sent twice reaches the handler twice (node keeps only the first Authorization in
 * `req.headers`, and a proxy might keep the last). The signal aborts when the client
 * goes away before the answer is out.
 */
function toRequest(req: IncomingMessage, res: ServerResponse, base: string): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const gone = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  return new Request(new URL(req.url ?? "/", base), {
    method,
    headers,
    signal: gone.signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers).end(body);
}

export async function serveHandler(
  handler: (req: Request) => Promise<Response>,
  opts: { port?: number; host?: string; route?: string } = {},
): Promise<ServedHandler> {
  const host = opts.host ?? "127.0.0.1";
  let base = "";
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    // Netlify routes only config.path to the function; mimic that.
    if (opts.route && path !== opts.route) {
      send(res, routeNotFound()).catch(() => res.destroy());
      return;
    }
    handler(toRequest(req, res, base))
      .then((response) => send(res, response))
      .catch(async (e: unknown) => {
        log("error", "handler_crashed", { error: e });
        // Once the head is out, all that can be done is to end the response.
        if (res.headersSent) res.end();
        else await send(res, handlerCrashed());
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://${host}:${port}`;
  return {
    url: base,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
