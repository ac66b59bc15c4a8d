/**
 * The demo page: sign in at the development issuer, trade its JWT for a FaunaDB
 * secret at /api/token with fauna-token-exchange-client, read your own user
 * document from this browser with the faunadb driver once a second (the secret is
 * renewed on the way, before it expires), read the orders a role grants only to a
 * JWT with the `read:orders` permission, and sign out. Plain JavaScript with no
 * build step: what it needs from `npm start` (the URLs, and the client and driver
 * bundled for browsers) comes from config.json, which a deployed site does not
 * have; there the page explains what it is instead.
 *
 * "Signed in" is yes only once FaunaDB has accepted a secret of the session. A failure
 * says which step failed (the identity provider, the token endpoint, FaunaDB: the client's
 * failedStep) in that server's own words, and the status line clears once it works again.
 *
 * Secrets and JWTs stay in variables of this module: never in the URL, storage or
 * the page's text (docs/frontend.md, "Why memory only").
 */

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const show = (id) => {
  document.getElementById(id).hidden = false;
};

async function loadConfig() {
  try {
    const res = await fetch("config.json", { cache: "no-store" });
    if (!res.ok || !(res.headers.get("content-type") ?? "").includes("json")) return undefined;
    const config = await res.json();
    return typeof config?.mintUrl === "string" ? config : undefined;
  } catch {
    return undefined;
  }
}

const describe = (e) => (e && typeof e === "object" && "code" in e ? `${e.code}: ${e.message}` : `${e?.name ?? "Error"}: ${e?.message ?? e}`);

const STEPS = { "identity-provider": "the identity provider", "token-endpoint": "the token endpoint", faunadb: "FaunaDB" };
/** Seconds a FaunaDB query may take before the page calls it unanswered (the driver's own default is 60). */
const FAUNA_TIMEOUT_SECONDS = 10;

