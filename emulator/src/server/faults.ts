/** Injected failures, so tests can prove what happens when the database refuses a query. */
import type { EmulatorFaults } from "./api.ts";

export class Faults implements EmulatorFaults {
  private skip = 0;
  private count = 0;
  private status = 503;

  failQueries(opts: { count?: number; skip?: number; status?: number }): void {
    this.count = opts.count ?? 1;
    this.skip = opts.skip ?? 0;
    this.status = opts.status ?? 503;
  }

  clear(): void {
    this.count = 0;
    this.skip = 0;
  }

  /** The status to refuse this query with, or undefined to run it. */
  take(): number | undefined {
    if (this.count <= 0) return undefined;
    if (this.skip > 0) {
      this.skip--;
      return undefined;
    }
    this.count--;
    return this.status;
  }
}
