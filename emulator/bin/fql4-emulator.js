#!/usr/bin/env node
// The `fql4-emulator` command. The package ships TypeScript, run through tsx like the rest
// of it; registering tsx here (not on the command line) lets the command run from any folder.
import { register } from "tsx/esm/api";

register();
await import("../cli.ts");
