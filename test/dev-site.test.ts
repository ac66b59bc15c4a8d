/**
 * What `npm start` serves beside /api/token (scripts/dev-site.ts), over real
 * HTTP: the published folder and nothing outside it, the page's config, and the
 * client and driver bundled for browsers. The page itself is driven in
 * browser-demo.test.ts.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createDevSite, DEV_MODULES, PUBLIC_DIR, type DemoConfig } from "../scripts/dev-site.ts";
import { serveHandler, type ServedHandler } from "../lib/adapters/node.ts";

let served: ServedHandler;
const config = { faunaEndpoint: "http://127.0.0.1:1", mintUrl: "http://127.0.0.1:2/mint", tokenUrl: "/api/token" };

before(async () => {
  served = await serveHandler(await createDevSite(config));
});
after(() => served.close());

/** A request with the path exactly as given (fetch would normalise dot segments away). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${served.url}${path}`, { method: "GET" }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("serves public/, with index.html at /", async () => {
  const res = await fetch(`${served.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/html/);
  assert.equal(await res.text(), await readFile(join(PUBLIC_DIR, "index.html"), "utf8"));
  const js = await fetch(`${served.url}/demo.js`);
  assert.match(js.headers.get("content-type")!, /^text\/javascript/);
  assert.equal((await fetch(`${served.url}/demo.js`, { method: "HEAD" })).status, 200);
  assert.equal((await fetch(`${served.url}/nothing-here.js`)).status, 404);
  assert.equal((await fetch(`${served.url}/`, { method: "POST" })).status, 405);
});

test("nothing outside public/", async () => {
  for (const path of ["/..%2fpackage.json", "/%2e%2e%2fpackage.json", "/..%2f..%2fetc%2fpasswd", "/%00index.html", "/%E0%A4%A"]) {
    const res = await rawGet(path);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(res.body, /fauna-token-exchange|root:/);
  }
});

test("config.json tells the page the local URLs and where its modules are", async () => {
  const res = await fetch(`${served.url}/config.json`);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.deepEqual((await res.json()) as DemoConfig, { ...config, modules: DEV_MODULES });
});

test("the client and the faunadb driver, bundled as browser modules", async () => {
  const client = await (await fetch(`${served.url}${DEV_MODULES.client}`)).text();
  assert.match(client, /export \{[^}]*createSecretSource/s);
  const driver = await (await fetch(`${served.url}${DEV_MODULES.faunadb}`)).text();
  assert.match(driver, /export \{[^}]* as default/s);
  // The browser field of faunadb's package.json kept its Node-only modules out.
  assert.doesNotMatch(driver, /require\("http2"\)|from "node:/);
});

test("what is published names no local address", async () => {
  for (const file of await readdir(PUBLIC_DIR)) {
    assert.doesNotMatch(await readFile(join(PUBLIC_DIR, file), "utf8"), /localhost|127\.0\.0\.1/, file);
  }
});
