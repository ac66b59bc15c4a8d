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

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/fql4-emulator.js", ...args], { cwd: packageRoot, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.stderr!.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("cli mistakes: one line, never a stack trace", () => {
  test("a port already in use says so in one line (exit 1)", async () => {
    const { child, port } = await startCli(["--port", "0"]);
    try {
      const r = await runCli(["--port", String(port)]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `fql4-emulator: 127.0.0.1:${port} is already in use; pick another port with --port (0 picks a free one)\n`);
      assert.equal(r.stdout, "");
    } finally {
      child.kill("SIGTERM");
    }
  });

  test("an unknown option or a bad port gives the problem and the usage line (exit 2)", async () => {
    const unknown = await runCli(["--prot", "8443"]);
    assert.equal(unknown.code, 2);
    assert.equal(
      unknown.stderr,
      "fql4-emulator: unknown option --prot\nUsage: npm run emulator -- [--port 8443] [--host 127.0.0.1] [--secret secret]   (--port 0 picks a free port)\n" +
        "         [--profile default|cluster] [--commit-delay-ms 20] [--auth-cache-ms 60000] [--index-build-rate 400]   (the last three: cluster only)\n",
    );
    const bad = await runCli(["--port", "http"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^fql4-emulator: --port must be an integer from 0 to 65535, got http\nUsage: /);
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm run emulator/);
  });

  test("cluster options without --profile cluster, a bad profile or a bad value: the problem and the usage (exit 2)", async () => {
    for (const [args, message] of [
      [["--auth-cache-ms", "1000"], "--auth-cache-ms applies to --profile cluster only"],
      [["--profile", "clustr"], "--profile must be default or cluster, got clustr"],
      [["--profile", "cluster", "--commit-delay-ms", "soon"], "--commit-delay-ms must be a number, got soon"],
      [["--profile", "cluster", "--index-build-rate", "0"], "--index-build-rate must be a number above 0, got 0"],
    ] as const) {
      const r = await runCli([...args]);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr, new RegExp(`^fql4-emulator: ${message.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}\nUsage: `));
    }
  });
});

describe("cli --profile cluster", () => {
  test("prints the profile's settings, and a write waits for its commit delay", async () => {
    const { child, port, output } = await startCli(["--port", "0", "--profile", "cluster", "--commit-delay-ms", "150", "--auth-cache-ms", "1000"]);
    const client = new faunadb.Client({ secret: "secret", endpoint: `http://127.0.0.1:${port}`, checkNewVersion: false });
    try {
      await new Promise((r) => setTimeout(r, 50));
      assert.match(output(), /; profile cluster \(commit delay 150 ms, auth cache 1000 ms, index builds 400 documents\/s\)\n$/);
      const started = performance.now();
      await client.query(q.CreateCollection({ name: "c" }));
      assert.ok(performance.now() - started >= 150, "the write answered once it committed, 150 ms later");
    } finally {
      await client.close();
      child.kill("SIGTERM");
    }
  });
});
