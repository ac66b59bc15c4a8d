/** The two halves of the error contract: driver failures → typed errors, typed errors → HTTP. */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import faunadb from "faunadb";
import { mapFaunaError } from "../lib/core/fauna/failures.ts";
import { createFaunaClient } from "../lib/core/fauna/client.ts";
import { errorShape } from "../lib/http/respond.ts";
import { outcomeOf } from "../lib/http/statuses.ts";
import * as errors from "../lib/core/errors/index.ts";
import { Misconfigured } from "../lib/core/errors/index.ts";
import { exchangeQuery } from "../lib/core/exchange/exchange.ts";
import { LEDGER_COLLECTION } from "../lib/core/ledger/layout.ts";
import { startStack, type Stack } from "./support/stack.ts";
import { captureLogs } from "./support/log-capture.ts";
import { bearer, call } from "./support/http-client.ts";

const q = faunadb.query;

test("driver failures that are not HTTP answers", () => {
  const refused = Object.assign(new Error("stream cancelled"), {
    code: "ERR_HTTP2_STREAM_CANCEL",
    cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED", syscall: "connect" }),
  });
  assert.equal(mapFaunaError(refused).code, errors.DatabaseUnavailable.code);
  assert.equal(mapFaunaError(new SyntaxError("Unexpected token <")).code, errors.DatabaseUnavailable.code);
  // Our own (or a colleague's) ERR_ codes are bugs: neither outages nor database errors.
  assert.equal(mapFaunaError(Object.assign(new Error("stalled"), { code: "ERR_LEDGER_STALLED" })).code, errors.InternalError.code);
  assert.equal(mapFaunaError(new TypeError("x is undefined")).code, errors.InternalError.code);
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

test("every error class of lib extends the one base with its own code; every InvalidToken is a 401 by that code", () => {
  const classes = Object.entries(errors as Record<string, unknown>).filter(
    (e): e is [string, { prototype: object }] => typeof e[1] === "function" && e[1].prototype instanceof errors.TokenExchangeError,
  );
  // A class without a code of its own would repeat its parent's: the uniqueness check below finds it.
  const concrete = classes.filter(([, c]) => typeof (c as { code?: unknown }).code === "string").map(([name, c]) => [name, (c as unknown as { code: string }).code, c] as const);
  assert.ok(concrete.length >= 30, `${concrete.length} classes`);
  for (const [name, code] of concrete) assert.match(code, /^ERR_[A-Z_]+$/, name);
  assert.equal(new Set(concrete.map(([, code]) => code)).size, concrete.length, "one code per class");
  const tokenCodes = concrete.filter(([, , c]) => c.prototype instanceof errors.InvalidToken).map(([, code]) => code);
  assert.ok(tokenCodes.length >= 11);
  for (const code of tokenCodes) {
    assert.deepEqual(outcomeOf(code, false), { status: 401, error: "invalid_token" }, code);
    assert.deepEqual(outcomeOf(code, true), { status: 400, error: "invalid_request" }, code);
  }
});

describe("a failure after Create(Tokens()) inside the one query writes nothing", () => {
  // The ledger collection is deleted, so the query fails at its last step, creating the
  // ledger entry: after the user lookup (or creation) and the token creation. The bound on
  // live secrets is off here: it reads the ledger's index, and would fail before the token.
  let s: Stack;
  const logs = captureLogs();
  before(async () => {
    s = await startStack({ users: ["auth0|existing"], env: { CREATE_MISSING_USERS: "true", MAX_LIVE_SECRETS_PER_USER: "0" } });
    logs.forbid(s.target.serverSecret, s.target.adminSecret);
    await s.admin.query(q.Delete(q.Collection(LEDGER_COLLECTION)));
  });
  after(async () => {
    logs.stop();
    logs.assertClean();
    await s.close();
  });

  const written = async () => {
    const [tokens, users] = await Promise.all([
      s.admin.query<number>(q.Count(q.Tokens())),
      s.admin.query<number>(q.Count(q.Documents(q.Collection("users")))),
    ]);
    return { tokens, users, ledgerExists: await s.admin.query<boolean>(q.Exists(q.Collection(LEDGER_COLLECTION))) };
  };

  for (const [name, sub] of [
    ["an existing user", "auth0|existing"],
    ["a new user (CREATE_MISSING_USERS on: created in the same query)", "auth0|newcomer"],
  ] as const) {
    test(name, async () => {
      const jwt = s.issuer.mint({ sub });
      logs.forbid(jwt);
      // The failure really is the ledger Create, after the token's.
      const direct = await s.target
        .client(s.target.serverSecret)
        .query(exchangeQuery({ sub, expiresAt: new Date(Date.now() + 60_000), usersCollection: "users", usersIndex: "users_by_auth0_id", createMissingUsers: true, maxLiveSecrets: 0 }))
        .then(
          () => assert.fail("the query must fail"),
          (e: { requestResult: { responseContent: { errors: { code: string; position: unknown[] }[] } } }) => e.requestResult.responseContent.errors[0]!,
        );
      assert.equal(direct.code, "invalid ref");
      assert.ok(direct.position.includes("entry"), `failed at ${JSON.stringify(direct.position)}`);

      const misconfiguredLines = () => logs.text().split("\n").filter((l) => /"outcome":"ERR_MISCONFIGURED","status":500.*deploy-schema/.test(l)).length;
      const linesBefore = misconfiguredLines();
      const before = await written();
      const writesBefore = s.target.emulator?.stats.snapshot().documentsWritten;
      const res = await call(s.url, bearer(jwt));
      assert.equal(res.status, 500, JSON.stringify(res.body));
      assert.equal(res.body.error, "server_error");
      assert.equal(misconfiguredLines(), linesBefore + 1, "logged as a misconfiguration, with the fix");
      await assert.rejects(s.exchange.exchange(jwt), { code: Misconfigured.code });
      assert.deepEqual(await written(), before, "no token, no user");
      assert.equal(before.ledgerExists, false);
      if (s.target.emulator) assert.equal(s.target.emulator.stats.snapshot().documentsWritten, writesBefore, "no document at all");
    });
  }
});
