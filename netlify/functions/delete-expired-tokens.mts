/**
 * Scheduled every 15 minutes: deletes the ledger entries (and any remaining tokens) of
 * expired secrets, within a time budget well inside Netlify's 30 s limit. All the work
 * is in lib/cleanup.ts; this adapter only wires configuration to it.
 *
 * The bound: pages start only inside CLEANUP_TIME_BUDGET_MS (default 20 s) and every
 * query is abandoned 5 s after the budget at the latest, even if FaunaDB hangs (the
 * client's own 8 s timeout, meant for the HTTP function, does not apply to the cleanup's
 * queries), so a run ends by budget + 5 s: 25 s by default, plus the cold start.
 */
import type { Config, Context } from "@netlify/functions";
import type faunadb from "faunadb";
import { loadFaunaConfig } from "../../lib/config.ts";
import { createFaunaClient } from "../../lib/fauna.ts";
import { cleanupOptionsFromEnv, deleteExpiredTokens, type CleanupOptions } from "../../lib/cleanup.ts";
import { log } from "../../lib/log.ts";

interface Deps {
  client: faunadb.Client;
  options: CleanupOptions;
}

// Created on the first invocation of a cold start and reused by warm ones. A failure is
// not cached, so fixing the environment needs no redeploy of the code.
let deps: Deps | undefined;

function setup(): Deps {
  deps ??= {
    client: createFaunaClient(loadFaunaConfig(process.env)),
    options: cleanupOptionsFromEnv(process.env),
  };
  return deps;
}

export default async (_req: Request, _context: Context): Promise<Response> => {
  let d: Deps;
  try {
    d = setup();
  } catch (err) {
    // Config errors name variables, never values.
    const code = (err as { code?: unknown }).code;
    const error = { code: typeof code === "string" ? code : "ERR_SETUP", message: err instanceof Error ? err.message : String(err) };
    log("error", "delete-expired-tokens", { error });
    return Response.json({ error: error.code }, { status: 500 });
  }
  const summary = await deleteExpiredTokens(d.client, d.options);
  return Response.json(summary, { status: summary.stoppedBy === "error" ? 500 : 200 });
};

export const config: Config = {
  schedule: "*/15 * * * *",
};
