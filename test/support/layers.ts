/**
 * Checks a folder of TypeScript against a layer table written in Markdown: each row a
 * rank, a name and the paths it owns, in backticks (a trailing `/` owns a folder). What
 * a file imports is read by TypeScript's own pre-processor (`ts.preProcessFile`), which
 * sees type-only imports, re-exports and `import()` and skips comments and strings;
 * nothing is run. Every finding is a list of readable lines, empty when all is well.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import ts from "typescript";

export interface Layer {
  rank: number;
  name: string;
  /** Paths relative to the checked folder; `dir/` owns everything below it. */
  owns: string[];
}

export interface LayerFindings {
  /** Files no layer owns, or that two layers own. */
  unplaced: string[];
  /** Table paths that own no file (a row left behind by a move). */
  stale: string[];
  /** Relative imports that name no file of the folder (or leave it). */
  dangling: string[];
  /** `from -> to` where `to` sits in a higher layer than `from`. */
  upward: string[];
  /** Each circle as `a -> b -> … -> a`. */
  cycles: string[];
  /** Files over the line limit, with their length. */
  long: string[];
}

/** The rows of the table under the heading `## <heading>`: `| rank | name | paths | … |`. */
export function parseLayerTable(markdown: string, heading: string): Layer[] {
  const start = markdown.search(new RegExp(`^## ${heading}\\s*$`, "m"));
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const section = markdown.slice(start).split(/\n## /)[0]!;
  const rows = section
    .split("\n")
    .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()))
    .filter((cells) => cells.length >= 3 && /^\d+$/.test(cells[0]!));
  return rows.map(([rank, name, where]) => ({ rank: Number(rank), name: name!, owns: [...where!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!) }));
}

/** Every `.ts` file below `root`, as `/`-separated paths relative to it, sorted. */
export function typescriptFiles(root: string): string[] {
  const found: string[] = [];
  const visit = (rel: string): void => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith(".ts")) found.push(path);
    }
  };
  visit("");
  return found.sort();
}

/** The files a source imports or re-exports by a relative specifier, resolved against its own path. */
export function relativeImports(path: string, source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map(({ fileName }) => fileName)
    .filter((spec) => spec.startsWith("./") || spec.startsWith("../"))
    .map((spec) => posix.join(posix.dirname(path), spec.replace(/[?#].*$/, "")));
}

/**
 * Every import circle, each reported once from its smallest file. A depth-first walk:
 * meeting a file that is still on the path closes a circle made of the path's tail.
 */
export function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const walk = (file: string): void => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") {
        const loop = path.slice(path.indexOf(next));
        const first = loop.indexOf([...loop].sort()[0]!);
        const canonical = [...loop.slice(first), ...loop.slice(0, first)];
        const key = canonical.join(" -> ");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(canonical);
        }
      } else if (!state.has(next) && graph.has(next)) walk(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) walk(file);
  return cycles;
}

/** Checks `files` (path → source text) against `layers`. */
export function checkLayers(layers: readonly Layer[], files: ReadonlyMap<string, string>, maxLines: number): LayerFindings {
  const owners = (file: string) => layers.filter((l) => l.owns.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p)));
  const graph = new Map([...files].map(([path, text]) => [path, relativeImports(path, text)] as const));
  const findings: LayerFindings = { unplaced: [], stale: [], dangling: [], upward: [], cycles: [], long: [] };
  for (const [file, text] of files) {
    const mine = owners(file);
    if (mine.length !== 1) findings.unplaced.push(`${file}: in ${mine.length === 0 ? "no layer" : mine.map((l) => l.name).join(" and ")}`);
    const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    if (lines > maxLines) findings.long.push(`${file}: ${lines} lines`);
    for (const target of graph.get(file)!) {
      if (!files.has(target)) {
        findings.dangling.push(`${file} -> ${target}`);
        continue;
      }
      const [from, to] = [mine[0], owners(target)[0]];
      if (from && to && to.rank > from.rank) findings.upward.push(`${file} (${from.rank} ${from.name}) -> ${target} (${to.rank} ${to.name})`);
    }
  }
  for (const layer of layers) {
    for (const p of layer.owns) if (![...files.keys()].some((f) => (p.endsWith("/") ? f.startsWith(p) : f === p))) findings.stale.push(`${layer.name}: ${p}`);
  }
  findings.cycles = importCycles(graph).map((loop) => [...loop, loop[0]].join(" -> "));
  return findings;
}

/** The folder's table (from `<root>/README.md`) checked against the folder's own files. */
export function checkFolder(root: string, heading: string, maxLines: number): { layers: Layer[]; findings: LayerFindings } {
  const layers = parseLayerTable(readFileSync(join(root, "README.md"), "utf8"), heading);
  const files = new Map(typescriptFiles(root).map((f) => [f, readFileSync(join(root, f), "utf8")] as const));
  return { layers, findings: checkLayers(layers, files, maxLines) };
}
