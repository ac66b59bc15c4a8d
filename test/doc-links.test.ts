/**
 * Every relative link and #anchor of the project's Markdown resolves as GitHub resolves it
 * (test/support/markdown-links.ts): the README, the manual in docs/, SECURITY.md,
 * CHANGELOG.md and the packages' READMEs, and the links into this repository that a
 * published README spells out in full. And where code, a page or a --help text points a
 * reader at the manual in words (`docs/roles.md, "Roles from claims"`), that page exists and
 * has that heading. Then the checker is shown pages with one of each mistake, so a checker
 * that found nothing could not pass.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT, manualPages } from "./support/manual.ts";
import { anchors, brokenLinks, headingTexts, links, slug } from "./support/markdown-links.ts";

const exists = (path: string) => existsSync(join(ROOT, path));
const read = (path: string) => (existsSync(join(ROOT, path)) ? readFileSync(join(ROOT, path), "utf8") : undefined);

function pages(): Map<string, string> {
  const all = new Map(manualPages().map((p) => [p.path, p.text] as const));
  for (const path of ["SECURITY.md", "CHANGELOG.md", "lib/README.md", "client/README.md", "emulator/README.md"]) all.set(path, read(path)!);
  return all;
}

test("every relative link and #anchor of the README, docs/, SECURITY.md, CHANGELOG.md and the packages' READMEs resolves", (t) => {
  const all = pages();
  assert.ok(all.size >= 15, `${all.size} pages`);
  assert.deepEqual(brokenLinks(all, exists, read), []);
  const checked = [...all.values()].flatMap(links);
  const withAnchor = checked.filter((l) => l.target.includes("#")).length;
  t.diagnostic(`${all.size} pages, ${checked.length} links, ${withAnchor} of them with an anchor`);
  assert.ok(checked.length >= 200 && withAnchor >= 100, "the links were found");
});

test("every page of docs/ is reachable from the README, through the manual's index", () => {
  const index = read("docs/README.md");
  assert.ok(index, "docs/README.md is the manual's index");
  assert.match(read("README.md")!, /\]\(docs\/README\.md\)/, "the README links the index");
  for (const { path } of manualPages().filter((p) => p.path.startsWith("docs/") && p.path !== "docs/README.md")) {
    assert.ok(index.includes(`](${path.slice("docs/".length)})`), `docs/README.md links ${path}`);
  }
});

/** Source, pages and scripts whose words point a reader at the manual. */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (["node_modules", "toolchain", "dist"].includes(name)) return [];
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return /\.(ts|mts|js|mjs|html|toml)$/.test(name) ? [path] : [];
  });
}

test("every reference in words to a page of the manual names a page that exists, and a heading it has", () => {
  const files = [...["api", "bench", "client/src", "lib", "netlify", "public", "scripts", "test"].flatMap(sources), "netlify.toml", ".env.example"]
    // This file's own examples are made-up pages.
    .filter((f) => f !== "test/doc-links.test.ts");
  const problems: string[] = [];
  let references = 0;
  for (const file of files) {
    // A comment's reference may wrap: `(docs/endpoint.md, "The endpoint: POST\n * /api/token")`.
    const text = read(file)!.replace(/\n\s*(?:\*|\/\/|#)\s*/g, " ");
    for (const m of text.matchAll(/\b(docs\/[\w-]+\.md|README\.md|README)(?:, "([^"]+)")?/g)) {
      const page = m[1] === "README" ? "README.md" : m[1]!;
      if (page === "README.md" && m[2] === undefined) continue; // "the README", "README.md": no section named
      references++;
      const md = read(page);
      if (md === undefined) problems.push(`${file}: ${m[0]}: no such page`);
      else if (m[2] !== undefined && !headingTexts(md).has(m[2].replace(/`/g, ""))) problems.push(`${file}: ${m[0]}: ${page} has no such heading`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(references >= 10, `${references} references found`);
});

test("the checker: GitHub's slugs, and one of each broken link found", () => {
  assert.equal(slug("Getting ready: `npm run doctor`"), "getting-ready-npm-run-doctor");
  assert.equal(slug("`DELETE /api/token`: sign out everywhere"), "delete-apitoken-sign-out-everywhere");
  assert.equal(slug("Page sizes and FaunaDB's limits"), "page-sizes-and-faunadbs-limits");
  assert.equal(slug("The product on a cluster: `npm run bench:cluster`"), "the-product-on-a-cluster-npm-run-benchcluster");
  assert.equal(slug("3a. Netlify"), "3a-netlify");
  assert.equal(slug("A — B [link](x.md) _under_score"), "a--b-link-_under_score");
  assert.deepEqual([...anchors("# T\n## Rate limit\n```\n## not a heading\n```\n## Rate limit\n## Rate limit")], ["t", "rate-limit", "rate-limit-1", "rate-limit-2"]);

  const files = new Map([
    ["README.md", "# Top\n[ok](docs/a.md#two) [ok](#top) [ok](LICENSE) [ok](https://example.com/x#y)\n`[not a link](nowhere.md)`\n"],
    ["docs/a.md", "# One\n## Two\n[ok](../README.md#top) [bad file](b.md) [bad anchor](../README.md#nope)\n[bad anchor](#three) [no headings](../LICENSE#x)\n```\n[code](nowhere.md)\n```\n"],
    ["client/README.md", `[ok](${"https://github.com/fauna-token-exchange/fauna-token-exchange"}/blob/main/docs/a.md#one) [bad](https://github.com/fauna-token-exchange/fauna-token-exchange/blob/main/docs/a.md#zero)\n`],
  ]);
  const fake = new Set([...files.keys(), "LICENSE", "docs"]);
  const broken = brokenLinks(files, (p) => fake.has(p), (p) => files.get(p));
  assert.deepEqual(broken, [
    "docs/a.md:3: b.md: no such file",
    "docs/a.md:3: ../README.md#nope: README.md has no heading #nope",
    "docs/a.md:4: #three: docs/a.md has no heading #three",
    "docs/a.md:4: ../LICENSE#x: an anchor into a file that has no headings",
    "client/README.md:1: https://github.com/fauna-token-exchange/fauna-token-exchange/blob/main/docs/a.md#zero: docs/a.md has no heading #zero",
  ]);
});
