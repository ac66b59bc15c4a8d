/**
 * How many ledger entries one query may delete: the biggest page that fits FaunaDB's
 * per-transaction limits with our cost per entry, and a safety margin.
 *
 * A page (the cleanup's, a revocation batch) deletes every entry it holds, with its token,
 * in the query that read it: one transaction. FaunaDB refuses a transaction over any of
 * its limits with a 400 that no retry can fix, so a page size past them would fail every
 * run, forever. Every page size the project accepts (CLEANUP_PAGE_SIZE, `--page-size`,
 * `pageSize`, `batchSize`) is checked against `MAX_PAGE_SIZE`.
 */

/** FaunaDB's per-transaction limits (the server's `CoreConfig.scala`, `State.scala`, `QueryMetrics.scala`). */
export const FAUNA_TRANSACTION_LIMITS = {
  /** Compute ops per transaction (`TxnTooManyComputeOpsException`). */
  computeOps: 12_000,
  /** Function calls per compute op (`BaselineCompute`). */
  callsPerComputeOp: 50,
  /** Elements one expression may fan out to (`MaxQueryWidthExceeded`); also Paginate's size cap. */
  width: 100_000,
  /** Bytes one transaction may write (`TxnTooLargeException`). */
  bytesWritten: 16 * 1024 * 1024,
} as const;

/**
 * What one entry of a page costs at most, rounded up from the metrics headers of pages of
 * up to 10,000 entries on the emulator's cluster profile (`npm run bench:cluster`, part c;
 * test/page-limits.test.ts holds the queries to it). The worst case is a page whose every
 * token is still live (revocation's), so that both documents are deleted.
 * - calls: `x-compute-ops` × 50 per entry (15.2 measured, in a revocation's later batches:
 *   the Map's lambda, IsToken, two Exists, two Deletes, the Filters and the Counts over the
 *   results, and the entry read to spare the sign-ins that saw the sign-out; 12.2 in a
 *   cleanup page);
 * - width: each of the page's Map and Filters fans out to one element per entry;
 * - bytesWritten: `x-storage-bytes-write` per entry (737 measured: the two deletions with
 *   their index rows, the token's entry in the live-tokens index included, and a share of
 *   the sign-out a revocation records; an entry's `meta` is not indexed, so its size does
 *   not count).
 */
export const PAGE_ENTRY_COST = { calls: 16, width: 1, bytesWritten: 800 } as const;

/**
 * How far under the tightest limit a page stays: the byte figures are the emulator's
 * estimates (the server's encodings may differ by some bytes per row), and the queries
 * grow as the ledger does.
 */
export const LIMIT_SAFETY_FACTOR = 2;

/** Entries per page each limit allows, at PAGE_ENTRY_COST. */
export const PAGE_SIZE_BY_LIMIT = {
  compute: Math.floor((FAUNA_TRANSACTION_LIMITS.computeOps * FAUNA_TRANSACTION_LIMITS.callsPerComputeOp) / PAGE_ENTRY_COST.calls),
  width: Math.floor(FAUNA_TRANSACTION_LIMITS.width / PAGE_ENTRY_COST.width),
  bytesWritten: Math.floor(FAUNA_TRANSACTION_LIMITS.bytesWritten / PAGE_ENTRY_COST.bytesWritten),
} as const;

/** `n` rounded down to its leading digit (13,981 → 10,000): a cap an operator can remember. */
function roundDown(n: number): number {
  const unit = 10 ** Math.floor(Math.log10(n));
  return Math.floor(n / unit) * unit;
}

/**
 * The most ledger entries one query deletes: the tightest limit (the 16 MiB written, at
 * 20,971 entries) divided by the safety factor (10,485), rounded down: 10,000.
 */
export const MAX_PAGE_SIZE = roundDown(Math.min(...Object.values(PAGE_SIZE_BY_LIMIT)) / LIMIT_SAFETY_FACTOR);

/** Why a page may not be bigger, said once for every error that refuses one. */
export const PAGE_SIZE_CAP_REASON =
  `a page is deleted in one FaunaDB transaction, and a bigger one can pass FaunaDB's per-transaction limits ` +
  `(16 MiB written, 12,000 compute ops), which would fail every run`;
