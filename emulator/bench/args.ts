/**
 * The emulator benches' command lines: string options with defaults, `--help` prints the
 * usage and exits 0, a mistake prints it after the problem and exits 2.
 */
import { parseArgs } from "node:util";

export function benchArgs<K extends string>(name: string, usage: string, defaults: Record<K, string>): Record<K, string> {
  const options: Record<string, { type: "string"; default: string } | { type: "boolean"; short: string }> = { help: { type: "boolean", short: "h" } };
  for (const [key, value] of Object.entries<string>(defaults)) options[key] = { type: "string", default: value };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ options }));
  } catch (e) {
    console.error(`${name}: ${(e as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values as Record<K, string>;
}
