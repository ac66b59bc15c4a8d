/**
 * The browser client as a SPA installs it: its own package, fauna-token-exchange-client,
 * `npm pack`ed and installed into a fresh project offline with an empty npm cache (so
 * nothing can come from a registry). Exactly one package lands in node_modules; a
 * consumer type-checks as a browser sees it (the DOM, no Node types) and bundles for
 * browsers with esbuild; and in that bundle, minified, every error class still says
 * its name, because each names itself with a literal rather than its class's
 * (renamed) name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { ROOT, buildAndPack, installInto, typecheck } from "./support/npm-pack.ts";
import { closedPort } from "./support/processes.ts";

const NAME = "fauna-token-exchange-client";

const CONSUMER = `
import { createSecretSource, faunaQuery, LogoutFailed, SignInRequired, TemporarilyUnavailable, type Secret } from "${NAME}";
const source = createSecretSource({
  getAccessToken: async () => "jwt",
  faunaEndpoint: "https://db.example.com",
  timeoutMs: 5000,
  logoutDelayMs: 2000,
  onRenewalError: (e: unknown, until: Date) => console.warn(e instanceof SignInRequired ? "sign in again before" : "renewal failed", until),
});
const secret: Promise<Secret> = source.getSecret();
const held: Promise<number> = source.withSecret(async ({ secret, expiresAt }) => secret.length + expiresAt.getTime());
const query = faunaQuery(source, { query: async <T>(_expr: string, _opts?: { secret?: string }) => undefined as T });
const n: Promise<number> = query<number>("expr");
const named: "SignInRequired" = new SignInRequired(401, "invalid_token", "expired").name;
const retry = (e: unknown) => (e instanceof TemporarilyUnavailable ? e.retryAfter : e instanceof LogoutFailed ? e.status : 0);
// @ts-expect-error getAccessToken is required: the types are real, not any.
createSecretSource({ tokenUrl: "/api/token" });
// @ts-expect-error timeoutMs is a number of milliseconds
createSecretSource({ getAccessToken: () => "jwt", timeoutMs: "10s" });
export { secret, held, n, named, retry };
`;

test("the client package: packed, installed offline alone (one package), type-checked and bundled for browsers", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fte-client-pack-"));
  try {
    const client = join(ROOT, "client");
    const manifest = JSON.parse(await readFile(join(client, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest.name, NAME);
    assert.equal(manifest.dependencies, undefined, "no runtime dependencies");
    assert.equal(manifest.peerDependencies, undefined);
    assert.equal(manifest.sideEffects, false);

    const { tarball, files } = await buildAndPack(client, dir);
    const meta = ["package.json", "README.md", "LICENSE"];
    for (const f of [...meta, "dist/index.js", "dist/index.d.ts"]) assert.ok(files.includes(f), `${f} is packed`);
    assert.deepEqual(files.filter((f) => !meta.includes(f) && !/^dist\/[\w-]+\.(js|d\.ts)$/.test(f)), [], "nothing but these and dist/");

    // --offline with a cache that has never seen a registry: any lookup would fail (ENOTCACHED).
    const app = await installInto(dir, "spa", ["--offline", "--cache", join(dir, "empty-npm-cache"), tarball]);
    const lock = JSON.parse(await readFile(join(app, "node_modules", ".package-lock.json"), "utf8")) as { packages: object };
    assert.deepEqual(Object.keys(lock.packages), [`node_modules/${NAME}`], "exactly one package installed");
    assert.deepEqual((await readdir(join(app, "node_modules"))).filter((f) => !f.startsWith(".")), [NAME]);

    assert.equal(await typecheck(app, "consumer.ts", CONSUMER, ["ES2022", "DOM"], []), "");

    const bundled = await build({
      stdin: { contents: `export * from "${NAME}";`, resolveDir: app, loader: "js" },
      bundle: true,
      minify: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
      absWorkingDir: app,
    });
    const inputs = Object.keys(bundled.metafile.inputs).filter((f) => f !== "<stdin>");
    assert.ok(inputs.length >= 5, inputs.join(", "));
    assert.deepEqual(inputs.filter((f) => !f.startsWith(`node_modules/${NAME}/dist/`)), [], "nothing but the package's own files");

    // The minified bundle, run: each exported error class, constructed, says its export name.
    const code = bundled.outputFiles[0]!.text;
    const mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as Record<string, unknown>;
    type ErrorClass = new (status: number, error: string, description: string) => Error & { code: string };
    const errorClasses = Object.entries(mod).filter(
      (e): e is [string, ErrorClass] => typeof e[1] === "function" && e[1].prototype instanceof Error,
    );
    assert.deepEqual(errorClasses.map(([name]) => name).sort(), [
      "AccessDenied",
      "ExchangeError",
      "ExchangeFailed",
      "LogoutFailed",
      "SignInRequired",
      "TemporarilyUnavailable",
    ]);
    for (const [name, C] of errorClasses) assert.equal(new C(0, "", "x").name, name);
    // Proof the minifier renamed the classes: a name taken from the class would not survive.
    assert.deepEqual(errorClasses.filter(([name, C]) => C.name === name), [], "classes kept their names: the check proves nothing");

    // And as thrown by the minified code itself: an endpoint nobody listens on.
    const { createSecretSource } = mod as { createSecretSource: (o: object) => { getSecret(): Promise<unknown> } };
    const source = createSecretSource({ tokenUrl: `http://127.0.0.1:${await closedPort()}/api/token`, getAccessToken: () => "jwt" });
    await assert.rejects(source.getSecret(), { name: "TemporarilyUnavailable", code: "ERR_TEMPORARILY_UNAVAILABLE", status: 0 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
