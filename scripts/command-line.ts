/**
 * The one convention every command follows (exchange, deploy-schema,
 * delete-expired-tokens, revoke, doctor, and serve for its start-up errors), so a shell script or
 * a CI job can treat them alike:
 *
 * - one table of exit codes (`EXIT`, printed by every `--help` as `EXIT_CODES_HELP`);
 * - one error format on stderr, `<command>: <code>: <message>`, with a stable code;
 * - with `--json`, exactly one JSON object on stdout, errors included: the result, or
 *   `{"error": {"code", "message", …}}` (beside the partial result when there is one);
 * - `--env-from FILE` (e.g. the `.env.local` that `npm start` writes) read only when asked,
 *   so a stale local file can never redirect a command meant for production. Not named
 *   `--env-file`: Node 20 and 22 take a script's own `--env-file` argument for theirs and
 *   exit 9 before the script runs when the file is missing (nodejs/node#54232).
 *
 * Each command keeps only its own options and work (`run`); typed errors from lib/ are
 * turned into exit codes here, in `asCommandError`, and nowhere else.
 */
import { readFileSync } from "node:fs";
import { parseArgs, parseEnv, type ParseArgsConfig } from "node:util";
import {
  BadRequest,
  DatabaseError,
  DatabaseUnavailable,
  FaunaSecretRefused,
  IdentityProviderUnavailable,
  IndexNotActive,
  Misconfigured,
  SchemaConflict,
  SchemaMigrationNeeded,
  TokenExchangeError,
} from "../lib/core/errors/index.ts";
import { escapeInvisible, redactString, setLogLevel } from "../lib/core/log.ts";
import { loadLogLevel } from "../lib/core/config/load.ts";

