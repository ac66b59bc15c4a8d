/**
 * Every error class lib/ exports says its own name in a minified bundle, where the classes
 * themselves are renamed: each names itself with a string literal, never with
 * `new.target.name` or its constructor's name (lib/core/errors/base.ts). The same check as
 * test/client-package.test.ts makes for the browser client, over the server package.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import * as lib from "../lib/index.ts";
import { ROOT } from "./support/npm-pack.ts";

type ErrorClass = new (...args: unknown[]) => Error;

function errorClasses(mod: Record<string, unknown>): [string, ErrorClass][] {
  return Object.entries(mod)
    .filter((e): e is [string, ErrorClass] => typeof e[1] === "function" && e[1].prototype instanceof Error)
    .sort(([a], [b]) => a.localeCompare(b));
}

/** The shapes lib's error constructors take; the name does not depend on them. */
const ARGUMENTS: unknown[][] = [[], [["POST"]], ["x", []], ["invalid", "x"], [1]];

function construct(C: ErrorClass): Error {
  for (const args of ARGUMENTS) {
    try {
      return new C(...args);
    } catch {
      // not this shape
    }
  }
  throw new Error(`${C.name}: none of the argument shapes constructs it; add one to ARGUMENTS`);
}

test("every exported error class keeps its name in lib bundled minified", async () => {
  const sourceClasses = errorClasses(lib as Record<string, unknown>);
  assert.ok(sourceClasses.length >= 30, `lib exports ${sourceClasses.length} error classes`);
  const bundled = await build({
    entryPoints: [join(ROOT, "lib/index.ts")],
    bundle: true,
    minify: true,
    platform: "node",
    format: "esm",
    target: "node20.19",
    // The CommonJS dependencies call require() for Node's built-ins.
    banner: { js: 'import { createRequire as __cr } from "node:module"; const require = __cr(import.meta.url);' },
    write: false,
    logLevel: "silent",
  });
  const dir = await mkdtemp(join(tmpdir(), "fte-error-names-"));
  try {
    const file = join(dir, "lib.min.mjs");
    await writeFile(file, bundled.outputFiles[0]!.text);
    const minified = errorClasses((await import(pathToFileURL(file).href)) as Record<string, unknown>);
    assert.deepEqual(
      minified.map(([name]) => name),
      sourceClasses.map(([name]) => name),
    );
    const wrong = minified.map(([exported, C]) => [exported, construct(C).name]).filter(([exported, name]) => exported !== name);
    assert.deepEqual(wrong, [], "[export, name] of each class whose instances do not say its name");
    // Proof the minifier renamed the classes: a name taken from the class would not survive.
    assert.deepEqual(
      minified.filter(([name, C]) => C.name === name).map(([name]) => name),
      [],
      "classes kept their names: the check proves nothing",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
