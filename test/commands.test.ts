/**
 * One convention for the four commands (issue 9): exchange, deploy-schema,
 * delete-expired-tokens and revoke, run as a user runs them (child processes, the
 * environment in, stdout/stderr/exit status out) against the emulator and a local
 * issuer, through every row of the exit-code table. Every failure is checked for the
 * one error format (`<command>: <code>: <message>` on stderr) and, with --json, for
 * exactly one JSON object on stdout carrying the same code.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import faunadb from "faunadb";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";
import { EXIT, EXIT_CODES_HELP } from "../scripts/command-line.ts";
import { LEDGER_BY_USER_INDEX } from "../lib/core/ledger/layout.ts";
import { closedPort } from "./support/processes.ts";

const q = faunadb.query;
const ROOT = resolve(import.meta.dirname, "..");
const COMMANDS = ["exchange", "deploy-schema", "delete-expired-tokens", "revoke"] as const;
type Command = (typeof COMMANDS)[number];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: Command, args: string[], env: Record<string, string>, stdin = ""): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", "tsx", `scripts/${command}.ts`, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Exit status, the one stderr line, and (run with --json) the one JSON object on stdout. */
function assertFailed(r: Ran, command: Command, exit: number, code: string, message?: RegExp): Record<string, unknown> {
  assert.equal(r.code, exit, `${command} exited ${r.code}:\n${r.stderr}`);
  // The command's own line; lib's JSON log lines (e.g. jwks_fetch_failed) may come before it.
  const own = r.stderr.split("\n").filter((l) => l.startsWith(`${command}: `));
  assert.equal(own.length, 1, `one error line:\n${r.stderr}`);
  const first = own[0]!;
  const prefix = `${command}: ${code}: `;
  assert.ok(first.startsWith(prefix), `${command}'s error line is "${first}", expected it to start with "${prefix}"`);
  if (message) assert.match(first, message);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `${command} --json printed ${lines.length} lines:\n${r.stdout}`);
  const out = JSON.parse(lines[0]!) as { error: { code: string; message: string } };
  assert.equal(out.error.code, code);
  assert.equal(out.error.message, first.slice(prefix.length));
  return out;
}

function assertDone(r: Ran, command: Command): Record<string, unknown> {
  assert.equal(r.code, EXIT.ok, `${command} exited ${r.code}:\n${r.stderr}`);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, `${command} --json printed:\n${r.stdout}`);
  const out = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(out.error, undefined);
  return out;
}


let s: Stack;
let env: Record<string, string>;
/** A secret from the exchange, to revoke, and to show what a user secret may not do. */
let userSecret: string;
const forbidden: string[] = [];

/** No secret and no JWT ever reaches a command's output. */
function assertNoSecrets(r: Ran): void {
  for (const f of forbidden) assert.ok(!r.stdout.includes(f) && !r.stderr.includes(f), "a secret or JWT was printed");
}

before(async () => {
  s = await startStack({ users: ["auth0|cli", "auth0|other"] });
  env = {
    FAUNA_ENDPOINT: s.target.endpoint,
    FAUNA_SECRET: s.target.serverSecret,
    AUTH0_ISSUER: s.issuer.issuer,
    AUTH0_JWKS_URI: s.issuer.jwksUri,
    AUTH0_AUDIENCE: s.issuer.audience,
  };
  userSecret = (await call(s.url, bearer(s.issuer.mint({ sub: "auth0|other" })))).body.secret as string;
  forbidden.push(s.target.serverSecret, s.target.adminSecret, userSecret);
});
after(() => s.close());

