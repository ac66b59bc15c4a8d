/**
 * npm run build:functions: bundles each Netlify function (netlify/functions/*.mts) with
 * everything it imports, node_modules included, into one ES module per function under
 * dist/netlify/functions/, which netlify.toml names as the functions directory. Netlify's
 * own bundler (nft) then has nothing left to resolve: it ships one file per function.
 *
 * Why prebundle (docs/deploying.md, "Why a prebuilt bundle"):
 * - Cold start: one file loads in about half the time of the ~280 files nft would ship
 *   (`npm run bench:cold` prints both).
 * - Module formats stop mattering at run time: AWS Lambda, where Netlify runs functions,
 *   turns `require()` of an ES module off, and a dependency that did so would fail on
 *   every request; inside one bundle there is no `require()` of a package left.
 *
 * The bundle is ESM (the v2 function signature) and still holds CommonJS dependencies,
 * which call `require()` for Node built-ins, hence the `createRequire` banner.
 */
import { build } from "esbuild";
import { readdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const SOURCE_DIR = "netlify/functions";
export const OUT_DIR = "dist/netlify/functions";

/**
 * faunadb loads `cross-fetch` only when there is no global `fetch`, which never happens
 * on Node 18+; pointing it at the global keeps node-fetch and its Unicode tables
 * (~350 KB) out of every bundle.
 */
const CROSS_FETCH_SHIM = "export default globalThis.fetch;";

export async function buildFunctions(opts: { outDir?: string; quiet?: boolean } = {}): Promise<string[]> {
  const outDir = opts.outDir ?? `${ROOT}${OUT_DIR}`;
  const entries = (await readdir(`${ROOT}${SOURCE_DIR}`)).filter((f) => /\.m?ts$/.test(f)).map((f) => `${ROOT}${SOURCE_DIR}/${f}`);
  await rm(outDir, { recursive: true, force: true });
  await build({
    entryPoints: entries,
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    // Netlify runs Node 22; the project supports 20.19 and later.
    target: "node20.19",
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
    plugins: [
      {
        name: "cross-fetch-is-global-fetch",
        setup(b) {
          b.onResolve({ filter: /^cross-fetch$/ }, () => ({ path: "cross-fetch", namespace: "shim" }));
          b.onLoad({ filter: /.*/, namespace: "shim" }, () => ({ contents: CROSS_FETCH_SHIM, loader: "js" }));
        },
      },
    ],
    legalComments: "eof",
    logLevel: opts.quiet ? "error" : "info",
  });
  return entries.map((e) => e.slice(e.lastIndexOf("/") + 1).replace(/\.m?ts$/, ".mjs"));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildFunctions();
  console.log(`built ${built.length} function(s) into ${OUT_DIR}: ${built.join(", ")}`);
}
