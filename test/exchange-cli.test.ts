/** `npm run exchange`: the same exchange from a shell, with CI-friendly exit codes. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { startStack, type Stack } from "./support/stack.ts";

let s: Stack;
before(async () => {
  s = await startStack({ users: ["auth0|cli"] });
});
after(() => s.close());

function run(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/exchange.ts", ...args], {
      env: {
        PATH: process.env.PATH ?? "",
        FAUNA_ENDPOINT: s.target.endpoint,
        FAUNA_SECRET: s.target.serverSecret,
        AUTH0_ISSUER: s.issuer.issuer,
        AUTH0_AUDIENCE: s.issuer.audience,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

test("prints a secret for a good JWT (argument or stdin), with metadata", async () => {
  const r = await run([s.issuer.mint({ sub: "auth0|cli" }), "--metadata", '{"via":"cli"}']);
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { secret: string; expires_at: string; expires_in: number };
  assert.equal(typeof body.secret, "string");
  assert.ok(body.expires_in > 3500);
  const viaStdin = await run(["-"], s.issuer.mint({ sub: "auth0|cli" }));
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  assert.equal((await s.counts()).ledger, 2);
});

test("exit codes: 1 refused, 2 usage, 0 help", async () => {
  const jwt = s.issuer.mint({ sub: "auth0|cli", aud: "other" });
  const refused = await run(["-"], jwt);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ERR_JWT_AUDIENCE_INVALID/);
  assert.ok(!refused.stderr.includes(jwt));
  assert.equal((await run(["-"], s.issuer.mint({ sub: "auth0|nobody" }))).code, 1);
  assert.equal((await run([])).code, 2);
  assert.equal((await run(["a", "--metadata", "nope"])).code, 2);
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: npm run exchange/);
  assert.match(help.stdout, /echo "\$JWT" \| npm run exchange -- -/);
});

/** The one error line (and, with --json, the error object) of a refused exchange. */
async function refusal(jwt: string): Promise<{ line: string; error: Record<string, unknown> }> {
  const r = await run(["-", "--json"], jwt);
  assert.equal(r.code, 1, r.stderr);
  assert.ok(!r.stderr.includes(jwt) && !r.stdout.includes(jwt), "the JWT is never printed");
  return { line: r.stderr.trim(), error: (JSON.parse(r.stdout) as { error: Record<string, unknown> }).error };
}

test("the message says what the endpoint logs: audience and issuer expected vs received, the slash hint", async () => {
  const aud = await refusal(s.issuer.mint({ sub: "auth0|cli", aud: "https://other.example.com" }));
  assert.equal(
    aud.line,
    `exchange: ERR_JWT_AUDIENCE_INVALID: The token is not meant for this audience: expected ${JSON.stringify(s.issuer.audience)}, received "https://other.example.com"`,
  );
  assert.deepEqual([aud.error.expected, aud.error.received], [[s.issuer.audience], "https://other.example.com"]);

  const slash = await refusal(s.issuer.mint({ sub: "auth0|cli", aud: `${s.issuer.audience}/` }));
  assert.match(slash.line, /^exchange: ERR_JWT_AUDIENCE_INVALID: .*; the audiences differ only by the trailing slash: set AUTH0_AUDIENCE exactly as the token's aud/);
  assert.match(slash.error.hint as string, /trailing slash/);

  const iss = await refusal(s.issuer.mint({ sub: "auth0|cli", iss: s.issuer.issuer.replace(/\/$/, "") }));
  assert.match(
    iss.line,
    new RegExp(`^exchange: ERR_JWT_ISSUER_INVALID: .*expected "${s.issuer.issuer}", received "${s.issuer.issuer.replace(/\/$/, "")}"; the issuers differ only by the trailing slash .*AUTH0_ISSUER`),
  );
});

test("the message says what the endpoint logs: an unknown user, its index and CREATE_MISSING_USERS", async () => {
  const unknown = await refusal(s.issuer.mint({ sub: "auth0|nobody" }));
  assert.match(
    unknown.line,
    /^exchange: ERR_UNKNOWN_USER: No user is registered for this token's subject: no user document has this sub in the users index users_by_auth0_id; CREATE_MISSING_USERS is off, so none is created: create the user's document, or set CREATE_MISSING_USERS=true$/,
  );
  assert.equal(unknown.error.users_index, "users_by_auth0_id");
  assert.equal(unknown.error.create_missing_users, false);
  assert.equal((await s.counts()).ledger, 2, "nothing written by the refusals");
});

test("what the JWT said is quoted as it is: an invisible or bidi character in its aud is escaped on stderr and in --json", async () => {
  // U+202E reverses what follows on a terminal; U+200B hides; U+2028 breaks the line in some viewers.
  const aud = "https://evil.example.com/\u202Emoc.elpmaxe\u200B\u2028x";
  const r = await run(["-", "--json"], s.issuer.mint({ sub: "auth0|cli", aud }));
  assert.equal(r.code, 1, r.stderr);
  for (const out of [r.stderr, r.stdout]) {
    assert.doesNotMatch(out, /[\u202E\u200B\u2028]/u, "no raw invisible character reaches the terminal");
    assert.match(out, /\\u202e/);
  }
  assert.match(r.stderr.trim(), /^exchange: ERR_JWT_AUDIENCE_INVALID: .*received "https:\/\/evil\.example\.com\/\\u202emoc\.elpmaxe\\u200b\\u2028x"$/);
  // The --json object parses back to exactly what the token said.
  assert.equal((JSON.parse(r.stdout) as { error: { received: string } }).error.received, aud);
});
