/**
 * The request body on a Node host (`npm start`, `npm run serve`, anything embedding the
 * handler through lib/adapters/node.ts), over raw sockets: a body that does not arrive
 * gets a 408 inside the request's budget instead of holding it (and the shared JWKS fetch
 * behind it) past the budget, and any answer sent before the body was read to its end
 * closes the connection, so that a request sent behind it on the same keep-alive
 * connection is neither read as part of the body nor left unanswered until a reset.
 */
import { before, after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs, closeThenCheck } from "./support/log-capture.ts";
import { openConnection, type RawResponse } from "./support/raw-connection.ts";
import { requestBudgets } from "../lib/core/budgets.ts";

const logs = captureLogs();
let s: Stack;
let port: number;
before(async () => {
  s = await startStack({ users: ["auth0|known"] });
  logs.forbid(s.target.serverSecret, s.target.adminSecret);
  port = Number(new URL(s.url).port);
});
after(closeThenCheck(logs, () => s?.close()));

/** How long a test waits for an answer: the body's 2 s share, and room for a loaded machine. */
const ANSWER_WAIT_MS = 5_000;

/** A POST to the token endpoint: its head, and as much of its body as the test sends with it. */
function post(opts: { headers?: string[]; contentLength?: number; body?: string; path?: string } = {}): string {
  const head = [`POST ${opts.path ?? "/api/token"} HTTP/1.1`, "Host: 127.0.0.1", ...(opts.headers ?? [])];
  if (opts.contentLength !== undefined) head.push(`Content-Length: ${opts.contentLength}`);
  return `${head.join("\r\n")}\r\n\r\n${opts.body ?? ""}`;
}

function validExchange(): string {
  const body = JSON.stringify({ token: s.issuer.mint({ sub: "auth0|known" }) });
  return post({ headers: ["Content-Type: application/json"], contentLength: Buffer.byteLength(body), body });
}

function assertOAuthError(r: RawResponse | undefined, status: number): void {
  assert.ok(r, "an answer");
  assert.equal(r.status, status, r.body);
  const body = JSON.parse(r.body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ["error", "error_description"]);
  assert.equal(body.error, "invalid_request");
}

function forbidSecrets(responses: RawResponse[]): void {
  for (const r of responses) if (r.status === 200) logs.forbid(JSON.parse(r.body).secret as string);
}

describe("a body has a deadline inside the budget", () => {
  test("headers, then silence: 408 within the body's 2 s, in OAuth's shape, and the connection closed", async () => {
    const c = await openConnection(port);
    try {
      c.write(post({ headers: ["Content-Type: application/json"], contentLength: 1000, body: '{"token":"ey' }));
      const [r] = await c.answers(1, ANSWER_WAIT_MS);
      assertOAuthError(r, 408);
      assert.match(JSON.parse(r!.body).error_description as string, /did not arrive within 2 s/);
      assert.equal(r!.headers.connection, "close");
      assert.ok((await c.closing(1000)) !== undefined, "the server closed the connection");
    } finally {
      c.destroy();
    }
    const line = logs.events("token_exchange").at(-1)!;
    assert.equal(line.outcome, "ERR_REQUEST_TIMEOUT");
    assert.equal(line.status, 408);
    assert.equal(line.level, "info", "a slow client is not a server failure");
    assert.equal(requestBudgets().bodyMs, 2_000, "the share the description states");
  });

  test("a body trickling in with a made-up kid is cut at its deadline: no JWKS fetch, and the next request is served", async () => {
    const made = s.issuer.mint({ sub: "auth0|known", key: s.issuer.createKey("made-up") });
    const body = JSON.stringify({ token: made });
    s.issuer.resetJwksFetches();
    const c = await openConnection(port);
    // A byte every 50 ms: all of it would take longer than the whole request's budget.
    c.write(post({ headers: ["Content-Type: application/json"], contentLength: body.length }));
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < body.length && c.closed === undefined) c.write(body[sent++]!);
    }, 50);
    try {
      const [r] = await c.answers(1, ANSWER_WAIT_MS);
      assertOAuthError(r, 408);
      assert.ok(sent < body.length, "cut before the body was complete");
    } finally {
      clearInterval(trickle);
      c.destroy();
    }
    assert.equal(s.issuer.jwksFetches, 0, "the body never reached the key lookup");
    const next = await openConnection(port);
    try {
      next.write(validExchange());
      const answers = await next.answers(1, 5000);
      forbidSecrets(answers);
      assert.equal(answers[0]?.status, 200, answers[0]?.body);
    } finally {
      next.destroy();
    }
  });
});

describe("an answer sent before the body was read closes the connection", () => {
  /** Sends `first` and a valid exchange behind it on one connection: the first is answered, and the connection closed. */
  async function refusedThenClosed(first: string, status: number): Promise<void> {
    const c = await openConnection(port);
    try {
      c.write(first);
      c.write(validExchange());
      const answers = await c.answers(1, 3000);
      assertOAuthError(answers[0], status);
      assert.equal(answers[0]!.headers.connection, "close", "the client is told not to send more on it");
      const closed = await c.closing(2000);
      assert.ok(closed, "closed at once: not left open, unread, until a reset");
      forbidSecrets(c.responses);
      // The request sent behind it was not read as part of the refused body, nor answered.
      assert.equal(c.responses.length, 1);
    } finally {
      c.destroy();
    }
  }

  test("413 for a declared size: the request behind it on the same connection is not lost unanswered", async () => {
    const big = "x".repeat(300 * 1024);
    await refusedThenClosed(post({ headers: ["Content-Type: application/json"], contentLength: big.length, body: big }), 413);
  });

  test("413 counted while streaming (chunked)", async () => {
    const chunk = `400\r\n${"a".repeat(1024)}\r\n`;
    await refusedThenClosed(post({ headers: ["Content-Type: application/json", "Transfer-Encoding: chunked"], body: chunk.repeat(300) }) + "0\r\n\r\n", 413);
  });

  test("a 400 refused on its headers before the body is read", async () => {
    const two = [`Authorization: Bearer ${s.issuer.mint({ sub: "auth0|known" })}`, `Authorization: Bearer ${s.issuer.mint({ sub: "auth0|known" })}`];
    await refusedThenClosed(post({ headers: [...two, "Content-Type: application/json"], contentLength: 1000, body: '{"a":' }), 400);
  });

  test("a body read to its end keeps the connection: a 415 and a 200 behind it, then another", async () => {
    const c = await openConnection(port);
    try {
      c.write(post({ headers: ["Content-Type: text/plain"], contentLength: 5, body: "hello" }));
      c.write(validExchange());
      c.write(validExchange());
      const answers = await c.answers(3, 5000);
      forbidSecrets(answers);
      assert.deepEqual(answers.map((r) => r.status), [415, 200, 200]);
      assert.ok(answers.every((r) => r.headers.connection !== "close"));
      assert.equal(c.closed, undefined);
    } finally {
      c.destroy();
    }
  });
});
