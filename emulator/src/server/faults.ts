/** Injected failures, so tests can prove what happens when the database refuses a query. */
import type { EmulatorFaults, FaultOptions } from "../api.ts";

/** What FaunaDB says with each status an injected fault may use. */
const BODIES: Record<number, [string, string]> = {
  400: ["instance not unique", "document is not unique."],
  409: ["contended transaction", "Transaction was aborted due to detection of concurrent modification."],
  429: ["too many requests", "Rate limit exceeded."],
  500: ["internal error", "An internal server error occurred."],
  503: ["unavailable", "Service Unavailable: the emulator refused this query (injected fault)."],
};

export interface Refusal {
  status: number;
  code: string;
  description: string;
  before?: () => Promise<unknown> | unknown;
}

export class Faults implements EmulatorFaults {
  private skip = 0;
  private count = 0;
  private opts: FaultOptions = {};

  failQueries(opts: FaultOptions): void {
    this.count = opts.count ?? 1;
    this.skip = opts.skip ?? 0;
    this.opts = opts;
  }

  clear(): void {
    this.count = 0;
    this.skip = 0;
  }

  /** How to refuse this query, or undefined to run it. */
  take(): Refusal | undefined {
    if (this.count <= 0) return undefined;
    if (this.skip > 0) {
      this.skip--;
      return undefined;
    }
    this.count--;
    const status = this.opts.status ?? 503;
    const [code, description] = BODIES[status] ?? BODIES[503]!;
    return {
      status,
      code: this.opts.code ?? code,
      description: this.opts.description ?? description,
      before: this.opts.beforeRefusing,
    };
  }
}
