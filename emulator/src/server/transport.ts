/**
 * One port, two protocols, as FaunaDB's Netty server does: the Node driver
 * speaks HTTP/2 with prior knowledge (h2c), browsers and curl speak HTTP/1.1.
 * The first bytes of each connection decide which server gets it.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { Duplex } from "node:stream";
import type { PlainRequest } from "./http.ts";
import { isStream, type Response } from "./responses.ts";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export type Handler = (req: PlainRequest) => Response | Promise<Response>;

export interface Transport {
  server: net.Server;
  close(): Promise<void>;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
/** Stands in for a body that is not UTF-8: it fails JSON parsing, as FaunaDB's parser would. */
const NOT_UTF8 = "\u0000";

function readBody(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      try {
        resolve(utf8.decode(Buffer.concat(chunks)));
      } catch {
        resolve(NOT_UTF8);
      }
    });
    stream.on("error", reject);
  });
}

const INTERNAL = {
  status: 500,
  headers: { "content-type": "application/json;charset=utf-8" },
  body: '{"errors":[{"code":"internal error","description":"An internal server error occurred."}]}',
};

/** The handler's answer; a bug in it becomes a 500 for this request, never a crashed server. */
async function answer(handler: Handler, req: PlainRequest): Promise<Response> {
  try {
    return await handler(req);
  } catch (e) {
    console.error("[emulator] request failed:", e);
    return INTERNAL;
  }
}

/**
 * The socket as a stream that first replays the bytes the sniffing consumed.
 * HTTP/2 reads a net.Socket through its native handle, where unshifted bytes
 * would be lost; a plain Duplex is read through JavaScript instead.
 */
function withHead(socket: net.Socket, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb);
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(e, cb) {
      socket.destroy();
      cb(e);
    },
  });
  d.push(head);
  socket.on("data", (c: Buffer) => {
    if (!d.push(c)) socket.pause();
  });
  socket.on("end", () => d.push(null));
  socket.on("close", () => d.destroy());
  return d;
}

export function createTransport(handler: Handler): Transport {
  const sockets = new Set<net.Socket>();
  // Streams stay open for as long as clients watch: allow many per session (the driver
  // opens every stream of a client on one session), and let a client cancel many at once
  // (closing 1,000 subscriptions sends 1,000 RST_STREAMs, which nghttp2's rapid-reset
  // guard answers by ending the session; Node 20 ignores these two options, see README).
  const h2 = http2.createServer({
    settings: { maxConcurrentStreams: 1_000_000 },
    maxSessionMemory: 256,
    streamResetBurst: 1_000_000,
    streamResetRate: 1_000_000,
  } as http2.ServerOptions);
  h2.on("stream", (stream, headers) => {
    readBody(stream).then(
      async (body) => {
        const res = await answer(handler, {
          method: String(headers[":method"] ?? "GET"),
          path: String(headers[":path"] ?? "/"),
          headers: headers as PlainRequest["headers"],
          body,
        });
        if (isStream(res)) {
          // A stream that ends before it starts (the client left) is forgotten at once.
          const sink = { write: (t: string) => void (stream.destroyed || stream.write(t)), end: () => void (stream.destroyed || stream.end()) };
          if (stream.destroyed) return void res.start({ write: () => undefined, end: () => undefined }).onClose();
          stream.respond({ ":status": res.status, ...res.headers });
          const { onClose } = res.start(sink);
          stream.on("close", onClose);
          return;
        }
        if (stream.destroyed) return;
        stream.respond({ ":status": res.status, ...res.headers });
        stream.end(res.body);
      },
      () => stream.destroy(),
    );
  });
  h2.on("sessionError", () => undefined);

  const h1 = http.createServer((req, res) => {
    readBody(req).then(
      async (body) => {
        const out = await answer(handler, { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body });
        if (isStream(out)) {
          // No content-length: Node sends the body chunked, one chunk per line.
          res.writeHead(out.status, out.headers);
          const { onClose } = out.start({ write: (t) => void (res.destroyed || res.write(t)), end: () => void (res.destroyed || res.end()) });
          res.on("close", onClose);
          return;
        }
        res.writeHead(out.status, out.headers);
        res.end(out.body);
      },
      () => res.destroy(),
    );
  });
  h1.keepAliveTimeout = 5000;

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let seen = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (isH2 && seen.length < PREFACE.length) return; // need more bytes to be sure
      socket.off("data", onData);
      if (isH2) {
        h2.emit("connection", withHead(socket, seen));
        return;
      }
      socket.pause();
      socket.unshift(seen);
      h1.emit("connection", socket);
      socket.resume();
    };
    socket.on("data", onData);
  });

  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        h1.close();
        h2.close();
        server.close(() => resolve());
      }),
  };
}