describe("the four commands through each exit-code row", () => {
  test("every --help prints the one exit-code table and exits 0", async () => {
    for (const command of COMMANDS) {
      const r = await run(command, ["--help"], {});
      assert.equal(r.code, 0, command);
      assert.ok(r.stdout.includes(EXIT_CODES_HELP), `${command} --help has the table`);
      assert.match(r.stdout, /--json .*errors included/);
      assert.match(r.stdout, /--env-from FILE/);
    }
  });

  test("0: done", async () => {
    const jwt = s.issuer.mint({ sub: "auth0|cli" });
    forbidden.push(jwt);
    const exchanged = await run("exchange", [jwt, "--json"], env);
    const issued = assertDone(exchanged, "exchange");
    assert.deepEqual(Object.keys(issued), ["secret", "expires_at", "expires_in"]);
    // Without --json the result is the same JSON (it is data): a script reads .secret either way.
    const viaStdin = await run("exchange", ["-"], env, `${s.issuer.mint({ sub: "auth0|cli" })}\n`);
    assert.deepEqual(Object.keys(assertDone(viaStdin, "exchange")), ["secret", "expires_at", "expires_in"]);

    const deployed = await run("deploy-schema", ["--with-users", "--json"], env);
    assert.deepEqual(assertDone(deployed, "deploy-schema").changed, false);
    const text = await run("deploy-schema", ["--with-users"], env);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /Schema up to date: nothing changed\./);

    // Not on a terminal (a pipe, here): one JSON summary line.
    const cleaned = assertDone(await run("delete-expired-tokens", [], env), "delete-expired-tokens");
    assert.equal(cleaned.event, "delete-expired-tokens");
    assert.equal(cleaned.stoppedBy, "done");

    const secret = issued.secret as string;
    forbidden.push(secret, (JSON.parse(viaStdin.stdout) as { secret: string }).secret);
    const one = await run("revoke", ["--secret", "-", "--json"], env, `${secret}\n`);
    assert.deepEqual(assertDone(one, "revoke"), { revoked: 1, ledgerEntriesDeleted: 1 });
    const rest = await run("revoke", ["--sub", "auth0|cli"], env);
    assert.deepEqual(assertDone(rest, "revoke"), { revoked: 1, ledgerEntriesDeleted: 1, workRemaining: false });
    for (const r of [deployed, one, rest]) assertNoSecrets(r);
    assert.ok(!exchanged.stdout.includes(jwt) && !exchanged.stderr.includes(jwt));
  });

  test("1: the job failed, or found a conflict", async (t) => {
    const expired = s.issuer.mint({ sub: "auth0|cli", exp: Math.floor(Date.now() / 1000) - 3600 });
    assertFailed(await run("exchange", [expired, "--json"], env), "exchange", 1, "ERR_JWT_EXPIRED", /The token has expired/);
    const stranger = await run("exchange", ["-", "--json"], env, s.issuer.mint({ sub: "auth0|stranger" }));
    assertFailed(stranger, "exchange", 1, "ERR_UNKNOWN_USER");

    // FAUNA_USERS_INDEX pointing at an index of another shape: reported, nothing changed.
    const conflict = await run("deploy-schema", ["--with-users", "--json"], { ...env, FAUNA_USERS_INDEX: LEDGER_BY_USER_INDEX });
    const out = assertFailed(conflict, "deploy-schema", 1, "ERR_SCHEMA_CONFLICT", /index auth0_token_exchanges_by_user already exists with a different definition; nothing was changed/);
    assert.ok(((out.error as { differences: string[] }).differences).length > 0);
    assert.match(conflict.stderr, /^ {2}\S/m, "the differences, one per line");

    const nobody = await run("revoke", ["--sub", "auth0|nobody", "--json"], env);
    assertFailed(nobody, "revoke", 1, "ERR_UNKNOWN_USER", /no user has the subject "auth0\|nobody" in the index users_by_auth0_id: nothing was revoked/);
    // CREATE_MISSING_USERS on: an exchange could still create that user, so revoke creates it
    // to hold the sign-out (done: nothing to revoke), and a JWT issued before is refused.
    const creating = { ...env, CREATE_MISSING_USERS: "true" };
    const signedOut = await run("revoke", ["--sub", "auth0|nobody", "--json"], creating);
    assert.deepEqual(assertDone(signedOut, "revoke"), { revoked: 0, ledgerEntriesDeleted: 0, workRemaining: false, userCreated: true });
    assertFailed(await run("exchange", ["-", "--json"], creating, s.issuer.mint({ sub: "auth0|nobody" })), "exchange", 1, "ERR_JWT_SIGNED_OUT");
    const unknown = await run("revoke", ["--secret", "-", "--json"], env, "fnEnobodyeverissuedthissecret00");
    const o = assertFailed(unknown, "revoke", 1, "ERR_TOKEN_NOT_FOUND");
    assert.equal(o.revoked, 0, "the counts beside the error");
    assert.ok(!unknown.stderr.includes("fnEnobody") && !unknown.stdout.includes("fnEnobody"), "the secret is never echoed");

    // FaunaDB answering an error the cleanup cannot explain (injected: only the emulator can).
    const emu = emulatorOnly(t, s.target, "injected faults");
    if (emu) {
      emu.faults.failQueries({ status: 400, code: "invalid argument", description: "injected" });
      try {
        const failed = await run("delete-expired-tokens", ["--json"], env);
        const summary = assertFailed(failed, "delete-expired-tokens", 1, "ERR_DATABASE", /FaunaDB answered an error this command cannot explain \(invalid argument\)/);
        assert.equal(summary.stoppedBy, "error", "the summary beside the error");
        assert.equal(summary.workRemaining, true);
      } finally {
        emu.faults.clear();
      }
    }
  });

  test("2: usage or configuration", async () => {
    for (const command of COMMANDS) {
      const args = command === "exchange" ? ["x.y.z"] : command === "revoke" ? ["--sub", "auth0|cli"] : [];
      assertFailed(await run(command, [...args, "--json"], {}), command, 2, "ERR_MISCONFIGURED", /FAUNA_ENDPOINT is missing/);
      assertFailed(await run(command, [...args, "--nope", "--json"], env), command, 2, "ERR_USAGE", /unknown option --nope/);
    }
    // Without --json: the same line on stderr, a pointer to --help, nothing on stdout.
    const plain = await run("revoke", [], env);
    assert.equal(plain.code, 2);
    assert.equal(plain.stdout, "");
    assert.equal(plain.stderr, "revoke: ERR_USAGE: give exactly one of --sub, --secret and --token\nRun `npm run revoke -- --help` for usage.\n");
    // The secret only ever comes from stdin.
    assertFailed(await run("revoke", ["--secret", userSecret, "--json"], env), "revoke", 2, "ERR_USAGE", /--secret takes only "-"/);
    assertFailed(await run("exchange", ["-", "--metadata", "nope", "--json"], env, "x"), "exchange", 2, "ERR_USAGE", /--metadata must be a JSON object/);
    assertFailed(await run("delete-expired-tokens", ["--page-size", "0", "--json"], env), "delete-expired-tokens", 2, "ERR_USAGE", /--page-size must be a positive integer/);
    // Over FaunaDB's per-transaction limits (lib/core/ledger/limits.ts): the flag, or the variable.
    assertFailed(await run("delete-expired-tokens", ["--page-size", "10001", "--json"], env), "delete-expired-tokens", 2, "ERR_USAGE", /--page-size must be at most 10000, got 10001: a page is deleted in one FaunaDB transaction/);
    assertFailed(await run("delete-expired-tokens", ["--json"], { ...env, CLEANUP_PAGE_SIZE: "50000" }), "delete-expired-tokens", 2, "ERR_MISCONFIGURED", /CLEANUP_PAGE_SIZE must be at most 10000, got 50000/);
    assertFailed(await run("deploy-schema", ["--json"], { ...env, FAUNA_USERS_INDEX: "users by id" }), "deploy-schema", 2, "ERR_MISCONFIGURED", /FAUNA_USERS_INDEX/);
    // A users index that does not exist is named, with its variable.
    const missing = await run("revoke", ["--sub", "auth0|cli", "--json"], { ...env, FAUNA_USERS_INDEX: "nope" });
    assertFailed(missing, "revoke", 2, "ERR_MISCONFIGURED", /index 'nope' \(FAUNA_USERS_INDEX\) does not exist/);
  });

  test("3: FaunaDB or the identity provider unreachable", async () => {
    const port = await closedPort();
    const down = { ...env, FAUNA_ENDPOINT: `http://127.0.0.1:${port}` };
    const where = new RegExp(`FaunaDB at 127\\.0\\.0\\.1:${port} could not be reached \\(ECONNREFUSED\\)`);
    assertFailed(await run("exchange", [s.issuer.mint({ sub: "auth0|cli" }), "--json"], down), "exchange", 3, "ERR_DATABASE_UNAVAILABLE", where);
    assertFailed(await run("deploy-schema", ["--json"], down), "deploy-schema", 3, "ERR_DATABASE_UNAVAILABLE", where);
    assertFailed(await run("delete-expired-tokens", ["--json"], down), "delete-expired-tokens", 3, "ERR_DATABASE_UNAVAILABLE", where);
    assertFailed(await run("revoke", ["--sub", "auth0|cli", "--json"], down), "revoke", 3, "ERR_DATABASE_UNAVAILABLE", where);
    const idpDown = { ...env, AUTH0_JWKS_URI: `http://127.0.0.1:${port}/.well-known/jwks.json` };
    assertFailed(await run("exchange", [s.issuer.mint({ sub: "auth0|cli" }), "--json"], idpDown), "exchange", 3, "ERR_IDP_UNAVAILABLE", /\(ECONNREFUSED\)/);
  });

  test("4: FaunaDB refuses FAUNA_SECRET, or it lacks a permission the command needs", async () => {
    const wrong = { ...env, FAUNA_SECRET: "fnAEnotakeyofthisdatabase000000" };
    const refused = /refused FAUNA_SECRET \(401\)/;
    assertFailed(await run("exchange", [s.issuer.mint({ sub: "auth0|cli" }), "--json"], wrong), "exchange", 4, "ERR_FAUNA_SECRET_REFUSED", refused);
    assertFailed(await run("deploy-schema", ["--json"], wrong), "deploy-schema", 4, "ERR_FAUNA_SECRET_REFUSED", refused);
    assertFailed(await run("delete-expired-tokens", ["--json"], wrong), "delete-expired-tokens", 4, "ERR_FAUNA_SECRET_REFUSED", refused);
    assertFailed(await run("revoke", ["--sub", "auth0|cli", "--json"], wrong), "revoke", 4, "ERR_FAUNA_SECRET_REFUSED", refused);

    // A user's secret names what deploy-schema needs, not what the exchange needs.
    const asUser = await run("deploy-schema", ["--json"], { ...env, FAUNA_SECRET: userSecret });
    assertFailed(asUser, "deploy-schema", 4, "ERR_FAUNA_SECRET_REFUSED", /FAUNA_SECRET lacks a permission deploy-schema needs \(use an admin or a server key\)/);
    const role = await run("deploy-schema", ["--with-users", "--with-user-role", "--json"], env);
    assertFailed(role, "deploy-schema", 4, "ERR_FAUNA_SECRET_REFUSED", /--with-user-role creates a role, which needs an admin key/);
    assertNoSecrets(asUser);
    assert.equal(await s.admin.query(q.Exists(q.Role("user_self"))), false, "nothing was created");
  });
});

