/**
 * The package as another project gets it: `npm pack`, installed into a fresh
 * project, both entry points imported by Node and type-checked by tsc, and
 * `fauna-token-exchange/client` the very module of the client's own package. And
 * the browser client bundles for browsers from its own files alone (no Node
 * built-in, no dependency). The client package alone: test/client-package.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { ROOT, buildAndPack, exec, installInto, typecheck } from "./support/npm-pack.ts";

test("the client bundles for browsers from its own files alone", async () => {
  const result = await build({
    entryPoints: [join(ROOT, "client/src/index.ts")],
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
const report: DeployReport = { created: [], migrated: [], existing: [], building: [] };
const role: string = userRoleDefinition("members").name;
const code: string = new SchemaConflict("index x", []).code;
// @ts-expect-error the JWT is a string
void exchangeJwtForSecret(42);
export { report, role, code, deploySchema };
`;

test("npm pack: installed elsewhere, both entry points import and type-check; ./client is the client package", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fte-pack-"));
  try {
    const root = await buildAndPack(ROOT, dir);
    for (const f of ["dist/lib/index.js", "dist/lib/index.d.ts", "reexports/client.js", "reexports/client.d.ts", "package.json"]) {
      assert.ok(root.files.includes(f), `${f} is packed`);
    }
    assert.deepEqual(root.files.filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts")), [], "no TypeScript sources");
    assert.deepEqual(root.files.filter((f) => /^(test|emulator|scripts|netlify|public|client)\//.test(f)), []);
    // Not on the registry here: the client package comes from its own tarball, as the
    // root's dependency; the rest from npm's cache.
    const client = await buildAndPack(join(ROOT, "client"), dir);
    const app = await installInto(dir, "consumer", ["--prefer-offline", root.tarball, client.tarball]);
    const lock = JSON.parse(await readFile(join(app, "node_modules", ".package-lock.json"), "utf8")) as {
      packages: Record<string, { resolved?: string }>;
    };
    assert.match(lock.packages["node_modules/fauna-token-exchange-client"]?.resolved ?? "", /^file:/, "the client from its tarball");

    const imported = await exec(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const lib = await import("fauna-token-exchange");
         const client = await import("fauna-token-exchange/client");
         const own = await import("fauna-token-exchange-client");
         console.log(JSON.stringify({ lib: typeof lib.deploySchema, exchange: typeof lib.exchangeJwtForSecret,
           client: typeof client.createSecretSource, query: typeof client.faunaQuery,
           same: Object.keys(own).every((k) => client[k] === own[k]) && Object.keys(client).length === Object.keys(own).length }));`,
      ],
      { cwd: app },
    );
    assert.deepEqual(JSON.parse(imported.stdout), { lib: "function", exchange: "function", client: "function", query: "function", same: true });

    // The client is checked as a browser sees it: the DOM, and no Node types at all; the
    // library as a Node program sees it.
    assert.equal(await typecheck(app, "client.ts", CLIENT_CONSUMER, ["ES2022", "DOM"], []), "");
    assert.equal(await typecheck(app, "lib.ts", LIB_CONSUMER, ["ES2022"], ["node"]), "");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
