/**
 * `npm run emulator -- [--port 8443] [--host 127.0.0.1] [--secret secret]`: a local FQL v4
 * server for the faunadb driver. Mistakes end in one line, never a stack trace: an
 * unknown option or a bad port prints the problem and the usage line (exit 2), a port
 * already in use says so (exit 1).
 */
import { parseArgs } from "node:util";
import { startEmulator } from "./index.ts";

const USAGE = "Usage: npm run emulator -- [--port 8443] [--host 127.0.0.1] [--secret secret]   (--port 0 picks a free port)";

function fail(message: string, code: number, withUsage: boolean): never {
  console.error(`fql4-emulator: ${message}${withUsage ? `\n${USAGE}` : ""}`);
  process.exit(code);
}

let values: { port: string; host: string; secret: string; help: boolean };
try {
  ({ values } = parseArgs({
    options: {
      port: { type: "string", default: "8443" },
      host: { type: "string", default: "127.0.0.1" },
      secret: { type: "string", default: "secret" },
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
  console.log(`${USAGE}\nThe root secret is "secret" unless --secret says otherwise. Data is kept in memory only.`);
  process.exit(0);
}
const port = Number(values.port);
if (!/^\d+$/.test(values.port) || port > 65535) fail(`--port must be an integer from 0 to 65535, got ${values.port}`, 2, true);

let emu: Awaited<ReturnType<typeof startEmulator>>;
try {
  emu = await startEmulator({ port, host: values.host, secret: values.secret });
} catch (e) {
  const code = (e as { code?: unknown }).code;
  if (code === "EADDRINUSE") fail(`${values.host}:${port} is already in use; pick another port with --port (0 picks a free one)`, 1, false);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") fail(`cannot listen on ${values.host} (${code}); use --host 127.0.0.1 or another local address`, 1, false);
  throw e;
}
console.log(`FQL v4 emulator listening on ${emu.url} (port ${emu.port}); root secret: ${emu.secret === "secret" ? "secret" : "(as given)"}; data in memory only`);
const stop = () => {
  emu.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
