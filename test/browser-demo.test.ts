/**
 * The demo page in a real browser (Debian's chromium driven by playwright-core),
 * against `npm start` as a user runs it: sign in, exchange, read one's own user
 * document from the browser through the faunadb driver, watch the secret's expiry
 * count down, renew it without a failed query, sign out everywhere and see FaunaDB
 * refuse the old secret once its credential cache lets go of it; then Logout of one
 * secret; a role over the token's claims (the orders a JWT with `read:orders` may read,
 * refused without it); and the page as a deployed site shows it. The emulator runs the cluster profile
 * with a credential cache of CACHE_WINDOW_MS: the window is there, the page says so, and
 * the test waits it out rather than assuming it away. What the page shows is checked against what FaunaDB answers for
 * the secrets the browser received. Each step is saved as a screenshot under
 * .scratch/screenshots/browser-demo/.
 *
 * Then what the page says when something fails: each failure names its step (the identity
 * provider, the token endpoint, FaunaDB) in the server's own words, "Signed in" says yes
 * only once FaunaDB has accepted a secret, and the status line clears once it works again.
 * The failures are real ones, caused from outside the browser: a page on an origin that
 * ALLOWED_ORIGINS (narrowed here) does not list, refused by /mint as /api/token would
 * refuse it; /mint's 400; the users index rebuilt in the background, during which the
 * exchange answers 503; and the user role's privileges taken away and given back.
 *
 * Without chromium this test fails, it does not skip: CI installs it (.ci/run).
 * CHROMIUM_PATH points at another Chromium build.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { access, constants, mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import faunadb from "faunadb";
import { chromium, type Browser, type Page } from "playwright-core";
import { startNpmStart, type NpmStart } from "./support/npm-start.ts";
import { DEFAULT_USERS_COLLECTION, DEFAULT_USERS_INDEX, LEDGER_BY_USER_INDEX, usersIndexDefinition } from "../lib/core/ledger/layout.ts";
import { indexParams } from "../lib/core/schema/indexes.ts";
import { roleParams, userRoleDefinition, USER_ROLE } from "../lib/core/schema/role.ts";

const q = faunadb.query;
const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const SCREENSHOTS = resolve(import.meta.dirname, "../.scratch/screenshots/browser-demo");
const OTHER_HOST = "demo.test";
/** What npm start runs with here: one origin besides the page's own, so that the rest are refused. */
const ALLOWED_ORIGIN = "https://app.example.com";
// Flags for a closed network: without the background-networking ones Chromium's own connections are refused.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // A second name for the demo page's host: an origin npm start's ALLOWED_ORIGINS does not list.
  `--host-resolver-rules=MAP ${OTHER_HOST} 127.0.0.1`,
];
const SUB = "auth0|browser-demo";
/** Short enough to see a renewal within seconds: renewed halfway, about 4 s in. */
const JWT_LIFETIME_SECONDS = 8;
const STEP_TIMEOUT_MS = 30_000;
/** The emulator's credential cache (its clock is real time under npm start): a revoked secret works this long. */
const CACHE_WINDOW_MS = 3_000;

let app: NpmStart;
let browser: Browser;
let root: faunadb.Client;

before(async () => {
  await access(CHROMIUM, constants.X_OK).catch(() => {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  });
  await rm(SCREENSHOTS, { recursive: true, force: true });
  await mkdir(SCREENSHOTS, { recursive: true });
  app = await startNpmStart({ EMULATOR_PROFILE: "cluster", EMULATOR_AUTH_CACHE_MS: String(CACHE_WINDOW_MS), ALLOWED_ORIGINS: ALLOWED_ORIGIN });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: STEP_TIMEOUT_MS });
  root = new faunadb.Client({ secret: "secret", endpoint: app.urls.emulator, checkNewVersion: false, http2SessionIdleTime: 50 });
});

after(async () => {
  await root?.close();
  await browser?.close();
  if (app) assert.equal(await app.stop(), 0, app.output());
});

