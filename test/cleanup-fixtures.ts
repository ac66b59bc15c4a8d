/**
 * Fixtures shared by the cleanup and revocation suites (and the benchmark): the ledger
 * schema, users, and tokens issued directly with FQL in the same shape as the exchange
 * (token + ledger document created in one query), so these suites do not depend on the
 * JWT side of the project.
 */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import faunadb from "faunadb";
import { DEFAULT_USERS_COLLECTION, LEDGER_COLLECTION } from "../lib/core/ledger/layout.ts";
import { deploySchema } from "../lib/core/schema/deploy.ts";

const q = faunadb.query;

/** The ledger schema and the users collection/index, exactly as `npm run deploy-schema -- --with-users` creates them. */
export async function createLedgerSchema(client: faunadb.Client): Promise<void> {
  await deploySchema(client, { withUsers: true });
}

/** Creates one user per sub; returns their refs in the same order. */
export async function createUsers(client: faunadb.Client, subs: string[]): Promise<faunadb.values.Ref[]> {
  return (await client.query(
    q.Map(subs, q.Lambda("sub", q.Select("ref", q.Create(q.Collection(DEFAULT_USERS_COLLECTION), { data: { auth0_id: q.Var("sub") } })))),
  )) as faunadb.values.Ref[];
}

export interface IssueSpec {
  user: faunadb.values.Ref;
  /** The ledger's expires_at, in ms since the epoch. */
  expiresAt: number;
  /**
   * The token's ttl: by default the same instant (what the exchange does); `"none"` for a
   * token with no ttl, or a later instant, to model a token that outlives its ledger expiry.
   */
  tokenTtl?: number | "none";
}

export interface Issued {
  secret: string;
  token: faunadb.values.Ref;
  entry: faunadb.values.Ref;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Issues tokens in one query per `chunk` specs, each token with its ledger document. */
export async function issueTokens(client: faunadb.Client, specs: IssueSpec[], chunk = 500): Promise<Issued[]> {
  const out: Issued[] = [];
  for (let i = 0; i < specs.length; i += chunk) {
    const part = specs.slice(i, i + chunk).map((s) => ({
      user: s.user,
      expires_at: iso(s.expiresAt),
      ttl: s.tokenTtl === "none" ? null : iso(s.tokenTtl ?? s.expiresAt),
    }));
    const issued = (await client.query(
      q.Map(
        part,
        q.Lambda(
          "s",
          q.Let(
            {
              token: q.Create(
                q.Tokens(),
                q.If(
                  q.IsNull(q.Select("ttl", q.Var("s"))),
                  { instance: q.Select("user", q.Var("s")) },
                  { instance: q.Select("user", q.Var("s")), ttl: q.Time(q.Select("ttl", q.Var("s"))) },
                ),
              ),
              entry: q.Create(q.Collection(LEDGER_COLLECTION), {
                data: {
                  token_ref: q.Select("ref", q.Var("token")),
                  user_ref: q.Select("user", q.Var("s")),
                  expires_at: q.Time(q.Select("expires_at", q.Var("s"))),
                  issued_at: q.Now(),
                },
              }),
            },
            {
              secret: q.Select("secret", q.Var("token")),
              token: q.Select("ref", q.Var("token")),
              entry: q.Select("ref", q.Var("entry")),
            },
          ),
        ),
      ),
    )) as Issued[];
    out.push(...issued);
  }
  return out;
}

export interface LedgerState {
  /** Ledger documents, with their token refs and expiry. */
  entries: { entry: string; token: string; expiresAt: number }[];
  /** Ids of the tokens FaunaDB still shows (ttl not passed, not deleted). */
  liveTokens: Set<string>;
  /** The emulator's (or server's) Now(), in ms. */
  now: number;
}

/** Reads the whole ledger and token collection (test-sized databases only). */
export async function readLedgerState(client: faunadb.Client): Promise<LedgerState> {
  const r = (await client.query({
    entries: q.Select(
      "data",
      q.Map(
        q.Paginate(q.Documents(q.Collection(LEDGER_COLLECTION)), { size: 100_000 }),
        q.Lambda("r", q.Let({ d: q.Get(q.Var("r")) }, [q.Var("r"), q.Select(["data", "token_ref"], q.Var("d")), q.ToMillis(q.Select(["data", "expires_at"], q.Var("d")))])),
      ),
    ),
    tokens: q.Select("data", q.Paginate(q.Tokens(), { size: 100_000 })),
    now: q.ToMillis(q.Now()),
  })) as { entries: [faunadb.values.Ref, faunadb.values.Ref, number][]; tokens: faunadb.values.Ref[]; now: number };
  return {
    entries: r.entries.map(([entry, token, expiresAt]) => ({ entry: entry.id, token: token.id, expiresAt })),
    liveTokens: new Set(r.tokens.map((t) => t.id)),
    now: r.now,
  };
}

/**
 * The consistency the cleanup promises, whatever happened to a run: every live token
 * has exactly one ledger entry (no orphan token the cleanup could never reach), and
 * every ledger entry that is not yet due points at a live token. Returns the problems
 * found (empty when consistent), so an assertion shows them all.
 */
export function ledgerProblems(state: LedgerState): string[] {
  const problems: string[] = [];
  const byToken = new Map<string, number>();
  for (const e of state.entries) byToken.set(e.token, (byToken.get(e.token) ?? 0) + 1);
  for (const t of state.liveTokens) {
    const n = byToken.get(t) ?? 0;
    if (n !== 1) problems.push(`live token ${t} has ${n} ledger entries`);
  }
  for (const e of state.entries) {
    if (e.expiresAt > state.now && !state.liveTokens.has(e.token)) problems.push(`ledger entry ${e.entry} is not due but its token ${e.token} is gone`);
  }
  return problems;
}

/** True when the secret authenticates; false on 401. Any other failure throws. */
export async function secretWorks(endpoint: string, secret: string): Promise<boolean> {
  const c = new faunadb.Client({ secret, endpoint, checkNewVersion: false, http2SessionIdleTime: 50 });
  try {
    await c.query(q.CurrentIdentity());
    return true;
  } catch (err) {
    if (err instanceof faunadb.errors.Unauthorized) return false;
    throw err;
  } finally {
    await c.close().catch(() => undefined);
  }
}

export interface HangingServer {
  /** `http://127.0.0.1:<port>`: a FaunaDB endpoint that accepts every query and never answers. */
  endpoint: string;
  /** Requests (HTTP/2 streams) received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * A hung FaunaDB: an HTTP/2 server (cleartext, as the driver speaks to an `http://`
 * endpoint) on an ephemeral port that accepts connections and requests and never answers.
 */
export async function startHangingServer(): Promise<HangingServer> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  let requests = 0;
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream) => {
    requests++;
    stream.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    async close() {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
