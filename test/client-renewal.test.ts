/**
 * The browser client's renewal, run in Node against the served exchange and the
 * database: once the renewed secret serves, the previous one is logged out at
 * FaunaDB (never under a running query), so a tab holds one live secret and leaves
 * the user's bound to their other devices; a still-valid secret keeps serving
 * through any failure of the renewal, which is tried again with capped exponential
 * backoff; and every request has a deadline. What fails is real: an identity
 * provider that throws, the database refusing, and a local gate in front of the
 * endpoint (or standing for FaunaDB) that refuses connections, never answers, or
 * answers with a proxy's error page.
 */
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import faunadb from "faunadb";
import { emulatorOnly } from "fql4-emulator/testing";
import { startStack, type Stack } from "./support/stack.ts";
import { harness, renew, until, type Harness } from "./support/client-harness.ts";
import { ExchangeFailed, LogoutFailed, SignInRequired, TemporarilyUnavailable, type Secret } from "../client/src/index.ts";

const q = faunadb.query;
/** The default refreshMarginSeconds, in ms. */
const MARGIN_MS = 60_000;

/** Whether FaunaDB accepts a secret: a query with it through the driver. */
async function accepted(s: Stack, secret: string): Promise<boolean> {
  try {
    await s.target.client(secret).query(q.CurrentToken());
    return true;
  } catch (e) {
    if ((e as Error).name === "Unauthorized") return false;
    throw e;
  }
}

/** Renews `previous` and waits until FaunaDB refuses it; returns the renewed secret. */
async function renewAndLogOut(s: Stack, h: Harness, previous: Secret): Promise<Secret> {
  const next = await renew(h, previous, MARGIN_MS);
  await until("the previous secret logged out", async () => !(await accepted(s, previous.secret)));
  return next;
}

type GateMode = "forward" | "refuse" | "hang" | "stall" | "error-page";

/**
 * A local HTTP server in front of `target` (or in place of it, without one): it
 * forwards, refuses connections (offline), never answers, answers headers and then a
 * body that never ends, or answers 500 with a proxy's HTML error page.
 */
