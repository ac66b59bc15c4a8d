/**
 * The README's table of supported functions is exact: it names, family by family, the
 * functions that the one list the engine registers (forms/index.ts) defines, no more, no less.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FAMILIES, FORMS } from "../src/forms/index.ts";

const root = fileURLToPath(new URL("../", import.meta.url));

/** `family → function names` from the "## Supported functions" table. */
function readTable(): Map<string, { module: string; names: string[] }> {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Supported functions"));
  assert.ok(section, "README.md has no '## Supported functions' section");
  const rows = new Map<string, { module: string; names: string[] }>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length < 5 || !cells[2]!.startsWith("`src/forms/")) continue;
    assert.ok(!rows.has(cells[1]!), `family ${cells[1]} listed twice`);
    const names = [...cells[3]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    rows.set(cells[1]!, { module: cells[2]!.replaceAll("`", ""), names });
  }
  assert.ok(rows.size > 0, "the Supported functions table has no rows");
  return rows;
}

test("the README lists exactly the functions each family defines", () => {
  const table = readTable();
  assert.deepEqual([...table.keys()].sort(), FAMILIES.map((f) => f.name).sort(), "families in the README vs forms/index.ts");
  for (const f of FAMILIES) {
    const row = table.get(f.name)!;
    assert.equal(row.module, `src/forms/${f.name}.ts`);
    assert.deepEqual([...row.names].sort(), [...new Set(f.forms.map((d) => d.name))].sort(), `functions of ${f.name}`);
    assert.equal(new Set(row.names).size, row.names.length, `a function listed twice in ${f.name}`);
  }
});

test("every function is defined once, and every family module is in the list", async () => {
  const names = FORMS.map((d) => d.name);
  assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], "functions defined twice");
  // A family file whose forms never reach the list would be silently unsupported.
  const modules = readdirSync(`${root}src/forms`).filter((f) => f.endsWith(".ts"));
  const exporting: string[] = [];
  for (const m of modules) {
    const mod = (await import(`../src/forms/${m}`)) as { forms?: unknown };
    if (mod.forms !== undefined) exporting.push(m.slice(0, -3));
  }
  assert.deepEqual(exporting.sort(), FAMILIES.map((f) => f.name).sort());
  for (const f of FAMILIES) {
    const mod = (await import(`../src/forms/${f.name}.ts`)) as { forms: unknown };
    assert.equal(mod.forms, f.forms, `${f.name} in the list is not the module's own forms`);
  }
});
