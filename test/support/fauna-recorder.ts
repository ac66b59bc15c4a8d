/**
 * A real HTTP/2 listener in front of the database (the faunadb driver speaks cleartext
 * HTTP/2 to an `http://` endpoint), passing every request and answer through as they are
 * and recording what each query asked of FaunaDB: its `X-Query-Timeout`, and when it
 * arrived. `beforeAnswer` runs before each query's answer is passed back (a test's
 * clock moved there makes a database that answers slowly, without waiting).
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";

export interface RecordedQuery {
  /** The `X-Query-Timeout` header as sent (milliseconds), or undefined when there was none. */
  queryTimeout: string | undefined;
  /** `Date.now()` when the query arrived here. */
  at: number;
}

export interface FaunaRecorder {
  /** Point FAUNA_ENDPOINT (or a driver) here instead of at the database. */
  endpoint: string;
  /** Every query (`POST /`) so far, in order of arrival. */
  readonly queries: RecordedQuery[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([":authority", ":scheme"]);

export async function startFaunaRecorder(target: string, opts: { beforeAnswer?: () => void } = {}): Promise<FaunaRecorder> {
  const upstream = http2.connect(target);
  upstream.on("error", () => undefined);
  const queries: RecordedQuery[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    const isQuery = headers[":method"] === "POST" && (headers[":path"] === "/" || headers[":path"] === "");
    if (isQuery) queries.push({ queryTimeout: headers["x-query-timeout"] as string | undefined, at: Date.now() });
    const forwarded: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) forwarded[name] = value;
    const up = upstream.request(forwarded);
    up.on("error", () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on("close", () => up.close());
    stream.pipe(up);
    up.on("response", (answer) => {
      if (isQuery) opts.beforeAnswer?.();
      const { ":status": status, ...rest } = answer;
      if (stream.destroyed) return;
      stream.respond({ ":status": status ?? 502, ...rest });
      up.pipe(stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    async close() {
      for (const s of sessions) s.destroy();
      upstream.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
