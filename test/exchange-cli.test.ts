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
  const refused = await run([jwt]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ERR_JWT_AUDIENCE_INVALID/);
  assert.ok(!refused.stderr.includes(jwt));
  assert.equal((await run([s.issuer.mint({ sub: "auth0|nobody" })])).code, 1);
  assert.equal((await run([])).code, 2);
  assert.equal((await run(["a", "--metadata", "nope"])).code, 2);
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: npm run exchange/);
});
