/**
 * The package's testing entry (`fql4-emulator/testing`): the database a test suite talks to,
 * this emulator in-process or a real FaunaDB chosen by environment. Needs the `faunadb` driver.
 */
export { emulatorOnly, startTarget, type FaunaTarget, type TargetProfile } from "./src/testing/fauna-target.ts";
