/**
 * The Node adapter: a web-standard `(Request) => Promise<Response>` served over node:http,
 * the way Netlify invokes a v2 function (`npm start` and the tests use it, so local HTTP
 * requests take the same path as production ones); and the importing API of the original
 * scripts, configured from this process's environment. This is the one module of lib/
 * that reads `process.env`: everything else is given its environment.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { loadConfig } from "../core/config/load.ts";
import { createTokenExchange, type ExchangeResult, type TokenExchange } from "../core/exchange/exchange.ts";
import { log, setLogLevel } from "../core/log.ts";
import { handlerCrashed, routeNotFound } from "../http/respond.ts";
import { HOST_SYNTAX } from "../http/cors.ts";

export interface ServedHandler {
  /** Base URL, e.g. `http://127.0.0.1:8888`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The web Request for a node:http request. Its URL is the one the client asked for, by
 * its `Host` (as Netlify and Vercel give a function the URL with the host the browser
 * used: a page at `http://localhost:8888` is at its own origin at `/api/token`), or on
 * `base` when `Host` is missing or not a host. Headers come from `rawHeaders`, so a header
 * sent twice reaches the handler twice (node keeps only the first Authorization in
 * `req.headers`, and a proxy might keep the last). The signal aborts when the client
 * goes away before the answer is out.
 */
export function toRequest(req: IncomingMessage, res: ServerResponse, base: string): Request {
  const host = req.headers.host;
  const origin = host !== undefined && HOST_SYNTAX.test(host) ? `${new URL(base).protocol}//${host}` : base;
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const gone = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  return new Request(new URL(req.url ?? "/", origin), {
    method,
    headers,
    signal: gone.signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  });
}

/**
 * Writes `response`. When the request's body was not read to its end (a 413, a 408, any
 * refusal before the body), the connection cannot carry another request: what is left of
 * the body would be read as one, or, unread, would stall the connection until it is reset
 * with the next request lost. So the answer says `Connection: close` and the connection is
 * closed once it is out, and a client knows to send its next request on a new one.
 */
async function send(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  if (!req.complete) headers.connection = "close";
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
      send(req, res, routeNotFound()).catch(() => res.destroy());
      return;
    }
    handler(toRequest(req, res, base))
      .then((response) => send(req, res, response))
      .catch(async (e: unknown) => {
        log("error", "handler_crashed", { error: e });
        // Once the head is out, all that can be done is to end the response.
        if (res.headersSent) res.end();
        else await send(req, res, handlerCrashed());
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

// ---------------------------------------------------------------- configured from process.env

let defaultExchange: TokenExchange | undefined;

/**
 * The importing API of the original scripts: configuration from process.env, read (and
 * the clients made) once per process.
 */
export async function exchangeJwtForSecret(jwt: string, opts: { metadata?: Record<string, unknown> } = {}): Promise<ExchangeResult> {
  if (!defaultExchange) {
    const config = loadConfig(process.env);
    setLogLevel(config.logLevel);
    defaultExchange = createTokenExchange(config);
  }
  return defaultExchange.exchange(jwt, opts.metadata ? { metadata: opts.metadata } : {});
}

/** Forget the process-wide exchange (tests that change process.env between uses). */
export async function resetDefaultExchange(): Promise<void> {
  const previous = defaultExchange;
  defaultExchange = undefined;
  await previous?.client.close();
}