export const EXIT = {
  /** Done. */
  ok: 0,
  /** The job failed (a refused token, nothing to revoke, an error FaunaDB answered) or found a conflict. */
  failed: 1,
  /** Usage or configuration: fix the command line or the environment. */
  usage: 2,
  /** FaunaDB or the identity provider could not be reached: try again later. */
  unreachable: 3,
  /** FaunaDB refused FAUNA_SECRET, or it lacks a permission the command needs. */
  refused: 4,
  /** An index is still being built by FaunaDB: try again later (deploy-schema: it gave up waiting). */
  building: 5,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table every `--help` ends with; docs/command-line.md has the same one (test/readme-commands.test.ts compares them). */
export const EXIT_CODES_HELP = `Exit codes (the same for every command):
  0  done
  1  the job failed, or found a conflict
  2  usage or configuration error
  3  FaunaDB or the identity provider could not be reached
  4  FaunaDB refused FAUNA_SECRET, or it lacks a permission this command needs
  5  an index is still being built by FaunaDB: run again later`;

const COMMON_OPTIONS_HELP = `Common options:
  --json            print exactly one JSON object on stdout, errors included
  --env-from FILE   read variables from FILE first, e.g. .env.local written by
                    npm start (they win over the environment); never read unasked
  -h, --help        show this help`;

const COMMON_OPTIONS = {
  json: { type: "boolean" },
  "env-from": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * A command's failure, ready to report: the exit code, the stable code and a message
 * that names what to do. `details` go into the JSON error object, `notes` are extra
 * lines on stderr, and `result` is what the command did before it failed (the cleanup's
 * summary, revoke's counts), printed beside the error in JSON.
 */
export class CommandError extends Error {
  constructor(
    readonly exit: ExitCode,
    readonly code: string,
    message: string,
    readonly extra: { details?: Record<string, unknown>; notes?: readonly string[]; result?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = "CommandError";
  }
}

/** A command line that cannot be run as given (exit 2, ERR_USAGE). */
export function usageError(message: string): CommandError {
  return new CommandError(EXIT.usage, "ERR_USAGE", message);
}

function whereDatabase(e: DatabaseUnavailable): string {
  const { host, cause } = e.failure;
  return `FaunaDB${host ? ` at ${host}` : ""} could not be reached${cause ? ` (${cause})` : ""}: check FAUNA_ENDPOINT, or try again later`;
}

function whereIdentityProvider(e: IdentityProviderUnavailable): string {
  const c = e.cause;
  const why = c?.status !== undefined ? `HTTP ${c.status}` : c?.code;
  return `the identity provider's signing keys (the JWKS) could not be fetched${why ? ` (${why})` : ""}: try again later`;
}

/** Any failure → exit code, stable code and message. The only place exit codes are decided. */
export function asCommandError(e: unknown): CommandError {
  if (e instanceof CommandError) return e;
  if (e instanceof FaunaSecretRefused) return new CommandError(EXIT.refused, e.code, e.problems.join("; "), { details: { reason: e.reason } });
  if (e instanceof Misconfigured) return new CommandError(EXIT.usage, e.code, e.problems.join("; "), { details: { problems: e.problems } });
  if (e instanceof DatabaseUnavailable) return new CommandError(EXIT.unreachable, e.code, whereDatabase(e), { details: { ...e.failure } });
  if (e instanceof IndexNotActive) {
    return new CommandError(EXIT.building, e.code, `FaunaDB is still building the index ${e.index}: run again once it is active (npm run deploy-schema waits for it)`, {
      details: { index: e.index },
    });
  }
  if (e instanceof IdentityProviderUnavailable) return new CommandError(EXIT.unreachable, e.code, whereIdentityProvider(e), { details: { idp: e.cause } });
  if (e instanceof SchemaConflict) {
    return new CommandError(EXIT.failed, e.code, `${e.object} already exists with a different definition; nothing was changed`, {
      details: { object: e.object, differences: e.differences },
      notes: e.differences.map((d) => `  ${d}`),
    });
  }
  if (e instanceof SchemaMigrationNeeded) {
    return new CommandError(EXIT.failed, e.code, "this database holds the ledger of an earlier version; nothing was changed. Run deploy-schema again with --migrate to:", {
      details: { changes: e.changes },
      notes: [...e.changes.map((c) => `  ${c}`), "The ledger stays intact throughout: the running version keeps working during and after the migration."],
    });
  }
  if (e instanceof DatabaseError) {
    return new CommandError(EXIT.failed, e.code, `FaunaDB answered an error this command cannot explain${e.faunaCode ? ` (${e.faunaCode})` : ""}`);
  }
  if (e instanceof BadRequest) return new CommandError(EXIT.usage, e.code, e.message);
  // A refused token, an unknown user, an internal failure: the job failed.
  if (e instanceof TokenExchangeError) return new CommandError(EXIT.failed, e.code, e.message);
  // Anything else is a bug of ours; its message is redacted like a log line.
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return new CommandError(EXIT.failed, typeof code === "string" && /^ERR_[A-Z0-9_]+$/.test(code) ? code : "ERR_INTERNAL", redactString(message).slice(0, 500));
}

/**
 * `--env-from`: the file's variables win over the environment's, so a shell holding
 * production settings cannot mix them into a command pointed at a local stack.
 */
export function loadEnvFile(path: string, env: NodeJS.ProcessEnv = process.env): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const why = (e as { code?: unknown }).code === "ENOENT" ? "no such file (npm start writes .env.local while it runs)" : "cannot be read";
    throw new CommandError(EXIT.usage, "ERR_ENV_FILE", `--env-from ${path}: ${why}`);
  }
  Object.assign(env, parseEnv(text));
}

/** What a command did: `result` is its JSON; `text`, when given, is printed instead outside JSON mode. */
export interface Outcome {
  result: Record<string, unknown>;
  text?: string;
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O & typeof COMMON_OPTIONS; allowPositionals: true; strict: true }>>;

export interface CommandSpec<O extends Options> {
  /** As on the error lines: `deploy-schema`. */
  name: string;
  /** The command's own usage text; the common options and the exit codes are appended. */
  usage: string;
  options: O;
  /** How many positionals the command takes (default 0). */
  positionals?: { min: number; max: number; what: string };
  /** JSON mode without --json, e.g. delete-expired-tokens when stdout is not a terminal. */
  jsonByDefault?: () => boolean;
  /** Printed beside a failure that comes with no result of its own (a usage error), e.g. the doctor's `{"ok": false, "checks": []}`. */
  emptyResult?: Record<string, unknown>;
  run(args: { values: Parsed<O>["values"]; positionals: string[]; json: boolean }): Promise<Outcome>;
}

export function helpText(spec: { name: string; usage: string }): string {
  return `${spec.usage}\n\n${COMMON_OPTIONS_HELP}\n\n${EXIT_CODES_HELP}`;
}

/** node:util's parse errors, said in one short clause. */
function parseProblem(e: Error): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  if (unknown) return `unknown option ${unknown[1]}`;
  return e.message.replace(/\.$/, "");
}

/** Runs a command by the convention and returns its exit code. */
export async function runCommand<O extends Options>(spec: CommandSpec<O>, argv: string[] = process.argv.slice(2)): Promise<number> {
  // Known before parsing, so that even a usage error is answered in JSON when asked.
  let json = argv.includes("--json") || (spec.jsonByDefault?.() ?? false);
  try {
    let parsed: Parsed<O>;
    try {
      parsed = parseArgs({ args: argv, options: { ...spec.options, ...COMMON_OPTIONS }, allowPositionals: true, strict: true }) as Parsed<O>;
    } catch (e) {
      throw usageError(parseProblem(e as Error));
    }
    const values = parsed.values as Parsed<O>["values"] & { json?: boolean; "env-from"?: string; help?: boolean };
    if (values.help) {
      console.log(helpText(spec));
      return EXIT.ok;
    }
    json = values.json === true || (spec.jsonByDefault?.() ?? false);
    const { min, max, what } = spec.positionals ?? { min: 0, max: 0, what: "" };
    const n = parsed.positionals.length;
    if (n < min || n > max) {
      throw usageError(max === 0 ? `unexpected argument ${JSON.stringify(parsed.positionals[0])}` : `give ${what}`);
    }
    if (values["env-from"] !== undefined) loadEnvFile(values["env-from"]);
    setLogLevel(loadLogLevel(process.env));
    const outcome = await spec.run({ values, positionals: parsed.positionals, json });
    console.log(json || outcome.text === undefined ? JSON.stringify(outcome.result) : outcome.text);
    return EXIT.ok;
  } catch (e) {
    const err = asCommandError(e);
    report(spec.name, err, json, spec.emptyResult);
    return err.exit;
  }
}

function report(name: string, err: CommandError, json: boolean, emptyResult?: Record<string, unknown>): void {
  const lines = [`${name}: ${err.code}: ${err.message}`, ...(err.extra.notes ?? [])];
  if (err.exit === EXIT.usage && err.code === "ERR_USAGE") lines.push(`Run \`npm run ${name} -- --help\` for usage.`);
  // A message can quote what the JWT said (an audience, an issuer) before anything verified
  // it: a terminal must show it as it is, not let it reorder or hide the line.
  console.error(lines.join("\n").split("\n").map(escapeInvisible).join("\n"));
  if (json) console.log(escapeInvisible(JSON.stringify({ ...(err.extra.result ?? emptyResult), error: { ...err.extra.details, code: err.code, message: err.message } })));
}

/** The whole of standard input as one trimmed string (a JWT or a secret: never echoed). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").trim();
}
