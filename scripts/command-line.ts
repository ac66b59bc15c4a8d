/**
 * The part every command shares: parse the arguments, print the usage for
 * `--help` (exit 0) or with the problem for bad usage (exit 2). Each command
 * keeps only its own options and work.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export const USAGE_EXIT = 2;

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** The parsed arguments, or the exit code to return when the command must stop here. */
export function parseCommandLine<T extends ParseArgsConfig>(usage: string, config: T): Parsed<T> | number {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    return usageError(usage, (e as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return 0;
  }
  return parsed;
}

/** Prints the problem and the usage; returns the usage exit code. */
export function usageError(usage: string, message: string): number {
  console.error(`${message}\n\n${usage}`);
  return USAGE_EXIT;
}

/** Every command's `--help`. */
export const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;
