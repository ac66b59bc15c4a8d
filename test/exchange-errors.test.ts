/** The two halves of the error contract: driver failures → typed errors, typed errors → HTTP. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import faunadb from "faunadb";
import { createFaunaClient, mapFaunaError } from "../lib/fauna.ts";
import { errorShape } from "../lib/http.ts";
import * as errors from "../lib/errors.ts";

test("driver failures that are not HTTP answers", () => {
  const refused = Object.assign(new Error("stream cancelled"), {
    code: "ERR_HTTP2_STREAM_CANCEL",
    cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED", syscall: "connect" }),
  });
  assert.equal(mapFaunaError(refused).code, errors.DatabaseUnavailable.code);
  assert.equal(mapFaunaError(new SyntaxError("Unexpected token <")).code, errors.DatabaseUnavailable.code);
  // Our own (or a colleague's) ERR_ codes are bugs, not outages.
  assert.equal(mapFaunaError(Object.assign(new Error("stalled"), { code: "ERR_LEDGER_STALLED" })).code, errors.DatabaseError.code);
  assert.equal(mapFaunaError(new TypeError("x is undefined")).code, errors.DatabaseError.code);
  assert.equal(mapFaunaError(new faunadb.errors.InvalidValue("bad")).code, errors.DatabaseError.code);
  const typed = new errors.UnknownUser();
  assert.equal(mapFaunaError(typed), typed);
});

test("a database that accepts connections but never answers times out as unavailable", async () => {
  const sockets: Socket[] = [];
  const server = createServer((s) => sockets.push(s)).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const port = (server.address() as { port: number }).port;
  const client = createFaunaClient({ endpoint: `http://127.0.0.1:${port}`, secret: "x" }, { timeoutSeconds: 1 });
  try {
    const started = Date.now();
    const err = await client.query(faunadb.query.Now()).then(
      () => assert.fail("no answer expected"),
      (e: unknown) => mapFaunaError(e),
    );
    assert.equal(err.code, errors.DatabaseUnavailable.code);
    assert.ok(Date.now() - started < 5000);
  } finally {
    // force: a session that never completed its handshake would keep a plain close() waiting.
    await client.close({ force: true }).catch(() => undefined);
    for (const s of sockets) s.destroy();
    server.close();
  }
});

test("every typed error has one status and OAuth error", () => {
  const rows: [errors.TokenExchangeError, number, string, number?, string?][] = [
    [new errors.BadRequest("x"), 400, "invalid_request"],
    [new errors.InvalidMetadata("x"), 400, "invalid_request"],
    [new errors.UnsupportedGrantType(), 400, "unsupported_grant_type"],
    [new errors.MethodNotAllowed(["POST"]), 405, "invalid_request"],
    [new errors.PayloadTooLarge(16384), 413, "invalid_request"],
    [new errors.UnsupportedMediaType(), 415, "invalid_request"],
    [new errors.JwtExpired(), 401, "invalid_token", 400, "invalid_request"],
    [new errors.JwtNotYetValid(), 401, "invalid_token", 400, "invalid_request"],
    [new errors.JwtSignatureInvalid(), 401, "invalid_token", 400, "invalid_request"],
    [new errors.JwksNoMatchingKey(), 401, "invalid_token", 400, "invalid_request"],
    [new errors.JwtAlgorithmNotAllowed(), 401, "invalid_token", 400, "invalid_request"],
    [new errors.JwtIssuerInvalid(), 401, "invalid_token", 400, "invalid_request"],
    [new errors.JwtAudienceInvalid(), 401, "invalid_token", 400, "invalid_request"],
    [new errors.JwtMalformed(), 401, "invalid_token", 400, "invalid_request"],
    [new errors.JwtClaimMissing("sub"), 401, "invalid_token", 400, "invalid_request"],
    [new errors.UnknownUser(), 403, "access_denied"],
    [new errors.IdentityProviderUnavailable(), 503, "temporarily_unavailable"],
    [new errors.DatabaseUnavailable(), 503, "temporarily_unavailable"],
    [new errors.DatabaseError("invalid argument"), 500, "server_error"],
    [new errors.Misconfigured(["FAUNA_SECRET is missing"]), 500, "server_error"],
    [new errors.SchemaConflict("index x", ["terms differ"]), 500, "server_error"],
  ];
  const codes = new Set<string>();
  for (const [err, status, error, formStatus, formError] of rows) {
    assert.match(err.code, /^ERR_[A-Z_]+$/);
    codes.add(err.code);
    assert.deepEqual([errorShape(err, false).status, errorShape(err, false).error], [status, error], err.code);
    assert.deepEqual([errorShape(err, true).status, errorShape(err, true).error], [formStatus ?? status, formError ?? error], err.code);
    if (status === 500) assert.ok(!errorShape(err, false).description.includes("FAUNA"), "internals stay in the log");
  }
  assert.equal(codes.size, rows.length, "codes are unique per class");
});
