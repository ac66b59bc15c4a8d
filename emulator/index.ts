export { startEmulator } from "./src/server/start.ts";
export type { EmulatorHandle, EmulatorOptions } from "./src/server/start.ts";