async function startGate(target?: string) {
  let mode: GateMode = "forward";
  let abandoned = 0;
  const server = createServer(async (req, res) => {
    if (mode === "refuse") return void req.socket.destroy();
    if (mode === "hang" || mode === "stall") {
      res.on("close", () => abandoned++);
      if (mode === "stall") res.writeHead(200, { "content-type": "application/json" }).write('{"secret":');
      return;
    }
    if (mode === "error-page" || !target) {
      res.writeHead(500, { "content-type": "text/html" }).end("<h1>500 Internal Server Error</h1>");
      return;
    }
    const answer = await fetch(target, { method: req.method!, headers: { authorization: req.headers.authorization ?? "" } });
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "retry-after", "www-authenticate"]) {
      const v = answer.headers.get(name);
      if (v !== null) headers[name] = v;
    }
    res.writeHead(answer.status, headers).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/token`,
    set mode(m: GateMode) {
      mode = m;
    },
    /** Requests whose connection the client closed before the gate answered in full. */
    get abandoned() {
      return abandoned;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
type Gate = Awaited<ReturnType<typeof startGate>>;

describe("after a renewal, the previous secret is logged out", () => {
  let s: Stack;
  before(async () => {
    // A bound of three: a device's secret, and a tab's during its renewal (the one it renews and
    // the renewed one). A tab that kept its previous secrets alive would evict the other device.
    s = await startStack({ users: ["auth0|alice", "auth0|bob", "auth0|carol"], env: { MAX_LIVE_SECRETS_PER_USER: "3" } });
  });
  after(() => s.close());

  test("FaunaDB refuses the previous secret and accepts the renewed one: a renewing tab holds one live secret", async () => {
    const h = harness(s);
    const all = [await h.source.getSecret()];
    for (let i = 0; i < 3; i++) all.push(await renewAndLogOut(s, h, all.at(-1)!));
    assert.equal(h.exchanges(), 4);
    assert.equal(h.logouts(), 3);
    assert.deepEqual(await Promise.all(all.map((x) => accepted(s, x.secret))), [false, false, false, true]);
  });

  test("renewals leave the live-secret bound to the user's other devices", async () => {
    const phone = harness(s, { sub: "auth0|bob" });
    const laptop = harness(s, { sub: "auth0|bob" });
    const onPhone = await phone.source.getSecret();
    let onLaptop = await laptop.source.getSecret();
    for (let i = 0; i < 3; i++) onLaptop = await renewAndLogOut(s, laptop, onLaptop);
    assert.equal(await accepted(s, onPhone.secret), true, "the phone's secret was evicted");
    assert.equal(await accepted(s, onLaptop.secret), true);
  });

  test("a query running with the previous secret is not cut: its logout waits until the query settles", async () => {
    const h = harness(s);
    const first = await h.source.getSecret();
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const running = h.source.withSecret(async ({ secret }) => {
      await gate;
      return accepted(s, secret);
    });
    const second = await renew(h, first, MARGIN_MS);
    // With nothing holding it, the logout would go out at once (logoutDelayMs: 0).
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(h.logouts(), 0);
    finish();
    assert.equal(await running, true, "the query at the end of the hold ran with the previous secret, accepted");
    await until("the previous secret logged out", async () => h.logouts() === 1 && !(await accepted(s, first.secret)));
    assert.equal(await accepted(s, second.secret), true);
  });

  test("logoutDelayMs: a secret handed out by getSecret() stays accepted that long after the renewal", async () => {
    const h = harness(s, { logoutDelayMs: 1000 });
    const first = await h.source.getSecret();
    const renewing = Date.now();
    await renew(h, first, MARGIN_MS);
    assert.equal(await accepted(s, first.secret), true);
    await until("the previous secret logged out", async () => !(await accepted(s, first.secret)));
    // Timers may fire a millisecond early by the wall clock, never sooner.
    assert.ok(Date.now() - renewing >= 990, `logged out ${Date.now() - renewing} ms after the renewal began`);
    assert.equal(h.logouts(), 1);
  });

  test("without faunaEndpoint the previous secret cannot be logged out: it lives until it expires", async () => {
    const h = harness(s, { sub: "auth0|carol", faunaEndpoint: undefined });
    const first = await h.source.getSecret();
    const second = await renew(h, first, MARGIN_MS);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(h.requests, [`POST ${s.url}`, `POST ${s.url}`], "only the two exchanges");
    assert.equal(await accepted(s, first.secret), true);
    assert.equal(await accepted(s, second.secret), true);
  });

  test("signOut() also ends a previous secret whose logout is still waiting", async () => {
    // Longer than the test: signOut() must not wait for it, and must not leave its timer behind.
    const h = harness(s, { sub: "auth0|carol", logoutDelayMs: 600_000 });
    const first = await h.source.getSecret();
    const second = await renew(h, first, MARGIN_MS);
    assert.equal(await accepted(s, first.secret), true);
    assert.deepEqual(await h.source.signOut(), { revoked: 2, complete: true });
    assert.deepEqual(await Promise.all([accepted(s, first.secret), accepted(s, second.secret)]), [false, false]);
    assert.equal(h.logouts(), 2);
  });

  test("a logout FaunaDB does not confirm reaches onRenewalError, with when the previous secret dies by itself", async () => {
    const refusing = await startGate();
    try {
      const h = harness(s, { sub: "auth0|carol", faunaEndpoint: refusing.url });
      const first = await h.source.getSecret();
      await renew(h, first, MARGIN_MS);
      await until("told", () => h.renewalErrors.length === 1);
      const [{ error, expiresAt }] = h.renewalErrors as [{ error: LogoutFailed; expiresAt: Date }];
      assert.ok(error instanceof LogoutFailed);
      assert.deepEqual([error.name, error.code, error.status], ["LogoutFailed", "ERR_LOGOUT_FAILED", 500]);
      assert.equal(expiresAt.getTime(), first.expiresAt.getTime());
    } finally {
      await refusing.close();
    }
  });
});

describe("through a gate in front of the endpoint", () => {
  let s: Stack;
  let gate: Gate;
  before(async () => {
    s = await startStack({ users: ["auth0|alice"] });
    gate = await startGate(s.url);
  });
  after(async () => {
    await gate.close();
    await s.close();
  });

  describe("a renewal that fails: the still-valid secret keeps serving", () => {
    test("identity-provider network error: served, told, tried again after 1, 2, 4, 8, 16, 30, 30 s, then renewed", async () => {
      let idpDown = false;
      const h: Harness = harness(s, {
        refreshMarginSeconds: 120,
        getAccessToken: () => {
          h.accessTokens++;
          if (idpDown) throw new TypeError("Failed to fetch");
          return s.issuer.mint({ sub: "auth0|alice" });
        },
      });
      const first = await h.source.getSecret();
      idpDown = true;
      h.now = first.expiresAt.getTime() - 120_000;
      const attempt = async (n: number) => {
        assert.equal(await h.source.getSecret(), first);
        await until(`failure ${n} told`, () => h.renewalErrors.length === n);
        assert.equal(h.accessTokens, n + 1);
      };
      await attempt(1);
      const { error, expiresAt } = h.renewalErrors[0]!;
      assert.ok(error instanceof TypeError && error.message === "Failed to fetch", String(error));
      assert.equal(expiresAt.getTime(), first.expiresAt.getTime());
      for (const [i, delay] of [1000, 2000, 4000, 8000, 16000, 30_000].entries()) {
        h.now += delay - 1;
        assert.equal(await h.source.getSecret(), first);
        assert.equal(h.accessTokens, i + 2, `asked again before ${delay} ms`);
        h.now += 1;
        await attempt(i + 2);
      }
      idpDown = false;
      h.now += 30_000;
      let renewed = first;
      await until("renewed", async () => (renewed = await h.source.getSecret()) !== first);
      assert.equal(h.renewalErrors.length, 7);
      assert.equal(await accepted(s, renewed.secret), true);
      await until("the previous secret logged out", async () => !(await accepted(s, first.secret)));
    });

    test("the database unavailable (503): served; its Retry-After holds the next attempt back beyond the backoff", async (t) => {
      const emu = emulatorOnly(t, s.target, "injected faults");
      if (!emu) return;
      const h = harness(s);
      const first = await h.source.getSecret();
      emu.faults.failQueries({ count: 1, status: 503 });
      h.now = first.expiresAt.getTime() - MARGIN_MS;
      assert.equal(await h.source.getSecret(), first);
      await until("told", () => h.renewalErrors.length === 1);
      const error = h.renewalErrors[0]!.error;
      assert.ok(error instanceof TemporarilyUnavailable);
      assert.deepEqual(
        [error.name, error.status, error.error, error.retryAfter],
        ["TemporarilyUnavailable", 503, "temporarily_unavailable", 2],
      );
      // The backoff (1 s) has passed, Retry-After (2 s) has not.
      h.now += 1999;
      assert.equal(await h.source.getSecret(), first);
      assert.equal(h.exchanges(), 2);
      h.now += 1;
      assert.equal(await h.source.getSecret(), first);
      await until("renewed", async () => (await h.source.getSecret()) !== first);
      assert.equal(h.exchanges(), 3);
    });

    test("offline (connections refused) and a proxy's 500 error page: served, told which, renewed once the endpoint is back", async () => {
      const h = harness(s, { tokenUrl: gate.url });
      const first = await h.source.getSecret();
      h.now = first.expiresAt.getTime() - MARGIN_MS;
      gate.mode = "refuse";
      assert.equal(await h.source.getSecret(), first);
      await until("told", () => h.renewalErrors.length === 1);
      const offline = h.renewalErrors[0]!.error;
      assert.ok(offline instanceof TemporarilyUnavailable && offline.status === 0, String(offline));
      assert.equal(offline.message, `The token endpoint (POST ${gate.url}) could not be reached: offline, DNS, or refused by CORS.`);

      gate.mode = "error-page";
      h.now += 1000;
      assert.equal(await h.source.getSecret(), first);
      await until("told", () => h.renewalErrors.length === 2);
      const errorPage = h.renewalErrors[1]!.error;
      assert.ok(errorPage instanceof ExchangeFailed && errorPage.status === 500, String(errorPage));

      gate.mode = "forward";
      h.now += 2000;
      let renewed = first;
      await until("renewed", async () => (renewed = await h.source.getSecret()) !== first);
      assert.equal(await accepted(s, renewed.secret), true);
      assert.equal(h.exchanges(), 4);
    });

    test("a 401 (the access token refused): served until it expires, the app told SignInRequired, then it is thrown", async () => {
      let refused = false;
      const h = harness(s, { getAccessToken: () => s.issuer.mint({ sub: "auth0|alice", expiresIn: refused ? -60 : 3600 }) });
      const first = await h.source.getSecret();
      refused = true;
      h.now = first.expiresAt.getTime() - MARGIN_MS;
      assert.equal(await h.source.getSecret(), first);
      await until("told", () => h.renewalErrors.length === 1);
      const { error, expiresAt } = h.renewalErrors[0]!;
      assert.ok(error instanceof SignInRequired, String(error));
      assert.equal(expiresAt.getTime(), first.expiresAt.getTime());
      assert.equal(await accepted(s, first.secret), true, "the secret is not ended by the refusal");
      h.now = first.expiresAt.getTime() - 1;
      assert.equal(await h.source.getSecret(), first);
      h.now += 1;
      await assert.rejects(h.source.getSecret(), SignInRequired);
    });

    test("without a secret to serve, the failure reaches the caller as it was thrown", async () => {
      const h = harness(s, {
        getAccessToken: () => {
          throw new TypeError("Failed to fetch");
        },
      });
      await assert.rejects(h.source.getSecret(), { name: "TypeError", message: "Failed to fetch" });
      assert.deepEqual(h.renewalErrors, []);
    });
  });

  describe("every request has a deadline (timeoutMs)", () => {

    for (const mode of ["hang", "stall"] as const) {
      const what = mode === "hang" ? "never answers" : "answers headers, then never ends its body";
      test(`a token endpoint that ${what}: TemporarilyUnavailable (status 0) after timeoutMs, the request abandoned`, async () => {
        gate.mode = mode;
        const abandonedBefore = gate.abandoned;
        const h = harness(s, { tokenUrl: gate.url, timeoutMs: 200 });
        await assert.rejects(h.source.getSecret(), (e: unknown) => {
          assert.ok(e instanceof TemporarilyUnavailable, String(e));
          assert.deepEqual(
            [e.name, e.code, e.status, e.error, e.retryAfter],
            ["TemporarilyUnavailable", "ERR_TEMPORARILY_UNAVAILABLE", 0, "", undefined],
          );
          assert.equal(e.message, `The token endpoint (POST ${gate.url}) did not answer within 200 ms (timeoutMs).`);
          return true;
        });
        await until("the connection closed by the client", () => gate.abandoned === abandonedBefore + 1);
      });
    }

    test("a renewal against a hung endpoint: the secret serves at once, not after the timeout; the timeout is told", async () => {
      gate.mode = "forward";
      const h = harness(s, { tokenUrl: gate.url, timeoutMs: 300 });
      const first = await h.source.getSecret();
      gate.mode = "hang";
      h.now = first.expiresAt.getTime() - MARGIN_MS;
      assert.equal(await h.source.getSecret(), first);
      assert.equal(h.renewalErrors.length, 0, "served before the renewal timed out");
      await until("told", () => h.renewalErrors.length === 1);
      assert.match(String(h.renewalErrors[0]!.error), /^TemporarilyUnavailable: .* did not answer within 300 ms \(timeoutMs\)\.$/);
      gate.mode = "forward";
      h.now += 1000;
      await until("renewed", async () => (await h.source.getSecret()) !== first);
    });

    test("FaunaDB's Logout that never answers: signOut() rejects with LogoutFailed (status 0) after timeoutMs", async () => {
      gate.mode = "hang";
      const h = harness(s, { faunaEndpoint: gate.url, timeoutMs: 200 });
      await h.source.getSecret();
      await assert.rejects(h.source.signOut(), (e: unknown) => {
        assert.ok(e instanceof LogoutFailed, String(e));
        assert.deepEqual([e.name, e.code, e.status], ["LogoutFailed", "ERR_LOGOUT_FAILED", 0]);
        assert.equal(e.message, `FaunaDB (${gate.url}) did not answer Logout within 200 ms (timeoutMs).`);
        return true;
      });
    });
  });
});
