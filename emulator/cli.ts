/**
 * `npm run emulator -- [--port 8443] [--host 127.0.0.1] [--secret secret] [--profile cluster …]`:
 * a local FQL v4 server for the faunadb driver. Mistakes end in one line, never a stack
 * trace: an unknown option, a bad port or a bad profile option prints the problem and the
 * usage line (exit 2), a port already in use says so (exit 1).
 */
import { parseArgs } from "node:util";
import { startEmulator } from "./index.ts";
import type { EmulatorOptions } from "./src/api.ts";

const USAGE = `Usage: npm run emulator -- [--port 8443] [--host 127.0.0.1] [--secret secret]   (--port 0 picks a free port)
         [--profile default|cluster] [--commit-delay-ms 20] [--auth-cache-ms 60000] [--index-build-rate 400]   (the last three: cluster only)`;

/** The cluster profile's numeric options: command-line name → option name. */
const NUMERIC = { "commit-delay-ms": "commitDelayMs", "auth-cache-ms": "authCacheMs", "index-build-rate": "indexBuildRate" } as const;

function fail(message: string, code: number, withUsage: boolean): never {
  console.error(`fql4-emulator: ${message}${withUsage ? `\n${USAGE}` : ""}`);
  process.exit(code);
}

type Values = { port: string; host: string; secret: string; help: boolean; profile?: string } & Partial<Record<keyof typeof NUMERIC, string>>;
let values: Values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: "string", default: "8443" },
      host: { type: "string", default: "127.0.0.1" },
      secret: { type: "string", default: "secret" },
      profile: { type: "string" },
      "commit-delay-ms": { type: "string" },
      "auth-cache-ms": { type: "string" },
      "index-build-rate": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
    strict: true,
  }));
} catch (e) {
  const unknown = /^Unknown option '([^']+)'/.exec((e as Error).message);
  fail(unknown ? `unknown option ${unknown[1]}` : (e as Error).message.replace(/\.$/, ""), 2, true);
}
if (values.help) {
  console.log(`${USAGE}
The root secret is "secret" unless --secret says otherwise. Data is kept in memory only.
--profile cluster behaves as a FaunaDB cluster: queries overlap and contend (409 after 5 attempts),
deleted keys and tokens authenticate for --auth-cache-ms, indexes over more than 128 documents build
in the background, limits and X-Query-Timeout are enforced (see emulator/README.md, "Profiles").`);
  process.exit(0);
}
const port = Number(values.port);
if (!/^\d+$/.test(values.port) || port > 65535) fail(`--port must be an integer from 0 to 65535, got ${values.port}`, 2, true);
if (values.profile !== undefined && values.profile !== "default" && values.profile !== "cluster") fail(`--profile must be default or cluster, got ${values.profile}`, 2, true);
const options: EmulatorOptions = { port, host: values.host, secret: values.secret, profile: values.profile as EmulatorOptions["profile"] };
for (const [flag, key] of Object.entries(NUMERIC) as [keyof typeof NUMERIC, (typeof NUMERIC)[keyof typeof NUMERIC]][]) {
  const text = values[flag];
  if (text === undefined) continue;
  if (values.profile !== "cluster") fail(`--${flag} applies to --profile cluster only`, 2, true);
  if (!/^\d+(\.\d+)?$/.test(text) || (flag === "index-build-rate" && Number(text) === 0)) fail(`--${flag} must be a number${flag === "index-build-rate" ? " above 0" : ""}, got ${text}`, 2, true);
  options[key] = Number(text);
}

let emu: Awaited<ReturnType<typeof startEmulator>>;
try {
  emu = await startEmulator(options);
} catch (e) {
  const code = (e as { code?: unknown }).code;
  if (code === "EADDRINUSE") fail(`${values.host}:${port} is already in use; pick another port with --port (0 picks a free one)`, 1, false);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") fail(`cannot listen on ${values.host} (${code}); use --host 127.0.0.1 or another local address`, 1, false);
  throw e;
}
console.log(
  `FQL v4 emulator listening on ${emu.url} (port ${emu.port}); root secret: ${emu.secret === "secret" ? "secret" : "(as given)"}; data in memory only` +
    (emu.profile.name === "cluster"
      ? `; profile cluster (commit delay ${emu.profile.commitDelayMs} ms, auth cache ${emu.profile.authCacheMs} ms, index builds ${emu.profile.indexBuildRate} documents/s)`
      : ""),
);
const stop = () => {
  emu.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
