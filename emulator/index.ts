/** The package entry: start an emulator in-process, and the types of what it hands back. */
export { startEmulator } from "./src/server/start.ts";
export type {
  EmulatorClock,
  EmulatorFaults,
  EmulatorHandle,
  EmulatorOptions,
  EmulatorProfile,
  EmulatorStats,
  EmulatorTransactions,
  FaultOptions,
  ProfileName,
  StatsSnapshot,
} from "./src/api.ts";
