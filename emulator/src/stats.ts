/** Counters over the emulator's lifetime, so benchmarks and tests can prove what a query touched. */
import type { EmulatorStats, StatsSnapshot } from "./api.ts";

export class Stats implements EmulatorStats {
  queries = 0;
  documentsRead = 0;
  documentsWritten = 0;
  indexEntriesScanned = 0;

  snapshot(): StatsSnapshot {
    return {
      queries: this.queries,
      documentsRead: this.documentsRead,
      documentsWritten: this.documentsWritten,
      indexEntriesScanned: this.indexEntriesScanned,
    };
  }

  reset(): void {
    this.queries = 0;
    this.documentsRead = 0;
    this.documentsWritten = 0;
    this.indexEntriesScanned = 0;
  }
}
