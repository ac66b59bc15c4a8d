/**
 * FQL values as the evaluator sees them. Integers are `bigint` (FaunaDB keeps
 * 64-bit Longs apart from doubles and wraps on overflow); doubles are `number`;
 * objects are `Map` so that key order and keys like `__proto__` survive.
 */

export type Value =
  | null
  | boolean
  | string
  | bigint
  | number
  | Value[]
  | ObjectV
  | Ref
  | TimeV
  | DateV
  | BytesV
  | SetV
  | LambdaV
  | PageV;

export type ObjectV = Map<string, Value>;

/** A document as returned by Get/Create/…: an object that remembers it was a document (IsDoc). */
export class DocV extends Map<string, Value> {}

export const NATIVE_COLLECTIONS = [
  "collections",
  "indexes",
  "databases",
  "keys",
  "tokens",
  "credentials",
  "functions",
  "roles",
  "access_providers",
] as const;
export type NativeName = (typeof NATIVE_COLLECTIONS)[number];

/** How messages name a native collection's documents: "Collection already exists.", "Token not found." */
export const KIND_NAME: Record<NativeName, string> = {
  collections: "Collection",
  indexes: "Index",
  databases: "Database",
  keys: "Key",
  tokens: "Token",
  credentials: "Credentials",
  functions: "Function",
  roles: "Role",
  access_providers: "Access Provider",
};

export class Ref {
  constructor(
    readonly id: string,
    /** The collection this ref lives in; absent for native collection refs such as `Tokens()`. */
    readonly coll?: Ref,
    /** Child database path (relative to the query's database); absent for the current database. */
    readonly db?: Ref,
  ) {}

  /** True for `Tokens()`, `Collections()`, … */
  get isNative(): boolean {
    return this.coll === undefined;
  }

  /** The storage key of the collection holding this ref's document: "users" or "#tokens". */
  get collKey(): string | undefined {
    if (!this.coll) return undefined;
    return this.coll.isNative ? `#${this.coll.id}` : this.coll.id;
  }

  /** Which kind of schema object this ref names, if it is one (Collection('x') → "collections"). */
  get schemaKind(): NativeName | undefined {
    if (this.coll && this.coll.isNative) return this.coll.id as NativeName;
    return undefined;
  }

  equals(o: Ref): boolean {
    if (this.id !== o.id) return false;
    if (!!this.coll !== !!o.coll || !!this.db !== !!o.db) return false;
    if (this.coll && o.coll && !this.coll.equals(o.coll)) return false;
    if (this.db && o.db && !this.db.equals(o.db)) return false;
    return true;
  }

  toString(): string {
    const c = this.coll ? `${this.coll.toString()}/` : "";
    return `${c}${this.id}`;
  }
}

export const native = (name: NativeName): Ref => new Ref(name);
export const collectionRef = (name: string, db?: Ref): Ref => new Ref(name, native("collections"), db);

/** An instant with nanosecond precision (FaunaDB times carry nanoseconds). */
export class TimeV {
  constructor(readonly ns: bigint) {}
  get micros(): bigint {
    return floorDiv(this.ns, 1000n);
  }
}

/** A calendar date, as days since 1970-01-01. */
export class DateV {
  constructor(readonly days: number) {}
}

export class BytesV {
  constructor(readonly bytes: Uint8Array) {}
}

export class PageV {
  constructor(
    readonly data: Value[],
    readonly before?: Value,
    readonly after?: Value,
    /**
     * Each element's cursor (its values and ref), when the page came from a set and
     * its elements still line up with them: what Take/Drop put in `before`/`after`.
     */
    readonly cursors?: Value[],
  ) {}
  hasBefore(): boolean {
    return this.before !== undefined;
  }
  hasAfter(): boolean {
    return this.after !== undefined;
  }
}

/** A lambda value (`Query(Lambda(...))`, or a lambda passed around). Defined in eval. */
export abstract class LambdaV {
  abstract readonly params: LambdaParams;
  /** The wire form of the lambda (`{api_version, lambda, expr}` without the @query tag). */
  abstract renderBody(): ObjectV;
}
export type LambdaParams = string | string[];

/** A set (Match, Documents, Range, Union, …). Implemented in sets/. */
export abstract class SetV {
  /** The `@set` payload (already rendered to values). */
  abstract describe(): ObjectV;
}

export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}


export const int64 = (v: bigint): bigint => BigInt.asIntN(64, v);

export function obj(entries: [string, Value][] = []): ObjectV {
  return new Map(entries);
}

/** The type name FaunaDB puts in "X expected, Y provided." */
export function typeName(v: Value): string {
  if (v === null) return "Null";
  switch (typeof v) {
    case "boolean":
      return "Boolean";
    case "string":
      return "String";
    case "bigint":
      return "Integer";
    case "number":
      return "Double";
  }
  if (Array.isArray(v)) return "Array";
  if (v instanceof PageV) return "Page";
  if (v instanceof Map) return "Object";
  if (v instanceof Ref) {
    const k = v.schemaKind;
    if (v.isNative) return "Ref";
    switch (k) {
      case "collections":
        return "Collection Ref";
      case "indexes":
        return "Index Ref";
      case "databases":
        return "Database Ref";
      case "keys":
        return "Key Ref";
      case "functions":
        return "User Function Ref";
      default:
        return "Ref";
    }
  }
  if (v instanceof TimeV) return "Time";
  if (v instanceof DateV) return "Date";
  if (v instanceof BytesV) return "Bytes";
  if (v instanceof SetV) return "Set";
  if (v instanceof LambdaV) return "Lambda";
  return "Unknown";
}

/**
 * The type name for messages. Native collection refs (`Collections()`, `Tokens()`…)
 * are sets to the server, so they are reported as "Set".
 */
export const valueType = (v: Value): string => (v instanceof Ref && v.isNative ? "Set" : typeName(v));
