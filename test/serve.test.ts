/**
 * `npm run serve`: the function on this machine with the environment as it is (another
 * identity provider, a FaunaDB of one's own), where `npm start` overrides it. Driven as a
 * user runs it: a child process, real HTTP, Ctrl-C.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { startStack, type Stack } from "./support/stack.ts";
import { bearer, call } from "./support/http-client.ts";

const ROOT = resolve(import.meta.dirname, "..");

interface Serving {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function serve(env: Record<string, string>): Serving {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/serve.ts"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env } });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return { child, output: () => out, exited: new Promise((r) => child.on("exit", (code) => r(code))) };
}

async function ready(s: Serving): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /^Token endpoint +(\S+)/m.exec(s.output());
    if (m && s.output().includes("Ctrl-C stops.")) return m[1]!;
    if (s.child.exitCode !== null) throw new Error(`serve exited ${s.child.exitCode}:\n${s.output()}`);
    if (Date.now() > deadline) throw new Error(`serve not ready:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let stack: Stack;
let env: Record<string, string>;
const AUDIENCE = "https://api.my-own.example";
before(async () => {
  stack = await startStack({ users: ["auth0|mine"] });
  // Settings npm start would replace: an audience of one's own, unknown users refused.
  env = {
    FAUNA_ENDPOINT: stack.target.endpoint,
    FAUNA_SECRET: stack.target.serverSecret,
    AUTH0_ISSUER: stack.issuer.issuer,
    AUTH0_JWKS_URI: stack.issuer.jwksUri,
    AUTH0_AUDIENCE: AUDIENCE,
    PORT: "0",
  };
});
after(() => stack.close());

test("serves /api/token with the environment as it is, and stops on Ctrl-C", async () => {
  const s = serve(env);
  try {
    const url = await ready(s);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/api\/token$/);
    assert.match(s.output(), new RegExp(`audience ${AUDIENCE.replace(/\./g, "\\.")}`));
    assert.match(s.output(), /CREATE_MISSING_USERS false/);
    const ok = await call(url, bearer(stack.issuer.mint({ sub: "auth0|mine", aud: AUDIENCE })));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(typeof ok.body.secret, "string");
    // npm start's audience is not this one, and npm start creates unknown users; serve does neither.
    assert.equal((await call(url, bearer(stack.issuer.mint({ sub: "auth0|mine" })))).status, 401);
    assert.equal((await call(url, bearer(stack.issuer.mint({ sub: "auth0|someone", aud: AUDIENCE })))).status, 403);
    assert.ok(!s.output().includes(stack.target.serverSecret));
  } finally {
    s.child.kill("SIGINT");
  }
  assert.equal(await s.exited, 0);
});

test("a configuration mistake or a busy port stops it at once, in the commands' format (exit 2)", async () => {
  const broken = serve({ ...env, AUTH0_AUDIENCE: "" });
  assert.equal(await broken.exited, 2);
  assert.match(broken.output(), /^serve: ERR_MISCONFIGURED: AUTH0_AUDIENCE is missing/m);

  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
  try {
    const port = (busy.address() as { port: number }).port;
    const s = serve({ ...env, PORT: String(port) });
    assert.equal(await s.exited, 2);
    assert.equal(s.output().trim().split("\n").at(-1), `serve: ERR_PORT_IN_USE: port ${port} is in use; set PORT to another port (0 picks a free one)`);
  } finally {
    busy.close();
  }
});
