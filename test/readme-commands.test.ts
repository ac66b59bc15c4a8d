/**
 * The manual's commands, run as written, so the manual cannot drift from what the code
 * does (issue 9, "README matches behaviour"). The manual is README.md and every page of
 * docs/ (test/support/manual.ts): the README first, then the pages by name.
 *
 * - Every ```sh block runs, in that order, in bash (`set -e -o pipefail`) against
 *   `npm start` on free ports, unless the line before it says why it cannot run here:
 *       <!-- not run by test/readme-commands.test.ts: <reason> -->
 *   (a deployed site, a FaunaDB of one's own, a server that runs until Ctrl-C). The
 *   marker is in the page itself, so skipping a block is a reviewed change of the
 *   page, and this test prints every skipped block with its reason. A marker before
 *   anything but a ```sh block is an error: it would skip nothing, silently.
 * - A block runs with what the manual says it assumes: the variables `npm start` printed
 *   (as a reader who exported them), `$JWT` a freshly minted JWT, the default ports and
 *   `https://example.netlify.app` standing for the running stack, `.env.local` for the
 *   file it wrote.
 * - What a block shows as its output must be what it prints: a comment line right after a
 *   command (`# {"secret":…}`) or a ```json block after it in the same section. A JSON
 *   object must come out with the same keys; a text line must appear as it is. No JSON
 *   printed by a block may be an error.
 * - Every `--help` the manual points to prints its usage and exits 0 without doing
 *   anything else, and the five commands' exit-code table is the manual's
 *   (docs/command-line.md).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { manualPages } from "./support/manual.ts";
import { startNpmStart, type NpmStart } from "./support/npm-start.ts";

const ROOT = resolve(import.meta.dirname, "..");
const MARKER = /^<!-- not run by test\/readme-commands\.test\.ts: (.+) -->$/;

interface Block {
  /** The page, from the repository's root. */
  page: string;
  /** 1-based line of the opening fence. */
  line: number;
  section: string;
  code: string;
  skip?: string;
  /** A ```json block documenting this block's output (same section, no other block between). */
  shownJson?: string;
}

function shellBlocks(page: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  let section = "";
  let last: Block | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^#{1,6} /.test(l)) {
      section = l.replace(/^#+ /, "");
      last = undefined;
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(l);
    if (!fence) continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `${page}:${i + 1}: unclosed code block`);
    const code = lines.slice(i + 1, end).join("\n");
    if (fence[1] === "sh") {
      let p = i - 1;
      while (p >= 0 && lines[p]!.trim() === "") p--;
      const marker = MARKER.exec(lines[p] ?? "");
      last = { page, line: i + 1, section, code, ...(marker ? { skip: marker[1]! } : {}) };
      blocks.push(last);
    } else if (fence[1] === "json" && last && last.shownJson === undefined) {
      last.shownJson = code;
      last = undefined;
    } else {
      last = undefined;
    }
    i = end;
  }
  return blocks;
}

/** Markers that do not stand right before a ```sh block: each would skip nothing. */
function strayMarkers(page: string, text: string): string[] {
  const lines = text.split("\n");
  const stray: string[] = [];
  lines.forEach((l, i) => {
    if (!l.includes("not run by test/readme-commands.test.ts")) return;
    if (!MARKER.test(l)) return void stray.push(`${page}:${i + 1}: not a marker line: ${l}`);
    let n = i + 1;
    while (n < lines.length && lines[n]!.trim() === "") n++;
    if (lines[n] !== "```sh") stray.push(`${page}:${i + 1}: the marker is not followed by a sh block`);
  });
  return stray;
}

/** The output a block documents: comment lines right after a command line, and its ```json block. */
function documented(block: Block): { json: Record<string, unknown>[]; text: string[] } {
  const json: Record<string, unknown>[] = [];
  const text: string[] = [];
  const lines = block.code.split("\n");
  let afterCommand = false;
  for (const l of lines) {
    const comment = /^# ?(.*)$/.exec(l);
    if (!comment) {
      afterCommand = l.trim() !== "";
      continue;
    }
    if (!afterCommand) continue;
    const shown = comment[1]!;
    if (shown.startsWith("{")) json.push(JSON.parse(shown) as Record<string, unknown>);
    else if (shown.trim() !== "…") text.push(shown);
  }
  if (block.shownJson) json.push(JSON.parse(block.shownJson) as Record<string, unknown>);
  return { json, text };
}