describe("--env-from", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "fte-env-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("is read only when asked, and its variables win over the environment's", async () => {
    const file = join(dir, ".env.local");
    await writeFile(file, `# written by a test\nFAUNA_ENDPOINT=${env.FAUNA_ENDPOINT}\nFAUNA_SECRET=${env.FAUNA_SECRET}\n`);
    const port = await closedPort();
    // A shell still holding another deployment's endpoint: the file wins.
    const r = await run("deploy-schema", ["--env-from", file, "--json"], { FAUNA_ENDPOINT: `http://127.0.0.1:${port}` });
    assert.equal(assertDone(r, "deploy-schema").changed, false);
    assertFailed(await run("deploy-schema", ["--json"], {}), "deploy-schema", 2, "ERR_MISCONFIGURED");
    assertFailed(await run("deploy-schema", ["--env-from", join(dir, "absent"), "--json"], env), "deploy-schema", 2, "ERR_ENV_FILE", /no such file/);
  });
});

describe("delete-expired-tokens on a terminal", () => {
  test("shows pages, entries deleted and a rate, then a sentence; a pipe gets one JSON line", async (t) => {
    const emu = emulatorOnly(t, s.target, "clock");
    if (!emu) return;
    for (let i = 0; i < 9; i++) await call(s.url, bearer(s.issuer.mint({ sub: "auth0|other", expiresIn: 60 })));
    emu.clock.advance(5 * 60_000);
    // util-linux's script(1) runs the command on a pseudo-terminal, as a person would.
    const command = `${process.execPath} --import tsx scripts/delete-expired-tokens.ts --page-size 4`;
    const r = await new Promise<Ran>((done, fail) => {
      const child = spawn("script", ["-qefc", command, "/dev/null"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env, TERM: "dumb" } });
      let stdout = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.on("error", fail);
      child.on("close", (code) => done({ code, stdout, stderr: "" }));
      child.stdin.end();
    });
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /page 1: 4 entries deleted \(0 tokens\), [\d,]+ entries\/s/);
    assert.match(r.stdout, /page 3: 9 entries deleted/);
    assert.match(r.stdout, /Deleted 9 expired ledger entries and 0 tokens \(9 already gone by their ttl\) in 3 page\(s\), [\d.]+ s, [\d,]+ entries\/s\.\r?\nNothing expired is left\./);
    assert.ok(!r.stdout.includes("{"), "no JSON on a terminal");

    const piped = await run("delete-expired-tokens", ["--dry-run"], env);
    assert.equal(piped.code, 0);
    assert.equal(piped.stderr, "", "no progress when nobody watches");
    assert.equal(JSON.parse(piped.stdout).expiredEntries, 0);
    assert.equal(piped.stdout.trim().split("\n").length, 1);
  });
});