async function startDemo(config) {
  const [client, { default: faunadb }] = await Promise.all([import(config.modules.client), import(config.modules.faunadb)]);
  const { createSecretSource, failedStep, faunaQuery, isUnauthorized, LogoutFailed, SignInRequired, TemporarilyUnavailable } = client;
  const q = faunadb.query;
  show("demo");

  /** What the server of `step` said, in its own words; or that it did not answer. */
  function said(step, e) {
    if (step === "identity-provider") {
      // An Auth0 SDK's errors carry OAuth's fields; the dev issuer's getAccessToken below, a message.
      return e?.error_description ? `${e.error}: ${e.error_description}` : (e?.message ?? String(e));
    }
    if (step === "token-endpoint") {
      const answer = e.status ? `${config.tokenUrl} answered ${e.status}${e.error ? ` ${e.error}` : ""}: ${e.message}` : e.message;
      return e instanceof TemporarilyUnavailable && e.retryAfter ? `${answer} Trying again in ${e.retryAfter} s.` : answer;
    }
    // FaunaDB: its status, its error code and its description, as the driver received them.
    const result = e?.requestResult;
    if (result) {
      const first = result.responseContent?.errors?.[0];
      return `${config.faunaEndpoint} answered ${result.statusCode}${first ? ` ${first.code}: ${first.description}` : "."}`;
    }
    if (e instanceof LogoutFailed) return e.message;
    if (e?.isTimeoutError) return `${config.faunaEndpoint} did not answer within ${FAUNA_TIMEOUT_SECONDS} s.`;
    return `${config.faunaEndpoint} could not be reached (${e?.message ?? e}).`;
  }

  /**
   * A failure as the user reads it: `<what> failed at <step>: <what its server said>`.
   * The step is the client's to tell (failedStep), or the caller's for a query of the
   * page's own.
   */
  function failure(what, e, step = failedStep(e)) {
    return step ? `${what} failed at ${STEPS[step]}: ${said(step, e)}` : `${what} failed in this page: ${describe(e)}`;
  }

  /** The signed-in session, or the last one (kept for its counters) once signed out. */
  let session;

  // One driver for the page, without a secret of its own: each query carries the session's.
  const fauna = new faunadb.Client({
    secret: "",
    endpoint: config.faunaEndpoint,
    timeout: FAUNA_TIMEOUT_SECONDS,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 401 && session?.active) session.refusals++;
      return res;
    },
  });

  // The user document, and FaunaDB's own expiry of the secret (its token's ttl).
  const readMe = q.Let(
    { me: q.Get(q.CurrentIdentity()), token: q.Get(q.CurrentToken()) },
    { ref: q.Select("ref", q.Var("me")), data: q.Select("data", q.Var("me"), {}), ttl: q.Select("ttl", q.Var("token"), null) },
  );

  const form = document.getElementById("sign-in");
  const signOutButton = document.getElementById("sign-out");
  const everywhereButton = document.getElementById("sign-out-everywhere");
  const outcome = (text) => {
    byTestId("outcome").textContent = text;
  };

  /**
   * The status line while signed in says what is failing now, and nothing once it works
   * again: a failed read until a read succeeds, a failed renewal (or logout of the
   * previous secret) until a new secret serves. Only the current session may write it.
   */
  function report(s, kind, text) {
    if (session !== s || !s.active) return;
    s.problem = { kind, secret: s.current?.secret };
    outcome(text);
  }
  function recovered(s) {
    const p = s.problem;
    if (session !== s || !p) return;
    if (p.kind === "read" || s.current?.secret !== p.secret) {
      s.problem = undefined;
      outcome("");
    }
  }

  function render() {
    const s = session;
    const now = Date.now();
    const live = s?.active && s.current && now < s.current.expiresAt.getTime();
    // Signed in: a secret in hand, not expired, that FaunaDB has accepted.
    byTestId("state").textContent = !s?.active ? "no" : live && s.signedIn ? `yes, as ${s.sub}` : `no, signing in as ${s.sub}…`;
    if (live) {
      const left = Math.max(0, Math.ceil((s.current.expiresAt.getTime() - now) / 1000));
      byTestId("secret").textContent = `#${s.secretNumber}, expires in ${left} s (at ${s.current.expiresAt.toLocaleTimeString()})`;
    } else if (s?.active && s.current) {
      byTestId("secret").textContent = `none (#${s.secretNumber} expired at ${s.current.expiresAt.toLocaleTimeString()})`;
    } else {
      byTestId("secret").textContent = "none";
    }
    byTestId("exchanges").textContent = String(s?.exchanges ?? 0);
    byTestId("queries").textContent = `${s?.answered ?? 0} answered, ${s?.failed ?? 0} failed`;
    byTestId("refusals").textContent = String(s?.refusals ?? 0);
    signOutButton.disabled = everywhereButton.disabled = !s?.active;
  }
  setInterval(render, 250);

  // What the role orders_reader grants: every order, through the index, or a refusal.
  const readOrders = q.Map(q.Paginate(q.Match(q.Index("all_orders"))), q.Lambda("r", q.Select("data", q.Get(q.Var("r")))));
  async function showOrders(s) {
    try {
      const page = await s.query(readOrders);
      byTestId("orders").textContent = page.data.map((o) => `${o.quantity} × ${o.item}`).join("\n");
    } catch (e) {
      byTestId("orders").textContent =
        e?.name === "PermissionDenied"
          ? "Permission denied (403): this secret's token carries no read:orders permission, so the role orders_reader does not apply."
          : failure("Reading the orders", e);
    }
  }

  function showDocument(me) {
    byTestId("document").textContent = [
      `ref   ${me.ref}`,
      `data  ${JSON.stringify(me.data)}`,
      `FaunaDB ends this secret at ${me.ttl?.value ?? "(no ttl)"}`,
    ].join("\n");
  }

  // Once a second while signed in: make sure of a secret, then read with it.
  async function run(s) {
    while (s.active) {
      try {
        const current = await s.source.getSecret();
        if (current.secret !== s.current?.secret) s.secretNumber++;
        s.current = current;
        showDocument(await s.query(readMe));
        // FaunaDB accepted the session's secret: signed in, and whatever failed works again.
        s.signedIn = s.wasSignedIn = true;
        s.answered++;
        recovered(s);
        if (current.secret !== s.ordersShownFor) {
          s.ordersShownFor = current.secret;
          await showOrders(s);
        }
      } catch (e) {
        s.failed++;
        const step = failedStep(e);
        // No secret to be had (the exchange failed), or FaunaDB refused the one there was.
        if (step !== "faunadb" || isUnauthorized(e)) s.signedIn = false;
        const what = !s.wasSignedIn ? "Signing in" : step === "faunadb" ? "Reading your document" : "Getting a new secret";
        if (e instanceof SignInRequired) {
          report(s, "read", `${failure(what, e)} Sign in again.`);
          s.active = false;
        } else {
          report(s, "read", failure(what, e));
        }
      }
      render();
      await new Promise((resolve) => {
        s.wake = resolve;
        setTimeout(resolve, 1000);
      });
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (session?.active) {
      session.active = false;
      session.source.invalidate();
    }
    const sub = form.elements.sub.value.trim();
    const lifetime = Number(form.elements.lifetime.value);
    const permissions = form.elements.permission.checked ? "&permissions=read:orders" : "";
    const s = { sub, active: true, signedIn: false, exchanges: 0, answered: 0, failed: 0, refusals: 0, secretNumber: 0, current: undefined };
    s.source = createSecretSource({
      tokenUrl: config.tokenUrl,
      faunaEndpoint: config.faunaEndpoint,
      // What auth0.getTokenSilently() is to an Auth0 app: a valid access token, on request.
      getAccessToken: async () => {
        let res;
        try {
          res = await fetch(`${config.mintUrl}?sub=${encodeURIComponent(sub)}&expires_in=${lifetime}${permissions}`);
        } catch {
          // The browser does not say why; these are the ways it happens here.
          throw new Error(
            `GET ${config.mintUrl} could not be reached from this page: refused by CORS (this page's origin, ${location.origin}, is not in ALLOWED_ORIGINS, which /mint follows as /api/token does), or the dev issuer is not running.`,
          );
        }
        const body = await res.text();
        if (!res.ok) throw new Error(`GET ${config.mintUrl} answered ${res.status}: ${body}`);
        return body;
      },
      fetch: (input, init) => {
        if (input === config.tokenUrl && init.method === "POST") s.exchanges++;
        return fetch(input, init);
      },
      // A renewal failed (or the previous secret's logout): the current secret keeps serving.
      onRenewalError: (e, expiresAt) => {
        const until = expiresAt.toLocaleTimeString();
        report(
          s,
          "renewal",
          e instanceof LogoutFailed
            ? `${failure("Logging the previous secret out", e)} It works until it expires, at ${until}.`
            : `${failure("Renewing the secret", e)} The current secret serves until ${until}.`,
        );
      },
    });
    s.query = faunaQuery(s.source, fauna);
    session = s;
    outcome("");
    render();
    s.loop = run(s);
  });

  async function signOut(everywhere) {
    const s = session;
    if (!s?.active) return;
    // Stop this session's reads first: none may exchange a new secret once signing out begins.
    s.active = false;
    s.wake?.();
    await s.loop;
    render();
    const last = s.current;
    outcome("Signing out…");
    let done;
    try {
      const { revoked } = await s.source.signOut({ everywhere });
      done = everywhere
        ? `Signed out everywhere: ${revoked} secret(s) revoked.`
        : "Signed out: this secret was logged out at FaunaDB.";
    } catch (e) {
      outcome(failure("Signing out", e));
      return;
    }
    byTestId("document").textContent = byTestId("orders").textContent = "(signed out)";
    if (!last) return outcome(done);
    // Ask FaunaDB directly about the last secret this page used (no renewal, no retry).
    try {
      await fauna.query(q.CurrentIdentity(), { secret: last.secret });
      // A cluster finds secrets through a credential cache: a deleted one may work a little longer.
      outcome(`${done} FaunaDB still accepts the old secret: on a cluster a revoked secret can keep working for the credential cache's window (up to about 60 s); a secret past its expiry never does.`);
    } catch (e) {
      outcome(isUnauthorized(e) ? `${done} FaunaDB refuses the old secret (401 Unauthorized).` : `${done} ${failure("Checking the old secret", e, "faunadb")}`);
    }
    s.current = undefined;
  }
  signOutButton.addEventListener("click", () => void signOut(false));
  everywhereButton.addEventListener("click", () => void signOut(true));
  render();
}

const config = await loadConfig();
document.getElementById("loading").hidden = true;
if (config) {
  startDemo(config).catch((e) => {
    show("demo");
    byTestId("outcome").textContent = `The demo could not start: ${describe(e)}`;
  });
} else {
  show("deployed");
}