const keys = (o: Record<string, unknown>) => Object.keys(o).sort().join(",");

/**
 * The JSON objects in a block's output, each starting a line or right after another one:
 * curl prints a body without a newline, so the next command's output follows on its line.
 */
function jsonObjects(out: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  let i = 0;
  while (i < out.length) {
    if (out[i] !== "{" || (i > 0 && out[i - 1] !== "\n" && out[i - 1] !== "}")) {
      i++;
      continue;
    }
    let depth = 0;
    let inString = false;
    let end = -1;
    for (let j = i; j < out.length; j++) {
      const c = out[j];
      if (inString) {
        if (c === "\\") j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) {
        end = j;
        break;
      }
    }
    if (end < 0) break;
    found.push(JSON.parse(out.slice(i, end + 1)) as Record<string, unknown>);
    i = end + 1;
  }
  return found;
}

/**
 * Runs a script in a process group of its own; one that outlives `timeoutMs` is killed with
 * everything it started (a block that starts a server must fail the test, not hang it).
 */
function bash(script: string, env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn("bash", ["-e", "-o", "pipefail", "-c", script], { cwd: ROOT, env, detached: true });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

let app: NpmStart;
let stackEnv: Record<string, string>;
before(async () => {
  app = await startNpmStart();
  stackEnv = parseEnv(await readFile(app.envFile, "utf8")) as Record<string, string>;
});
after(async () => {
  await app?.stop();
});

describe("the manual's shell blocks (README.md and docs/)", () => {
  test("each one runs as written against npm start, or says why it cannot", async (t) => {
    const pages = manualPages();
    assert.ok(pages.length >= 10, `the manual has ${pages.length} pages`);
    assert.deepEqual(pages.flatMap((p) => strayMarkers(p.path, p.text)), [], "every not-run marker skips a sh block");
    const blocks = pages.flatMap((p) => shellBlocks(p.path, p.text));
    assert.ok(blocks.length >= 20, `found ${blocks.length} shell blocks`);
    const server = new URL(app.urls.tokenEndpoint).origin;
    const issuer = new URL(app.urls.mint).origin;
    const emulator = new URL(app.urls.emulator).origin;
    const ranIn = new Map<string, number>();
    let ran = 0;
    let signedOut = false;
    for (const block of blocks) {
      const where = `${block.page}:${block.line} (${block.section})`;
      if (block.skip) {
        t.diagnostic(`not run: ${where}: ${block.skip}`);
        continue;
      }
      const script = block.code
        .replaceAll("http://127.0.0.1:8888", server)
        .replaceAll("https://example.netlify.app", server)
        .replaceAll("http://127.0.0.1:8890", issuer)
        .replaceAll("http://127.0.0.1:8443", emulator)
        .replaceAll(".env.local", app.envFile);
      // A JWT issued in the very second of a sign-out is refused (`iat` has whole seconds):
      // as a reader typing the next block would, mint the next one in the second after.
      if (signedOut) await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
      signedOut = /npm run revoke -- .*--sub|-X DELETE/.test(block.code);
      const jwt = await (await fetch(`${app.urls.mint}`)).text();
      const r = await bash(script, { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...stackEnv, JWT: jwt });
      assert.equal(r.code, 0, `${where} exited ${r.code}:\n${script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      const printed = jsonObjects(r.stdout);
      for (const o of printed) assert.equal(o.error, undefined, `${where} printed an error: ${JSON.stringify(o)}`);
      const shown = documented(block);
      for (const d of shown.json) {
        assert.ok(
          printed.some((o) => keys(o) === keys(d)),
          `${where} shows ${JSON.stringify(d)}, but printed:\n${printed.map((o) => JSON.stringify(o)).join("\n")}`,
        );
      }
      for (const line of shown.text) assert.ok(r.stdout.includes(line), `${where} shows "${line}", but printed:\n${r.stdout}`);
      ran++;
      ranIn.set(block.page, (ranIn.get(block.page) ?? 0) + 1);
    }
    t.diagnostic(`ran ${ran} of ${blocks.length} shell blocks (${[...ranIn].map(([page, n]) => `${page}: ${n}`).join(", ")})`);
    // As many as ran before the manual moved to docs/ (9): none may silently stop running.
    assert.ok(ran >= 9, `only ${ran} blocks ran`);
  });
});

describe("every --help the manual points to", () => {
  /** Scripts that take --help, and the line their help starts with; those the manual names are run. */
  const HELPS: Record<string, RegExp> = {
    exchange: /^Usage: npm run exchange/,
    "deploy-schema": /^Usage: npm run deploy-schema/,
    "delete-expired-tokens": /^Usage: npm run delete-expired-tokens/,
    revoke: /^Usage: npm run revoke/,
    serve: /^Usage: npm run serve/,
    emulator: /^Usage: npm run emulator/,
    bench: /^Usage: npm run bench:cleanup/,
    "bench:cleanup": /^Usage: npm run bench:cleanup/,
    "bench:emulator": /^Usage: npm run bench:emulator/,
    "bench:exchange": /^Usage: npm run bench:exchange/,
    "bench:reads": /^Usage: npm run bench:reads/,
    "bench:faults": /^Usage: npm run bench:faults/,
    "bench:cold": /^Usage: npm run bench:cold/,
    "bench:cluster": /^Usage: npm run bench:cluster/,
    doctor: /^Usage: npm run doctor/,
  };
  /** What the manual must keep naming: the commands and the other entry points of this issue. */
  const MUST_NAME = ["exchange", "deploy-schema", "delete-expired-tokens", "revoke", "doctor", "serve", "emulator", "bench", "bench:cleanup"];

  function namedInManual(): Set<string> {
    return new Set(manualPages().flatMap((p) => [...p.text.matchAll(/npm run ([a-z][a-z:-]*)/g)].map((m) => m[1]!)));
  }

  test("each npm run script the manual names exists", async () => {
    const scripts = (JSON.parse(await readFile(resolve(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
    const named = namedInManual();
    for (const name of named) assert.ok(name in scripts, `the manual names npm run ${name}, which package.json does not have`);
    for (const name of MUST_NAME) assert.ok(named.has(name), `the manual does not mention npm run ${name}`);
  });

  test("prints its usage and exits 0, doing nothing else; the five commands end with the manual's exit-code table", async () => {
    const tables = manualPages().flatMap((p) => {
      const m = /\| exit \| meaning \|\n\|---\|---\|\n((?:\| \d \| .+ \|\n)+)/.exec(p.text);
      return m ? [{ page: p.path, table: m }] : [];
    });
    assert.deepEqual(tables.map((x) => x.page), ["docs/command-line.md"], "one page has the exit-code table");
    const table = tables[0]!.table;
    const rows = table[1]!.trim().split("\n").map((row) => /^\| (\d) \| (.+) \|$/.exec(row)!.slice(1) as [string, string]);
    assert.deepEqual(rows.map(([code]) => code), ["0", "1", "2", "3", "4", "5"]);
    const named = namedInManual();
    for (const [name, usage] of Object.entries(HELPS)) {
      if (!named.has(name)) continue;
      // A help that starts the benchmark instead would run for minutes: killed after 30 s.
      const r = await bash(`npm run -s ${name} -- --help`, { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" }, 30_000);
      assert.equal(r.code, 0, `${name} --help: ${r.stderr}`);
      assert.match(r.stdout, usage, name);
      assert.equal(r.stderr, "", `${name} --help wrote to stderr`);
      assert.ok(!/benchmark finished|tokens \+ ledger documents/.test(r.stdout), `${name} --help ran the benchmark`);
      if (["exchange", "deploy-schema", "delete-expired-tokens", "revoke", "doctor"].includes(name)) {
        for (const [code, meaning] of rows) assert.ok(r.stdout.includes(`\n  ${code}  ${meaning}\n`) || r.stdout.endsWith(`\n  ${code}  ${meaning}\n`), `${name} --help: exit ${code} ${meaning}`);
      }
    }
  });
});
