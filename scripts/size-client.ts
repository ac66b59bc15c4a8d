/**
 * npm run size:client: the browser client (client/, the package
 * fauna-token-exchange-client) as a browser downloads it (bundled and minified by
 * esbuild, gzipped by zlib at level 9) against its budget of 3 KB. The faunadb
 * driver is not counted: the app brings its own. Exit 1 over budget.
 */
import { build } from "esbuild";
import { gzipSync } from "node:zlib";

export const BUDGET_BYTES = 3 * 1024;

const result = await build({
  entryPoints: ["client/src/index.ts"],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  external: ["faunadb"],
  write: false,
  logLevel: "error",
});
const code = result.outputFiles[0]!.contents;
const gzipped = gzipSync(code, { level: 9 }).length;
console.log(
  `fauna-token-exchange-client: ${code.length} B minified, ${gzipped} B minified + gzipped ` +
    `(budget ${BUDGET_BYTES} B, ${gzipped <= BUDGET_BYTES ? "within" : "OVER"}; faunadb driver excluded)`,
);
process.exitCode = gzipped <= BUDGET_BYTES ? 0 : 1;
