/** The `fql4-emulator` command (`npm run emulator`): `--port --secret`; port 0 prints the chosen port. */
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import faunadb from "faunadb";
import { q, raw, assertBody } from "./support.ts";

const packageRoot = fileURLToPath(new URL("../", import.meta.url));
const children: ChildProcess[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
});

function startCli(args: string[]): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, ["bin/fql4-emulator.js", ...args], {
    cwd: packageRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no port printed within 15 s; output: ${out}`)), 15_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /(?:https?:\/\/[^\s:/]+:|port\D{0,3})(\d{2,5})\b/i.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output: () => out });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`cli exited with ${code}; output: ${out}`));
    });
  });
}

describe("cli", () => {
  test("--port 0 --secret s: prints the chosen port; serves /ping and queries with that root secret", async () => {
    const { child, port } = await startCli(["--port", "0", "--secret", "clisecret"]);
    try {
      assert.ok(port > 0);
      const endpoint = `http://127.0.0.1:${port}`;
      assertBody(await raw(endpoint, { path: "/ping" }), 200, { resource: "Scope write is OK" });
      const client = new faunadb.Client({ secret: "clisecret", endpoint, checkNewVersion: false });
      const wrong = new faunadb.Client({ secret: "secret", endpoint, checkNewVersion: false });
      try {
        assert.equal(await client.query(q.Add(40, 2)), 42);
        await assert.rejects(wrong.query(q.Add(1, 1)), (e: unknown) => e instanceof faunadb.errors.Unauthorized);
      } finally {
        await client.close();
        await wrong.close();
      }
    } finally {
      child.kill("SIGTERM");
    }
  });
});
