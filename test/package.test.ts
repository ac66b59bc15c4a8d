/**
 * The package as another project gets it: `npm pack`, installed into a fresh
 * project, both entry points imported by Node and type-checked by tsc. And the
 * browser client bundles for browsers from its own files alone (no Node
 * built-in, no dependency).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

test("the client bundles for browsers from its own files alone", async () => {
  const result = await build({
    entryPoints: [join(ROOT, "client/index.ts")],
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
    logLevel: "silent",
    absWorkingDir: ROOT,
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.length >= 4);
  assert.deepEqual(inputs.filter((f) => !f.startsWith("client/")), []);
});

const CLIENT_CONSUMER = `
import { createSecretSource, faunaQuery, SignInRequired, TemporarilyUnavailable, type Secret } from "fauna-token-exchange/client";
const source = createSecretSource({ getAccessToken: async () => "jwt", faunaEndpoint: "https://db.example.com" });
const secret: Promise<Secret> = source.getSecret();
const query = faunaQuery(source, { query: async <T>(_expr: string, _opts?: { secret?: string }) => undefined as T });
const n: Promise<number> = query<number>("expr");
const retry = (e: unknown) => (e instanceof TemporarilyUnavailable ? e.retryAfter : e instanceof SignInRequired ? e.status : 0);
// @ts-expect-error getAccessToken is required: the types are real, not any.
createSecretSource({ tokenUrl: "/api/token" });
export { secret, n, retry };
`;

const LIB_CONSUMER = `
import { deploySchema, exchangeJwtForSecret, userRoleDefinition, SchemaConflict, type DeployReport } from "fauna-token-exchange";
const report: DeployReport = { created: [], existing: [] };
const role: string = userRoleDefinition("members").name;
const code: string = new SchemaConflict("index x", []).code;
// @ts-expect-error the JWT is a string
void exchangeJwtForSecret(42);
export { report, role, code, deploySchema };
`;

const tsconfig = (file: string, lib: string[], types: string[]) =>
  JSON.stringify({
    compilerOptions: {
      strict: true,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      target: "ES2022",
      lib,
      noEmit: true,
      skipLibCheck: false,
      // Node's types from this repository, so that the check needs no install of its own.
      typeRoots: [join(ROOT, "node_modules", "@types")],
      types,
    },
    files: [file],
  });

test("npm pack: installed elsewhere, both entry points import and type-check", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fte-pack-"));
  try {
    await exec("npm", ["run", "-s", "build"], { cwd: ROOT });
    const packed = await exec("npm", ["pack", "--json", "--pack-destination", dir], { cwd: ROOT });
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    for (const f of ["dist/lib/index.js", "dist/lib/index.d.ts", "dist/client/index.js", "dist/client/index.d.ts", "package.json"]) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    assert.deepEqual(files.filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts")), [], "no TypeScript sources");
    assert.deepEqual(files.filter((f) => /^(test|emulator|scripts|netlify|public)\//.test(f)), []);

    const app = join(dir, "app");
    await mkdir(app);
    await writeFile(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    // --ignore-scripts: faunadb's postinstall needs the internet (README, "Installing offline").
    await exec("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", join(dir, info!.filename)], {
      cwd: app,
      timeout: 120_000,
    });

    const imported = await exec(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const lib = await import("fauna-token-exchange");
         const client = await import("fauna-token-exchange/client");
         console.log(JSON.stringify({ lib: typeof lib.deploySchema, exchange: typeof lib.exchangeJwtForSecret,
           client: typeof client.createSecretSource, query: typeof client.faunaQuery }));`,
      ],
      { cwd: app },
    );
    assert.deepEqual(JSON.parse(imported.stdout), { lib: "function", exchange: "function", client: "function", query: "function" });

    await writeFile(join(app, "client.ts"), CLIENT_CONSUMER);
    await writeFile(join(app, "lib.ts"), LIB_CONSUMER);
    // The client is checked as a browser sees it: the DOM, and no Node types at all; the
    // library as a Node program sees it.
    await writeFile(join(app, "tsconfig.client.json"), tsconfig("client.ts", ["ES2022", "DOM"], []));
    await writeFile(join(app, "tsconfig.lib.json"), tsconfig("lib.ts", ["ES2022"], ["node"]));
    for (const project of ["tsconfig.client.json", "tsconfig.lib.json"]) {
      const r = await exec(process.execPath, [TSC, "-p", project], { cwd: app }).catch((e: { stdout: string }) => e);
      assert.equal(r.stdout, "", `${project}: ${r.stdout}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
