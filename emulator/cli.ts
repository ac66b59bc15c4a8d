/** `npm run emulator -- [--port 8443] [--secret secret]`: a local FQL v4 server for the faunadb driver. */
import { parseArgs } from "node:util";
import { startEmulator } from "./index.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8443" },
    host: { type: "string", default: "127.0.0.1" },
    secret: { type: "string", default: "secret" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log("Usage: npm run emulator -- [--port 8443] [--host 127.0.0.1] [--secret secret]\nPort 0 picks a free port.");
  process.exit(0);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be an integer from 0 to 65535, got ${values.port}`);
  process.exit(2);
}
const emu = await startEmulator({ port, host: values.host, secret: values.secret });
console.log(`FQL v4 emulator listening on ${emu.url} (port ${emu.port}); root secret: ${emu.secret === "secret" ? "secret" : "(as given)"}`);
const stop = () => {
  emu.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
