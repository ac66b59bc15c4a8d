/**
 * The README's layer table, enforced: every source file sits in exactly one layer, no
 * import (type-only ones included) runs up the table, no files import each other in
 * a circle, and no source file grows past 500 lines. The imports are read with TypeScript's own pre-processor, which sees through
 * comments and strings; nothing is run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../", import.meta.url));
const rel = (abs: string): string => relative(root, abs).split(sep).join("/");

interface Layer {
  rank: number;
  name: string;
  /** Package-relative paths; a trailing `/` names a folder and everything under it. */
  paths: string[];
}

/** The rows of the "## Layers" table: `| # | layer | where | … |`, paths in backticks. */
function readLayers(): Layer[] {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Layers"));
  assert.ok(section, "README.md has no '## Layers' section");
  const layers: Layer[] = [];
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 5 || !/^\d+$/.test(cells[1]!)) continue;
    const paths = [...cells[3]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    layers.push({ rank: Number(cells[1]), name: cells[2]!, paths });
  }
  assert.ok(layers.length > 0, "the Layers table has no rows");
  return layers;
}

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts")) out.push(rel(p));
    }
  };
  walk(join(root, "src"));
  for (const entry of ["index.ts", "testing.ts", "cli.ts"]) out.push(entry);
  return out.sort();
}

/** Package-relative targets of a file's relative imports and re-exports. */
function importsOf(file: string, text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => posix.normalize(posix.join(posix.dirname(file), spec)));
}

/** Files that import each other in a loop (strongly connected components larger than one, or a self-import). */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const layers = readLayers();
const files = sourceFiles();
const graph = new Map(files.map((f) => [f, importsOf(f, readFileSync(join(root, f), "utf8"))]));

function layerOf(file: string): Layer[] {
  return layers.filter((l) => l.paths.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p)));
}

test("every source file is in exactly one layer, and every layer names files that exist", () => {
  const homeless = files.filter((f) => layerOf(f).length === 0);
  const twice = files.filter((f) => layerOf(f).length > 1);
  assert.deepEqual(homeless, [], "files in no layer of the README's table");
  assert.deepEqual(twice, [], "files in more than one layer");
  const stale = layers.flatMap((l) => l.paths.filter((p) => !files.some((f) => (p.endsWith("/") ? f.startsWith(p) : f === p))));
  assert.deepEqual(stale, [], "table paths that name no file");
  const ranks = layers.map((l) => l.rank);
  assert.deepEqual(ranks, [...new Set(ranks)].sort((a, b) => a - b), "layer numbers must be distinct and ascending");
});

test("every relative import names a file of the package", () => {
  const missing = [...graph].flatMap(([f, targets]) => targets.filter((t) => !graph.has(t)).map((t) => `${f} -> ${t}`));
  assert.deepEqual(missing, []);
});

test("no import runs up the layers", () => {
  const upward: string[] = [];
  for (const [from, targets] of graph) {
    const a = layerOf(from)[0]!;
    for (const to of targets) {
      const b = layerOf(to)[0];
      if (b && b.rank > a.rank) upward.push(`${from} (${a.rank} ${a.name}) -> ${to} (${b.rank} ${b.name})`);
    }
  }
  assert.deepEqual(upward, [], "imports from a lower layer to a higher one");
});

test("no files import each other in a circle", () => {
  assert.deepEqual(circles(graph), [], "import circles");
});

test("no source file is over 500 lines", () => {
  const long = files
    .map((f) => ({ f, lines: readFileSync(join(root, f), "utf8").split("\n").length - 1 }))
    .filter(({ lines }) => lines > 500)
    .map(({ f, lines }) => `${f}: ${lines} lines`);
  assert.deepEqual(long, []);
});

test("the checks themselves catch what they look for", () => {
  // A scanner that saw nothing would pass everything: prove it reads real imports.
  assert.ok(graph.get("src/engine.ts")!.includes("src/eval/evaluate.ts"));
  assert.deepEqual(importsOf("src/a/b.ts", 'import type { X } from "../c.ts";\n// import "./not-this.ts"\nexport { y } from "./d.ts";'), ["src/c.ts", "src/a/d.ts"]);
  const loop = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a"]],
    ["d", ["a"]],
  ]);
  assert.deepEqual(circles(loop), [["a", "b", "c"]]);
  assert.deepEqual(circles(new Map([["a", ["a"]]])), [["a"]]);
});
