/**
 * The manual: README.md, then the pages of docs/ by name. The tests that run or read its
 * examples find them here, wherever a page holds them, so moving text between pages never
 * silently stops a test from reading it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface Page {
  /** From the repository's root: `README.md`, `docs/endpoint.md`. */
  path: string;
  text: string;
}

export function manualPages(): Page[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs].map((path) => ({ path, text: readFileSync(join(ROOT, path), "utf8") }));
}

/** The first ```<lang> block after `marker`, in the one page of the manual that has the marker. */
export function markedBlock(marker: string, lang: string): { page: string; code: string } {
  const pages = manualPages().filter((p) => p.text.includes(marker));
  assert.equal(pages.length, 1, `one page of the manual has ${marker} (found: ${pages.map((p) => p.path).join(", ") || "none"})`);
  const page = pages[0]!;
  const block = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(page.text.slice(page.text.indexOf(marker)));
  assert.ok(block, `${page.path}: a ${lang} block follows ${marker}`);
  return { page: page.path, code: block[1]! };
}
