/**
 * A FaunaDB cluster's per-transaction limits (on with the `limits` engine option, which
 * the cluster profile turns on) and the refusals the server answers them with. They are
 * the server's exceptions, not query errors: nothing in the query can catch them (a UDF
 * does not wrap them in `call error`, a role predicate does not turn them into false),
 * and they are answered without a position (`api/…/ExceptionResponseHelpers.scala`).
 */

/** An error of the whole request, answered `{"errors":[{"code","description"}]}` with its own status. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }
}

/** `QueryMetrics.BaselineCompute`: function calls per billed compute op. */
export const BASELINE_COMPUTE = 50;
/** `State.computeOpsLimit`: compute ops per transaction (12,000 ops = 600,000 calls). */
export const MAX_COMPUTE_OPS = 12_000;
export const MAX_CALLS = MAX_COMPUTE_OPS * BASELINE_COMPUTE;
/** `query_max_query_width`: elements one expression may fan out to at once (an array, a Map, a Do). */
export const MAX_WIDTH = 100_000;
/** The server evaluates a fan-out in slices of this many (`queryAccumulatePageWidth`); the width it reports is the slice that crossed. */
const WIDTH_SLICE = 1_000;
/** `transaction_max_size_bytes`: what one transaction may write. */
export const MAX_TXN_BYTES = 16 * 1024 * 1024;
/** `HttpServer.MaxRequestSize`: a request body larger than this is refused before it is parsed. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** `TxnTooManyComputeOpsException`: `calls` is the count that crossed the limit. */
export const tooMuchCompute = (calls: number): RequestError =>
  new RequestError(400, "bad request", `Transaction does too much compute: got ${Math.ceil(calls / BASELINE_COMPUTE)}, limit: ${MAX_COMPUTE_OPS}`);

/** `MaxQueryWidthExceeded` for a fan-out of `n` elements (n > MAX_WIDTH). */
export const tooWide = (n: number): RequestError =>
  new RequestError(400, "bad request", `Query exceeds max width. Max: ${MAX_WIDTH}, current: ${MAX_WIDTH + Math.min(WIDTH_SLICE, n - MAX_WIDTH)}.`);

/** `TxnTooLargeException(size, limit, "bytes")`. */
export const tooLarge = (bytes: number): RequestError =>
  new RequestError(400, "bad request", `Transaction exceeded limit: got ${bytes} bytes, limit ${MAX_TXN_BYTES} bytes`);

/** `RequestTooLarge`, as the FQL v4 endpoint renders it. */
export const requestTooLarge = (): RequestError => new RequestError(413, "request too large", "Request entity is too large");

/** Throws `tooWide` when limits are on and one expression fans out to more than MAX_WIDTH elements. */
export function checkWidth(limited: boolean, n: number): void {
  if (n > MAX_WIDTH && limited) throw tooWide(n);
}
