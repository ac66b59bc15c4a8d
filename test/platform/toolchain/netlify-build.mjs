/**
 * What a Netlify deploy does with this repository, offline: read netlify.toml, run its
 * [build] command (on this Node, which is 22, as NODE_VERSION asks), then bundle the
 * [functions] directory with Netlify's own bundler (@netlify/zip-it-and-ship-it, the
 * library Netlify's build and netlify-cli use) into unzipped function directories.
 * Prints one JSON line: the settings it read and what it built.
 *
 *   node netlify-build.mjs <repository root> <out dir> [<functions dir>]
 *
 * With <functions dir>, the build command is skipped and that directory is bundled
 * instead (the benchmark uses it to compare with bundling the sources directly).
 */
import { execSync } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "smol-toml";
import { zipFunctions } from "@netlify/zip-it-and-ship-it";

const [root, dest, functionsOverride] = process.argv.slice(2);
const toml = parse(readFileSync(resolve(root, "netlify.toml"), "utf8"));
const command = toml.build?.command;
const publish = toml.build?.publish;
const functionsDir = functionsOverride ?? toml.functions?.directory ?? "netlify/functions";
const nodeVersion = toml.build?.environment?.NODE_VERSION;

if (command && !functionsOverride) execSync(command, { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
const results = await zipFunctions([resolve(root, functionsDir)], dest, {
  archiveFormat: "none",
  basePath: root,
  repositoryRoot: root,
  config: { "*": { ...(nodeVersion ? { nodeVersion } : {}), ...(toml.functions ?? {}) } },
});
process.stdout.write(
  `${JSON.stringify({
    settings: { command, publish, publishExists: publish ? existsSync(resolve(root, publish)) : false, functionsDir, nodeVersion },
    functions: results.map((r) => ({
      name: r.name,
      path: r.path,
      bundler: r.bundler,
      runtimeAPIVersion: r.runtimeAPIVersion,
      runtimeVersion: r.runtimeVersion,
      schedule: r.schedule,
      routes: r.routes,
      trafficRules: r.trafficRules,
      inputs: r.inputs?.length,
    })),
  })}\n`,
);
