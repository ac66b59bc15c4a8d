/**
 * Links in Markdown as GitHub resolves them: a relative link names a file of the repository
 * (from the page's own folder), and `#anchor` one of the target page's headings, slugged the
 * way GitHub slugs them (github-slugger: lower case, punctuation dropped, each space a hyphen,
 * a repeated heading suffixed -1, -2, …). Code (fenced blocks, code spans) holds no links.
 */
import { posix } from "node:path";

/** The project's own home: links there are checked against this checkout. */
export const REPOSITORY = "https://github.com/fauna-token-exchange/fauna-token-exchange";

/** GitHub's slug of one heading's text (before duplicates are numbered). */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // a link reads as its text
    .replace(/<[^>]+>/g, "")
    .replace(/`/g, "");
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** The page with its fenced blocks blanked out (line numbers kept). */
function outsideFences(markdown: string): string[] {
  let fenced = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return "";
    }
    return fenced ? "" : line;
  });
}

/** Every anchor the page's headings make, as GitHub numbers repeated ones. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of outsideFences(markdown)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = slug(h[1]!);
    let s = base;
    while (out.has(s)) {
      seen.set(base, (seen.get(base) ?? 0) + 1);
      s = `${base}-${seen.get(base)}`;
    }
    out.add(s);
  }
  return out;
}

/** The headings' text, without Markdown's code marks: what a prose reference quotes. */
export function headingTexts(markdown: string): Set<string> {
  return new Set(
    outsideFences(markdown)
      .map((line) => /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1])
      .filter((h): h is string => h !== undefined)
      .map((h) => h.replace(/`/g, "")),
  );
}

export interface Link {
  line: number;
  target: string;
}

/** Inline links' and link definitions' targets, outside code and HTML comments. */
export function links(markdown: string): Link[] {
  const text = outsideFences(markdown)
    .join("\n")
    .replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/`[^`]*`/g, (c) => c.replace(/[^\n]/g, "x"));
  const found: Link[] = [];
  const lineOf = (at: number) => text.slice(0, at).split("\n").length;
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) found.push({ line: lineOf(m.index!), target: m[1]! });
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) found.push({ line: lineOf(m.index!), target: m[1]! });
  return found;
}

/**
 * Every link of `pages` (path from the repository's root → text) that does not resolve:
 * `exists` tells whether a path of the repository exists, `read` gives a page's text.
 */
export function brokenLinks(
  pages: Map<string, string>,
  exists: (path: string) => boolean,
  read: (path: string) => string | undefined,
): string[] {
  const broken: string[] = [];
  for (const [page, text] of pages) {
    for (const { line, target } of links(text)) {
      const where = `${page}:${line}: ${target}`;
      let local: string;
      if (target.startsWith(REPOSITORY)) {
        const rest = target.slice(REPOSITORY.length);
        const file = /^\/(?:blob|tree)\/main\/([^#]*)(#.*)?$/.exec(rest);
        if (file) local = `${file[1]}${file[2] ?? ""}`;
        else if (/^(#readme)?$/.test(rest)) continue; // the repository's home page
        else if (/^\/(issues|security|commits|releases)\b/.test(rest)) continue; // GitHub's pages, not files
        else {
          broken.push(`${where}: not a file of this repository`);
          continue;
        }
      } else if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        continue; // another site
      } else {
        const [path, anchor] = splitAnchor(target);
        local = path === "" ? `${page}${anchor}` : `${posix.normalize(posix.join(posix.dirname(page), path))}${anchor}`;
      }
      const [path, anchor] = splitAnchor(local);
      if (path.startsWith("..") || !exists(path.replace(/\/$/, "") || ".")) {
        broken.push(`${where}: no such file`);
        continue;
      }
      if (!anchor) continue;
      const md = path.endsWith(".md") ? read(path) : undefined;
      if (md === undefined) broken.push(`${where}: an anchor into a file that has no headings`);
      else if (!anchors(md).has(decodeURIComponent(anchor.slice(1)))) broken.push(`${where}: ${path} has no heading ${anchor}`);
    }
  }
  return broken;
}

function splitAnchor(target: string): [string, string] {
  const at = target.indexOf("#");
  return at < 0 ? [target, ""] : [target.slice(0, at), target.slice(at)];
}
