/**
 * lib/README.md's layer table, enforced on lib/ itself: every file in exactly one layer,
 * no import (type-only ones included) running up the table, no circle, no file over 350
 * lines. Then the checker is shown a made-up folder with one of each mistake, so a
 * checker that saw nothing could not pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkFolder, checkLayers, importCycles, parseLayerTable, relativeImports } from "./support/layers.ts";

const LIB = fileURLToPath(new URL("../lib/", import.meta.url));
const MAX_LINES = 350;
const { layers, findings } = checkFolder(LIB, "Layers", MAX_LINES);

test("lib/README.md's table: distinct ranks in order, every path owning a file", () => {
  const ranks = layers.map((l) => l.rank);
  assert.ok(ranks.length >= 3, "the table has rows");
  assert.deepEqual(ranks, [...new Set(ranks)].sort((a, b) => a - b));
  assert.deepEqual(findings.stale, [], "table paths that own no file");
});

test("every file of lib/ is in exactly one layer", () => {
  assert.deepEqual(findings.unplaced, []);
});

test("every relative import of lib/ names a file of lib/", () => {
  assert.deepEqual(findings.dangling, []);
});

test("no import of lib/ runs up the layers", () => {
  assert.deepEqual(findings.upward, []);
});

test("no files of lib/ import each other in a circle", () => {
  assert.deepEqual(findings.cycles, []);
});

test(`no file of lib/ is over ${MAX_LINES} lines`, () => {
  assert.deepEqual(findings.long, []);
});

test("the checker finds each kind of mistake in a made-up folder", () => {
  const table = parseLayerTable(
    ["# x", "## Layers", "| # | layer | where | what |", "|---|---|---|---|", "| 1 | low | `low/` | |", "| 2 | high | `high.ts`, `gone.ts` | |", "## Next", "| 3 | not a row | `x.ts` | |"].join("\n"),
    "Layers",
  );
  assert.deepEqual(table, [
    { rank: 1, name: "low", owns: ["low/"] },
    { rank: 2, name: "high", owns: ["high.ts", "gone.ts"] },
  ]);
  const files = new Map([
    // A type-only import up the table still counts; a commented-out one does not.
    ["low/a.ts", 'import type { H } from "../high.ts";\n// import "./nowhere.ts"\nexport { b } from "./b.ts";\n'],
    ["low/b.ts", 'import { a } from "./a.ts";\nexport const b = 1;\n'],
    ["high.ts", 'import { a } from "./low/a.ts";\nimport "./low/missing.ts";\nconst m = await import("./low/b.ts");\n'],
    ["stray.ts", "x\n".repeat(4)],
  ]);
  assert.deepEqual(relativeImports("high.ts", files.get("high.ts")!), ["low/a.ts", "low/missing.ts", "low/b.ts"]);
  assert.deepEqual(checkLayers(table, files, 3), {
    unplaced: ["stray.ts: in no layer"],
    stale: ["high: gone.ts"],
    dangling: ["high.ts -> low/missing.ts"],
    upward: ["low/a.ts (1 low) -> high.ts (2 high)"],
    cycles: ["high.ts -> low/a.ts -> high.ts", "low/a.ts -> low/b.ts -> low/a.ts"],
    long: ["stray.ts: 4 lines"],
  });
  assert.deepEqual(importCycles(new Map([["s", ["s"]]])), [["s"]], "a file importing itself");
});
