/**
 * The package as another project gets it: `npm pack`, installed into a fresh
 * project, both entry points imported by Node and type-checked by tsc, and
 * `fauna-token-exchange/client` the very module of the client's own package. And
 * the browser client bundles for browsers from its own files alone (no Node
 * built-in, no dependency). The client package alone: test/client-package.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
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

/** What the server package must hold: the library in both forms, each subpath's types, its documents. */
const PACKED = [
  "package.json",
  "README.md",
  "LICENSE",
  "CHANGELOG.md",
  "SECURITY.md",
  ".env.example",
  // The manual, every page of it (the README links into it).
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
  "dist/cjs/package.json",
  "reexports/client.js",
  "reexports/client.d.ts",
  ...["index", "adapters/netlify", "adapters/vercel"].flatMap((m) => ["dist/lib", "dist/cjs/lib"].flatMap((d) => [`${d}/${m}.js`, `${d}/${m}.d.ts`])),
];
/** And nothing else: no source, test, script, scratch file or tarball. */
const PACKABLE =
  /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|SECURITY\.md|\.env\.example|docs\/[\w-]+\.md|dist\/cjs\/package\.json|dist\/(cjs\/)?lib\/[\w/-]+\.(js|d\.ts)|reexports\/client\.(js|d\.ts))$/;

/** The files `exports` points at, without their leading `./`. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return [exports.replace(/^\.\//, "")];
  return Object.values(exports as Record<string, unknown>).flatMap(exportTargets);
}

/** Each conditional entry of `exports` whose first condition is not `types` (TypeScript reads them in order). */
function withoutTypesFirst(exports: unknown, at = "exports"): string[] {
  if (typeof exports === "string") return [];
  const entries = Object.entries(exports as Record<string, unknown>);
  const conditional = entries.every(([k]) => !k.startsWith("."));
  const here = conditional && entries.some(([, v]) => typeof v === "string") && entries[0]![0] !== "types" ? [at] : [];
  return [...here, ...entries.flatMap(([k, v]) => withoutTypesFirst(v, `${at}[${JSON.stringify(k)}]`))];
}

const REPOSITORY = "https://github.com/fauna-token-exchange/fauna-token-exchange";

test("both manifests are publishable: not private, described, licensed, the same repository and version", async () => {
  const read = async (path: string) => JSON.parse(await readFile(join(ROOT, path), "utf8")) as Record<string, unknown>;
  const [server, client] = await Promise.all([read("package.json"), read("client/package.json")]);
  for (const [name, m] of [["server", server], ["client", client]] as const) {
    assert.equal(m.private, undefined, `${name}: not private`);
    for (const field of ["name", "version", "description", "license", "repository", "keywords", "engines", "files", "exports"]) {
      assert.ok(m[field], `${name}: ${field}`);
    }
    assert.equal(m.license, "MIT");
    assert.equal((m.repository as { url: string }).url, `git+${REPOSITORY}.git`, `${name}: the placeholder repository`);
    assert.deepEqual(withoutTypesFirst(m.exports), [], `${name}: every export has its types, first`);
  }
  assert.equal(server.version, client.version, "released together, at one version");
  assert.deepEqual(server.dependencies && (server.dependencies as Record<string, string>)["fauna-token-exchange-client"], client.version);
  assert.equal(server.homepage, `${REPOSITORY}#readme`);
  assert.deepEqual(server.bugs, { url: `${REPOSITORY}/issues` });
  assert.deepEqual(Object.keys(server.exports as object), [".", "./netlify", "./vercel", "./client", "./package.json"]);
  assert.match(await readFile(join(ROOT, "LICENSE"), "utf8"), /^MIT License\n/);
});

test("npm pack: installed elsewhere, both entry points import and type-check; ./client is the client package", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fte-pack-"));
  try {
    const root = await buildAndPack(ROOT, dir);
    for (const f of PACKED) assert.ok(root.files.includes(f), `${f} is packed`);
    assert.deepEqual(root.files.filter((f) => !PACKABLE.test(f)), [], "nothing but the built library, its docs and the manifest");
    assert.deepEqual(root.files.filter((f) => f.startsWith("dist/lib/dev/") || f.startsWith("dist/cjs/lib/dev/")), [], "not the dev issuer");
    const targets = exportTargets(root.manifest.exports).filter((t) => t !== "package.json");
    assert.deepEqual(targets.filter((t) => !root.files.includes(t)), [], "every export's file is packed");
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
         const required = (await import("node:module")).createRequire(import.meta.url)("fauna-token-exchange");
         const client = await import("fauna-token-exchange/client");
         const own = await import("fauna-token-exchange-client");
         console.log(JSON.stringify({ lib: typeof lib.deploySchema, exchange: typeof lib.exchangeJwtForSecret,
           client: typeof client.createSecretSource, query: typeof client.faunaQuery,
           cjs: typeof required.deploySchema, cjsErrors: new required.JwtExpired().name,
           same: Object.keys(own).every((k) => client[k] === own[k]) && Object.keys(client).length === Object.keys(own).length }));`,
      ],
      { cwd: app },
    );
    assert.deepEqual(JSON.parse(imported.stdout), {
      lib: "function",
      exchange: "function",
      client: "function",
      query: "function",
      cjs: "function",
      cjsErrors: "JwtExpired",
      same: true,
    });

    // The client is checked as a browser sees it: the DOM, and no Node types at all; the
    // library as a Node program sees it.
    assert.equal(await typecheck(app, "client.ts", CLIENT_CONSUMER, ["ES2022", "DOM"], []), "");
    assert.equal(await typecheck(app, "lib.ts", LIB_CONSUMER, ["ES2022"], ["node"]), "");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