const text = (page: Page, id: string) => page.getByTestId(id).innerText();
const secondsLeft = async (page: Page) => Number(/expires in (\d+) s/.exec(await text(page, "secret"))?.[1]);
const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** Response bodies arrive a little after the page has them: wait for the count, do not race it. */
async function received(list: string[], count: number): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (list.length < count) {
    assert.ok(Date.now() < deadline, `expected ${count} captured, have ${list.length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(list.length, count);
}

/** What FaunaDB answers to a secret: the user's `auth0_id`, or the driver's error name. */
async function faunaSays(secret: string): Promise<string> {
  const c = new faunadb.Client({ secret, endpoint: app.urls.emulator, checkNewVersion: false, http2SessionIdleTime: 50 });
  try {
    return await c.query<string>(q.Select(["data", "auth0_id"], q.Get(q.CurrentIdentity())));
  } catch (e) {
    return (e as Error).name;
  } finally {
    await c.close();
  }
}

/**
 * Waits until FaunaDB refuses every one of `list` (its credential cache has let go of them),
 * which must happen within the window (plus a margin for a loaded machine).
 */
async function refusedWithinWindow(list: string[], since: number): Promise<void> {
  for (;;) {
    const answers = await Promise.all(list.map(faunaSays));
    if (answers.every((a) => a === "Unauthorized")) return;
    assert.ok(Date.now() - since < CACHE_WINDOW_MS + 5_000, `still accepted ${Date.now() - since} ms after: ${answers.join(", ")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** What FaunaDB answers to a secret reading the orders: how many, or the driver's error name. */
async function ordersFor(secret: string): Promise<number | string> {
  const c = new faunadb.Client({ secret, endpoint: app.urls.emulator, checkNewVersion: false, http2SessionIdleTime: 50 });
  try {
    return (await c.query<{ data: unknown[] }>(q.Paginate(q.Match(q.Index("all_orders"))))).data.length;
  } catch (e) {
    return (e as Error).name;
  } finally {
    await c.close();
  }
}

/** Ledger entries of the user: one per live secret the exchange issued them. */
function ledgerEntries(): Promise<number> {
  return root.query<number>(q.Count(q.Match(q.Index(LEDGER_BY_USER_INDEX), q.Select("ref", q.Get(q.Match(q.Index("users_by_auth0_id"), SUB))))));
}

test("the demo page, step by step, in Chromium", { timeout: 180_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  // What the browser received, kept here to ask FaunaDB about and to look for where it must not be.
  const secrets: string[] = [];
  const jwts: string[] = [];
  const faunaAnswers: { status: number; cors: string | null }[] = [];
  page.on("response", (res) => {
    const url = res.url();
    if (url === app.urls.tokenEndpoint && res.request().method() === "POST") {
      void res.json().then((b: { secret?: string }) => b.secret && secrets.push(b.secret), () => undefined);
    } else if (url.startsWith(app.urls.mint.split("?")[0]!)) {
      void res.text().then((t) => jwts.push(t), () => undefined);
    } else if (url.startsWith(`${app.urls.emulator}/`) && res.request().method() === "POST") {
      faunaAnswers.push({ status: res.status(), cors: res.headers()["access-control-allow-origin"] ?? null });
    }
  });

  // 1. Signed out.
  await page.goto(app.urls.demoPage);
  await page.locator("#demo").waitFor({ state: "visible" });
  assert.equal(await text(page, "state"), "no");
  assert.equal(await page.locator("#deployed").isVisible(), false);
  await shot(page, "01-signed-out");

  // 2. Sign in as a development user: exchange, then read the own user document from the browser.
  await page.locator("input[name=sub]").fill(SUB);
  await page.locator("input[name=lifetime]").fill(String(JWT_LIFETIME_SECONDS));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("document").filter({ hasText: SUB }).waitFor();
  assert.equal(await text(page, "state"), `yes, as ${SUB}`);
  assert.equal(await text(page, "exchanges"), "1");
  assert.match(await text(page, "document"), /ref {3}Ref\(Collection\("users"\), "\d+"\)/);
  assert.match(await text(page, "document"), /FaunaDB ends this secret at \d{4}-\d\d-\d\dT/);
  // Signed in with the permission read:orders (the default): the role orders_reader applies.
  await page.getByTestId("orders").filter({ hasText: "Darjeeling" }).waitFor();
  assert.equal(await text(page, "orders"), "2 × Darjeeling, 250 g\n1 × Sencha, 100 g");
  await received(secrets, 1);
  assert.equal(await faunaSays(secrets[0]!), SUB);
  assert.equal(await ordersFor(secrets[0]!), 2);
  assert.equal(await ledgerEntries(), 1);
  // The driver talked to FaunaDB from the page, cross-origin: HTTP/1.1 with a CORS grant
  // for the page's own origin (FaunaDB reflects the Origin).
  assert.ok(faunaAnswers.some((a) => a.status === 200 && a.cors === new URL(app.urls.demoPage).origin), JSON.stringify(faunaAnswers));
  await shot(page, "02-signed-in");

  // 3. The expiry counts down.
  const left = await secondsLeft(page);
  assert.ok(left >= 1 && left <= JWT_LIFETIME_SECONDS, String(left));
  await page.waitForFunction((before) => {
    const m = /expires in (\d+) s/.exec(document.querySelector('[data-testid="secret"]')?.textContent ?? "");
    return m !== null && Number(m[1]) < before;
  }, left);
  await shot(page, "03-counting-down");

  // 4. Renewed before expiry, and no query failed or was refused on the way.
  await page.getByTestId("exchanges").filter({ hasText: /^2$/ }).waitFor();
  await page.getByTestId("secret").filter({ hasText: /^#2, / }).waitFor();
  const answeredAtRenewal = Number(/^(\d+) answered/.exec(await text(page, "queries"))![1]);
  await page.waitForFunction(
    (n) => Number(/^(\d+) answered/.exec(document.querySelector('[data-testid="queries"]')?.textContent ?? "")?.[1]) > n,
    answeredAtRenewal,
  );
  assert.match(await text(page, "queries"), /^\d+ answered, 0 failed$/);
  assert.equal(await text(page, "refusals"), "0");
  await received(secrets, 2);
  assert.notEqual(secrets[1], secrets[0]);
  assert.equal(await faunaSays(secrets[1]!), SUB);
  assert.ok(faunaAnswers.every((a) => a.status === 200), JSON.stringify(faunaAnswers));
  await shot(page, "04-renewed");

  // 5. Sign out everywhere. Inside the credential cache's window FaunaDB still accepts the
  // old secret, and the page says why; once the window has passed, FaunaDB refuses them all.
  const signedOutAt = Date.now();
  await page.getByRole("button", { name: "Sign out everywhere" }).click();
  await page.getByTestId("outcome").filter({ hasText: "the old secret" }).waitFor();
  assert.match(
    await text(page, "outcome"),
    /^Signed out everywhere: [12] secret\(s\) revoked\. FaunaDB still accepts the old secret: on a cluster a revoked secret can keep working for the credential cache's window \(up to about 60 s\); a secret past its expiry never does\.$/,
  );
  assert.match(await text(page, "revocation-note"), /may keep working for that cache's window, up to about a minute\. A secret past its expiry never does/);
  assert.equal(await text(page, "state"), "no");
  await refusedWithinWindow(secrets, signedOutAt);
  assert.equal(await ledgerEntries(), 0);
  await shot(page, "05-signed-out-everywhere");

  // 6. Sign in again and sign out of this secret only (Logout(false) from the browser). A new
  // sign-in is a JWT issued after the sign-out; `iat` has whole seconds, so a person (who
  // takes longer anyway) is imitated by waiting for the next second.
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
  await page.locator("input[name=lifetime]").fill("600");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("document").filter({ hasText: SUB }).waitFor();
  await received(secrets, 3);
  assert.equal(await faunaSays(secrets[2]!), SUB);
  const loggedOutAt = Date.now();
  await page.getByRole("button", { name: "Sign out (this secret)" }).click();
  await page.getByTestId("outcome").filter({ hasText: "the old secret" }).waitFor();
  assert.match(await text(page, "outcome"), /^Signed out: this secret was logged out at FaunaDB\. FaunaDB still accepts the old secret: on a cluster/);
  await refusedWithinWindow([secrets[2]!], loggedOutAt);
  await shot(page, "06-logged-out-one-secret");

  // 7. Without the permission: the same user, a secret whose token carries no read:orders,
  // and FaunaDB refuses the orders (the role's membership predicate is false).
  await page.locator("input[name=permission]").uncheck();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("orders").filter({ hasText: "Permission denied" }).waitFor();
  assert.match(await text(page, "orders"), /^Permission denied \(403\): this secret's token carries no read:orders permission/);
  assert.match(await text(page, "document"), new RegExp(SUB.replace("|", "\\|")), "its own document it still reads");
  await received(secrets, 4);
  assert.equal(await ordersFor(secrets[3]!), "PermissionDenied");
  await shot(page, "07-without-the-permission");
  await page.getByRole("button", { name: "Sign out (this secret)" }).click();
  await page.getByTestId("outcome").filter({ hasText: "the old secret" }).waitFor();

  // Memory only: no secret and no JWT in the URL, storage, cookies or the page.
  const kept = await page.evaluate(() => ({
    url: location.href,
    local: JSON.stringify({ ...localStorage }),
    session: JSON.stringify({ ...sessionStorage }),
    cookie: document.cookie,
    html: document.documentElement.outerHTML,
  }));
  assert.ok(jwts.length >= 5, `JWTs minted: ${jwts.length}`);
  for (const value of [...secrets, ...jwts]) {
    for (const [where, content] of Object.entries(kept)) assert.ok(!content.includes(value), `a secret or JWT in ${where}`);
  }
  assert.equal(kept.local, "{}");
  assert.equal(kept.session, "{}");

  // 8. On a deployed site there is no config.json: the page says what it is and where the app goes.
  await page.route("**/config.json", (route) => route.fulfill({ status: 404, contentType: "text/plain", body: "Not Found" }));
  await page.reload();
  await page.locator("#deployed").waitFor({ state: "visible" });
  assert.equal(await page.locator("#demo").isVisible(), false);
  assert.match(await page.locator("#deployed").innerText(), /public\/ is where your own frontend goes/);
  await shot(page, "08-deployed-site");

  assert.deepEqual(pageErrors, []);
  // The only console errors are the browser's notes on the refusals asked for above.
  assert.deepEqual(consoleErrors.filter((m) => !/status of (401|403|404)/.test(m)), []);
  await context.close();
});

/** npm start's `cors_origin_refused` log lines so far. */
function refusedOrigins(): Record<string, unknown>[] {
  return app
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes('"event":"cors_origin_refused"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Sign in as `sub` for `lifetime` seconds, from the page as it is. */
async function signIn(page: Page, sub: string, lifetime: number): Promise<void> {
  await page.locator("input[name=sub]").fill(sub);
  await page.locator("input[name=lifetime]").fill(String(lifetime));
  await page.getByRole("button", { name: "Sign in" }).click();
}

const outcomeWith = (page: Page, hasText: string | RegExp) => page.getByTestId("outcome").filter({ hasText }).waitFor();
/** An empty status line is not visible, so it is waited for by its text. */
const outcomeCleared = (page: Page) => page.waitForFunction(() => document.querySelector('[data-testid="outcome"]')?.textContent === "");

test("each failure names its step in the server's words, and the status clears once it works again", { timeout: 120_000 }, async () => {
  const context = await browser.newContext();
  const pageErrors: string[] = [];
  const open = async (url: string) => {
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.locator("#demo").waitFor({ state: "visible" });
    return page;
  };
  const pageUrl = new URL(app.urls.demoPage);
  const mintUrl = app.urls.mint.split("?")[0]!;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  assert.match(app.output(), new RegExp(`^Origins +${esc(ALLOWED_ORIGIN)} \\(ALLOWED_ORIGINS\\), and the demo page's own, may call /api/token and /mint$`, "m"));

  // 9. The identity provider, refusing this page's origin: the same page under another host
  // name is another origin, which ALLOWED_ORIGINS does not list, so /mint (like /api/token)
  // gives it no CORS grant. The browser tells the page nothing more than that it failed.
  const otherOrigin = `http://${OTHER_HOST}:${pageUrl.port}`;
  const elsewhere = await open(`${otherOrigin}/`);
  await signIn(elsewhere, SUB, 60);
  await outcomeWith(elsewhere, "failed at the identity provider");
  assert.equal(
    await text(elsewhere, "outcome"),
    `Signing in failed at the identity provider: GET ${mintUrl} could not be reached from this page: refused by CORS (this page's origin, ${otherOrigin}, is not in ALLOWED_ORIGINS, which /mint follows as /api/token does), or the dev issuer is not running.`,
  );
  assert.equal(await text(elsewhere, "state"), `no, signing in as ${SUB}…`);
  assert.equal(await text(elsewhere, "secret"), "none");
  assert.equal(await text(elsewhere, "exchanges"), "0");
  await shot(elsewhere, "09-identity-provider-refuses-the-origin");
  await elsewhere.close();
  // npm start's log says which origin /mint refused, and that it was /mint.
  const atMint = refusedOrigins().filter((l) => l.origin === otherOrigin);
  assert.equal(atMint.length, 1, JSON.stringify(refusedOrigins()));
  assert.equal(atMint[0]!.endpoint, "GET /mint");

  // 10. The identity provider's own description: /mint refuses a user id of spaces.
  const page = await open(app.urls.demoPage);
  await signIn(page, "   ", 60);
  await outcomeWith(page, "failed at the identity provider");
  assert.equal(
    await text(page, "outcome"),
    `Signing in failed at the identity provider: GET ${mintUrl} answered 400: sub is empty: give the user's id, e.g. sub=auth0|dev-user`,
  );
  assert.equal(await text(page, "state"), "no, signing in as …");
  await shot(page, "10-identity-provider-400");

  // 11. The token endpoint answering 503, then recovering. The users index is rebuilt over
  // more documents than FaunaDB indexes at once, so it builds in the background (the cluster
  // profile: 400 documents a second) and the exchange answers 503 with Retry-After: 5 until it
  // is active. The page says so, is not signed in meanwhile, and signs in once it can. 1,800
  // documents build in about 4.5 s: time enough for the sign-in to meet the build on a slow
  // machine, and over before the page asks again, 5 s after it was refused.
  const recovering = "auth0|browser-demo-recovery";
  for (let batch = 0; batch < 9; batch++) {
    const subs = Array.from({ length: 200 }, (_, i) => `auth0|filler-${batch}-${i}`);
    await root.query(q.Foreach(subs, q.Lambda("sub", q.Create(q.Collection(DEFAULT_USERS_COLLECTION), { data: { auth0_id: q.Var("sub") } }))));
  }
  await root.query(q.Delete(q.Index(DEFAULT_USERS_INDEX)));
  await root.query(q.CreateIndex(indexParams(usersIndexDefinition())));
  await signIn(page, recovering, 600);
  await outcomeWith(page, "failed at the token endpoint");
  assert.match(
    await text(page, "outcome"),
    /^Signing in failed at the token endpoint: \/api\/token answered 503 temporarily_unavailable: The database is still building an index this service needs; try again later\. Trying again in [1-5] s\.$/,
  );
  assert.equal(await text(page, "state"), `no, signing in as ${recovering}…`);
  assert.equal(await text(page, "secret"), "none");
  assert.equal(await text(page, "document"), "(sign in)");
  await shot(page, "11-token-endpoint-503");
  await page.getByTestId("document").filter({ hasText: recovering }).waitFor();
  assert.equal(await text(page, "state"), `yes, as ${recovering}`);
  await outcomeCleared(page);
  assert.match(await text(page, "queries"), /^\d+ answered, [1-9]\d* failed$/);
  await shot(page, "12-token-endpoint-recovered");

  // 13. FaunaDB refusing the read, then accepting it again: the user role loses its
  // privileges and gets them back. Signed in all along (FaunaDB knows the secret; it
  // refuses the action), and the status says what FaunaDB said, then nothing.
  await root.query(q.Update(q.Role(USER_ROLE), { privileges: [] }));
  try {
    await outcomeWith(page, "failed at FaunaDB");
    assert.equal(
      await text(page, "outcome"),
      `Reading your document failed at FaunaDB: ${app.urls.emulator} answered 403 permission denied: Insufficient privileges to perform the action.`,
    );
    assert.equal(await text(page, "state"), `yes, as ${recovering}`);
    await shot(page, "13-faunadb-403");
  } finally {
    await root.query(q.Update(q.Role(USER_ROLE), roleParams(userRoleDefinition())));
  }
  const answered = Number(/^(\d+) answered/.exec(await text(page, "queries"))![1]);
  await outcomeCleared(page);
  await page.waitForFunction(
    (n) => Number(/^(\d+) answered/.exec(document.querySelector('[data-testid="queries"]')?.textContent ?? "")?.[1]) > n,
    answered,
  );
  assert.equal(await text(page, "outcome"), "");
  await shot(page, "14-faunadb-recovered");
  await page.getByRole("button", { name: "Sign out (this secret)" }).click();
  await outcomeWith(page, "Signed out");

  // Never a request from the page's own origin logged as refused (ALLOWED_ORIGINS is set):
  // the one line is the other host's at /mint.
  assert.deepEqual(
    refusedOrigins().map((l) => `${l.endpoint ?? "/api/token"} ${l.origin}`),
    [`GET /mint ${otherOrigin}`],
  );
  assert.deepEqual(pageErrors, []);
  await context.close();
});
