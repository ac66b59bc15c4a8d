/**
 * lib/'s house rules, read from its syntax trees (TypeScript's parser; nothing is run):
 * every error it throws is one of its own classes, never a bare built-in one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { typescriptFiles } from "./support/layers.ts";

const LIB = fileURLToPath(new URL("../lib/", import.meta.url));
const sources = typescriptFiles(LIB).map((path) => ts.createSourceFile(path, readFileSync(`${LIB}${path}`, "utf8"), ts.ScriptTarget.Latest, true));

/** `file:line: text` for every node of lib/ that `match` picks. */
function find(match: (node: ts.Node) => boolean, files = sources): string[] {
  const found: string[] = [];
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (match(node)) found.push(`${file.fileName}:${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText().slice(0, 80)}`);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

const BUILT_IN_ERRORS = new Set(["Error", "RangeError", "TypeError", "SyntaxError", "ReferenceError", "EvalError", "URIError", "AggregateError"]);

test("lib/ throws only its own errors (one base, a stable code), never a built-in one", () => {
  const bare = find(
    (n) =>
      ts.isThrowStatement(n) && ts.isNewExpression(n.expression) && ts.isIdentifier(n.expression.expression) && BUILT_IN_ERRORS.has(n.expression.expression.text),
  );
  assert.deepEqual(bare, []);
  const ownClasses = find((n) => ts.isClassDeclaration(n) && n.heritageClauses?.some((h) => BUILT_IN_ERRORS.has(h.types[0]!.expression.getText())) === true);
  assert.deepEqual(ownClasses.map((l) => l.split(":")[0]), ["core/errors/base.ts"], "only the base extends Error");
});

test("lib/ reads process.env in one module only, its Node adapter: everything else is given its environment", () => {
  const reads = find((n) => ts.isPropertyAccessExpression(n) && n.name.text === "env" && n.expression.getText() === "process");
  assert.ok(reads.length >= 1, "the Node adapter reads it");
  assert.deepEqual([...new Set(reads.map((l) => l.split(":")[0]))], ["adapters/node.ts"]);
});

test("no file outside core/ledger/ spells a position inside an index entry (Select of a number)", () => {
  const isPosition = (arg: ts.Expression | undefined): boolean =>
    arg !== undefined && (ts.isNumericLiteral(arg) || (ts.isArrayLiteralExpression(arg) && arg.elements.some((e) => ts.isNumericLiteral(e))));
  const select = (n: ts.Node): boolean =>
    ts.isCallExpression(n) && /(^|\.)Select$/.test(n.expression.getText()) && isPosition(n.arguments[0]);
  assert.ok(find(select).some((l) => l.startsWith("core/ledger/")), "the ledger's own FQL does (the users index's first ref)");
  assert.deepEqual(
    find(select).filter((l) => !l.startsWith("core/ledger/")),
    [],
  );
});
