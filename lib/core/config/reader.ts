/**
 * One pass over an environment. Each reader takes one variable, records what is wrong
 * with it by the variable's name (never its value: one of them is a server key), and
 * returns something usable anyway, so that `done` can name every problem in one error.
 */
import { Misconfigured } from "../errors/index.ts";

/** An environment as the platforms give it (`process.env`, or any record a caller builds). */
export type Env = Readonly<Record<string, string | undefined>>;

export interface Problem {
  variable: string;
  message: string;
}

export class EnvReader {
  readonly problems: Problem[] = [];

  constructor(private readonly env: Env) {}

  /** The trimmed value; unset and empty are the same. */
  value(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v === "" ? undefined : v;
  }

  problem(variable: string, message: string): void {
    this.problems.push({ variable, message });
  }

  /** Comma-separated items, trimmed, empty ones dropped; `fallback` only when the variable is unset. */
  list(name: string, fallback = ""): string[] {
    return (this.env[name] ?? fallback)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }

  boolean(name: string, fallback: boolean): boolean {
    const v = this.value(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off"].includes(v)) return false;
    this.problem(name, `${name} must be true or false`);
    return fallback;
  }

  /** A whole number within `range`; unset is undefined, anything else wrong is `problem`. */
  wholeNumber(name: string, range: { min: number; max: number }, problem: string | ((raw: string) => string)): number | undefined {
    const raw = this.value(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (/^\d+$/.test(raw) && Number.isSafeInteger(n) && n >= range.min && n <= range.max) return n;
    this.problem(name, typeof problem === "string" ? problem : problem(raw));
    return undefined;
  }

  /** One of `choices`, compared without case. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const v = this.value(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if ((choices as readonly string[]).includes(v)) return v as T;
    this.problem(name, `${name} must be one of ${choices.join(", ")}`);
    return fallback;
  }

  /** A Fauna collection or index name: letters, digits, underscore, not starting with a digit. */
  faunaName(name: string, fallback: string): string {
    const v = this.value(name) ?? fallback;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(v)) this.problem(name, `${name} must be a Fauna collection/index name`);
    return v;
  }

  /**
   * `value` when nothing was wrong; otherwise every problem in one error, `Misconfigured`
   * or what `error` makes of them (a narrower code for a narrower set of variables).
   */
  done<T>(value: T, error: (problems: readonly Problem[]) => Misconfigured = (p) => new Misconfigured(p.map((x) => x.message))): T {
    if (this.problems.length > 0) throw error(this.problems);
    return value;
  }
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}
