/**
 * FQL errors with FaunaDB's codes, descriptions, positions and statuses (spec §3).
 * Their JSON form is the wire layer's business (`renderError` in wire/render.ts).
 */

export type Pos = readonly (string | number)[];

export interface ValidationFailure {
  field: (string | number)[];
  code: string;
  description: string;
}

export class QueryError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly position: Pos,
    readonly extra: { failures?: ValidationFailure[]; cause?: QueryError[] } = {},
    /** Overrides the status FaunaDB derives from the code (e.g. inactive-index `instance not found` is 400). */
    readonly statusOverride?: number,
  ) {
    super(`${code}: ${description}`);
  }

  get status(): number {
    if (this.statusOverride) return this.statusOverride;
    switch (this.code) {
      case "value not found":
      case "instance not found":
      case "schema not found":
        return 404;
      case "permission denied":
        return 403;
      case "contended transaction":
        return 409;
      default:
        return 400;
    }
  }
}

/** Several errors from one failed query (e.g. every bad argument of Union), reported together. */
export class QueryErrors extends Error {
  constructor(readonly errors: QueryError[]) {
    super(errors.map((e) => e.message).join("; "));
  }
}

const RANK: Record<string, number> = { "invalid expression": 3, "invalid argument": 2, "permission denied": 1 };

/** The error that decides the status when several are returned (spec §3.2). */
export function leadingError(errors: QueryError[]): QueryError {
  return errors.reduce((best, e) => ((RANK[e.code] ?? 0) > (RANK[best.code] ?? 0) ? e : best), errors[0]!);
}

// Constructors for the errors that recur; each message lives in one place.
export const err = {
  invalidArgument: (pos: Pos, description: string) => new QueryError("invalid argument", description, pos),
  expected: (pos: Pos, expected: string, provided: string) =>
    new QueryError("invalid argument", `${expected} expected, ${provided} provided.`, pos),
  invalidExpression: (pos: Pos, description: string) => new QueryError("invalid expression", description, pos),
  invalidRef: (pos: Pos, kind: string, name: string) =>
    new QueryError("invalid ref", `Ref refers to undefined ${kind} '${name}'`, pos),
  notFound: (pos: Pos, what = "Document") => new QueryError("instance not found", `${what} not found.`, pos),
  valueNotFound: (pos: Pos, path: (string | number | bigint)[]) =>
    new QueryError("value not found", `Value not found at path [${path.join(",")}].`, pos),
  alreadyExists: (pos: Pos, what: string) => new QueryError("instance already exists", `${what} already exists.`, pos),
  notUnique: (pos: Pos) => new QueryError("instance not unique", "document is not unique.", pos),
  permissionDenied: (pos: Pos) =>
    new QueryError("permission denied", "Insufficient privileges to perform the action.", pos),
  validation: (pos: Pos, failures: ValidationFailure[]) =>
    new QueryError("validation failed", "document data is not valid.", pos, { failures }),
  aborted: (pos: Pos, message: string) => new QueryError("transaction aborted", message, pos),
  missingIdentity: (pos: Pos) => new QueryError("missing identity", "Authentication does not contain an identity", pos),
  invalidToken: (pos: Pos) => new QueryError("invalid token", "Token metadata is not accessible.", pos),
  authenticationFailed: (pos: Pos) =>
    new QueryError("authentication failed", "The document was not found or provided password was incorrect.", pos),
  divisionByZero: (pos: Pos) => new QueryError("invalid argument", "Illegal division by zero.", pos),
  nonEmptyExpected: (pos: Pos) => new QueryError("invalid argument", "Non-empty array expected.", pos),
  invalidWriteTime: (pos: Pos) => new QueryError("invalid write time", "Cannot write outside of snapshot time.", pos),
  /** Match on an index still building in the background: the 400 variant of `instance not found`. */
  indexInactive: (pos: Pos, name: string) => new QueryError("instance not found", `Index '${name}' is not active.`, pos, {}, 400),
};
