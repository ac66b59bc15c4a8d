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
 * Secrets and JWTs stay in variables of this module: never in the URL, storage or
 * the page's text (README, "Frontend").
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

async function startDemo(config) {
  const [client, { default: faunadb }] = await Promise.all([import(config.modules.client), import(config.modules.faunadb)]);
  const { createSecretSource, faunaQuery, isUnauthorized, SignInRequired, TemporarilyUnavailable } = client;
  const q = faunadb.query;
  show("demo");

  /** The signed-in session, or the last one (kept for its counters) once signed out. */
  let session;

  // One driver for the page, without a secret of its own: each query carries the session's.
  const fauna = new faunadb.Client({
    secret: "",
    endpoint: config.faunaEndpoint,
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

  function render() {
    const s = session;
    byTestId("state").textContent = s?.active ? `yes, as ${s.sub}` : "no";
    if (s?.active && s.current) {
      const left = Math.max(0, Math.ceil((s.current.expiresAt.getTime() - Date.now()) / 1000));
      byTestId("secret").textContent = `#${s.secretNumber}, expires in ${left} s (at ${s.current.expiresAt.toLocaleTimeString()})`;
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
          : `Reading the orders failed: ${describe(e)}`;
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
        s.answered++;
        if (current.secret !== s.ordersShownFor) {
          s.ordersShownFor = current.secret;
          await showOrders(s);
        }
      } catch (e) {
        s.failed++;
        if (e instanceof SignInRequired) {
          s.active = false;
          outcome(`The access token was refused (${e.error}): sign in again.`);
        } else if (e instanceof TemporarilyUnavailable) {
          outcome(`The token endpoint is unavailable${e.retryAfter ? `; trying again in ${e.retryAfter} s` : ""}.`);
        } else {
          outcome(`Query failed: ${describe(e)}`);
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
    const s = { sub, active: true, exchanges: 0, answered: 0, failed: 0, refusals: 0, secretNumber: 0, current: undefined };
    s.source = createSecretSource({
      tokenUrl: config.tokenUrl,
      faunaEndpoint: config.faunaEndpoint,
      // What auth0.getTokenSilently() is to an Auth0 app: a valid access token, on request.
      getAccessToken: async () => {
        const res = await fetch(`${config.mintUrl}?sub=${encodeURIComponent(sub)}&expires_in=${lifetime}${permissions}`);
        if (!res.ok) throw new Error(`The development issuer answered ${res.status}.`);
        return res.text();
      },
      fetch: (input, init) => {
        if (input === config.tokenUrl && init.method === "POST") s.exchanges++;
        return fetch(input, init);
      },
      // A renewal failed (or the previous secret's logout): the current secret keeps serving.
      onRenewalError: (e, expiresAt) => {
        outcome(`Renewing failed (${describe(e)}); the current secret serves until ${expiresAt.toLocaleTimeString()}.`);
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
      outcome(`Signing out failed: ${describe(e)}`);
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
      outcome(isUnauthorized(e) ? `${done} FaunaDB refuses the old secret (401 Unauthorized).` : `${done} Checking the old secret failed: ${describe(e)}`);
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
