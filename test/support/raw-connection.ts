/**
 * One HTTP/1.1 connection driven byte by byte, as a client that keeps it alive sees it:
 * what is sent and when is the test's, and every answer that comes back is parsed
 * (status, headers, a body by Content-Length or chunked), with when the server closed.
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the connection's opening to the end of this answer. */
  atMs: number;
}

export interface RawConnection {
  write(bytes: string): void;
  /** Every complete answer so far. */
  readonly responses: RawResponse[];
  /** How the server ended the connection (`end`: a FIN; `reset`), with when; undefined while open. */
  readonly closed: { how: "end" | "reset"; atMs: number } | undefined;
  /** Resolves once `n` answers are in, or `ms` has passed (the test then asserts on what came). */
  answers(n: number, ms: number): Promise<RawResponse[]>;
  /** Resolves once the server has closed the connection, or `ms` has passed. */
  closing(ms: number): Promise<RawConnection["closed"]>;
  destroy(): void;
}

/** Parses complete answers off the front of `buf`; returns them and what is left. */
function parse(buf: string, atMs: number): { done: RawResponse[]; rest: string } {
  const done: RawResponse[] = [];
  for (;;) {
    const headEnd = buf.indexOf("\r\n\r\n");
    if (headEnd < 0) break;
    const [statusLine, ...lines] = buf.slice(0, headEnd).split("\r\n");
    const headers: Record<string, string> = {};
    for (const l of lines) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
    let rest = buf.slice(headEnd + 4);
    let body = "";
    if (headers["transfer-encoding"] === "chunked") {
      let complete = false;
      for (;;) {
        const sizeEnd = rest.indexOf("\r\n");
        if (sizeEnd < 0) break;
        const size = parseInt(rest.slice(0, sizeEnd), 16);
        if (rest.length < sizeEnd + 2 + size + 2) break;
        body += rest.slice(sizeEnd + 2, sizeEnd + 2 + size);
        rest = rest.slice(sizeEnd + 2 + size + 2);
        if (size === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
    } else {
      const length = Number(headers["content-length"] ?? 0);
      if (rest.length < length) break;
      body = rest.slice(0, length);
      rest = rest.slice(length);
    }
    done.push({ status: Number(statusLine!.split(" ")[1]), headers, body, atMs });
    buf = rest;
  }
  return { done, rest: buf };
}

export function openConnection(port: number): Promise<RawConnection> {
  const socket: Socket = connect(port, "127.0.0.1");
  const opened = Date.now();
  const responses: RawResponse[] = [];
  let closed: RawConnection["closed"];
  let buffer = "";
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  socket.on("data", (d) => {
    const parsed = parse(buffer + d.toString("latin1"), Date.now() - opened);
    responses.push(...parsed.done);
    buffer = parsed.rest;
    wake();
  });
  socket.on("end", () => {
    closed ??= { how: "end", atMs: Date.now() - opened };
    wake();
  });
  socket.on("error", () => {
    closed ??= { how: "reset", atMs: Date.now() - opened };
    wake();
  });
  socket.on("close", () => {
    closed ??= { how: "end", atMs: Date.now() - opened };
    wake();
  });
  const until = (done: () => boolean, ms: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        resolve();
      }, ms);
      waiters.add(check);
      check();
    });
  const connection: RawConnection = {
    write: (bytes) => void socket.write(bytes),
    responses,
    get closed() {
      return closed;
    },
    answers: (n, ms) => until(() => responses.length >= n || closed !== undefined, ms).then(() => responses),
    closing: (ms) => until(() => closed !== undefined, ms).then(() => closed),
    destroy: () => socket.destroy(),
  };
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(connection));
    socket.once("error", reject);
  });
}
