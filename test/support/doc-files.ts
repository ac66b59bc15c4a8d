/**
 * The files a documentation page tells its reader to create: each is a fenced block whose
 * first line is a comment naming the file, `// netlify/functions/fauna-token.mts` (text may
 * follow a colon: `// vercel.json: merge … into yours`). Tests write these blocks as they
 * are written, so the page cannot drift from what works.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./npm-pack.ts";

export interface DocFile {
  /** The path the first line names. */
  path: string;
  /** The block, first line included, with a final newline. */
  code: string;
  /** 1-based line of its fence in the page, for messages. */
  line: number;
}

/** The named blocks of `page` (a path from the repository's root). */
export async function docFiles(page: string): Promise<DocFile[]> {
  const lines = (await readFile(join(ROOT, page), "utf8")).split("\n");
  const files: DocFile[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```\w+$/.test(lines[i]!)) continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `${page}:${i + 1}: unclosed code block`);
    const named = /^\/\/ ([\w./-]+\.\w+)(?::.*)?$/.exec(lines[i + 1] ?? "");
    if (named) files.push({ path: named[1]!, code: `${lines.slice(i + 1, end).join("\n")}\n`, line: i + 1 });
    i = end;
  }
  return files;
}
