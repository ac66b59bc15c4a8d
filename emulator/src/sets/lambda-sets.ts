/**
 * Sets that run a lambda per element: Filter (keeps elements the lambda accepts) and
 * Join (each source element's index match, or the set a pure lambda builds from it).
 */
import { err, type Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import type { Expr } from "../eval/ast.ts";
import { applyLambda } from "../eval/evaluate.ts";
import { LambdaV, Ref, typeName, type ObjectV, type Value } from "../values.ts";
import { AlgebraSet, coveredOf, elementOf, FSet, indexStore, MatchSet, OrderOfInner, type Dir, type Entry, type Probe, type Shape } from "./sets.ts";

export class FilterSet extends OrderOfInner {
  constructor(
    inner: FSet,
    readonly lambda: LambdaV,
    readonly lambdaPos: Pos,
  ) {
    super(inner);
  }
  describe(): ObjectV {
    return new Map<string, Value>([
      ["filter", this.lambda.renderBody()],
      ["collection", this.inner],
    ]);
  }
  *scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    for (const e of this.inner.scan(ctx, dir, probe, pos)) {
      const keep = applyLambda(ctx, this.lambda, elementOf(e), this.lambdaPos);
      if (typeof keep !== "boolean") throw err.expected(this.lambdaPos, "Boolean", typeName(keep));
      if (keep) yield e;
    }
  }
}

export class JoinSet extends FSet {
  constructor(
    readonly source: FSet,
    readonly target: Ref | LambdaV,
    readonly withPos: Pos,
    /** Wraps each target set (set while a page with `sources: true` is read: the targets are the sources). */
    readonly wrapTarget: (s: FSet) => FSet = (s) => s,
  ) {
    super();
  }
  describe(): ObjectV {
    return new Map<string, Value>([
      ["join", this.source],
      ["with", this.target instanceof Ref ? this.target : this.target.renderBody()],
    ]);
  }
  private targets(ctx: Ctx, pos: Pos): FSet[] {
    if (!(this.target instanceof Ref) && !isPure(this.target)) {
      throw err.invalidArgument(this.withPos, "Invalid lambda. Lambda in this context may not read, write, or call a user function.");
    }
    const out: FSet[] = [];
    for (const e of this.source.scan(ctx, "asc", undefined, pos)) {
      const covered = coveredOf(e);
      if (this.target instanceof Ref) {
        out.push(new MatchSet(this.target, covered, covered.length > 1));
      } else {
        const arg = covered.length === 1 ? covered[0]! : covered;
        const s = applyLambda(ctx, this.target, arg, this.withPos);
        if (!(s instanceof FSet)) throw err.expected(this.withPos, "Ref or Set", typeName(s));
        out.push(s);
      }
    }
    return out;
  }
  shape(ctx: Ctx, pos: Pos): Shape {
    if (this.target instanceof Ref) {
      const def = indexStore(ctx, this.target, this.withPos).def;
      return { arity: def.values.length, reverse: def.values.map((v) => v.reverse) };
    }
    return this.targets(ctx, pos)[0]?.shape(ctx, pos) ?? { arity: 0, reverse: [] };
  }
  readable(ctx: Ctx, pos: Pos): boolean {
    return this.source.readable(ctx, pos);
  }
  *scan(ctx: Ctx, dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    const targets = this.targets(ctx, pos)
      .filter((t) => t.readable(ctx, pos))
      .map(this.wrapTarget);
    if (!targets.length) return;
    yield* new AlgebraSet("union", targets, false).scan(ctx, dir, probe, pos);
  }
}

/** Forms that read, write or call: not allowed in a Join lambda (spec S.1.2). */
const IMPURE = new Set([
  "get", "exists", "paginate", "count", "sum", "mean", "any", "all", "is_empty", "is_nonempty", "key_from_secret",
  "create", "update", "replace", "delete", "insert", "remove", "create_collection", "create_index", "create_role",
  "create_function", "create_database", "create_key", "login", "logout", "identify", "call", "select_all",
]);

function isPure(lam: LambdaV): boolean {
  const body = (lam as unknown as { expr?: { body: Expr } }).expr?.body;
  const walk = (e: Expr): boolean => {
    switch (e.k) {
      case "form":
        if (IMPURE.has(e.def.name)) return false;
        return [...e.args.values()].every((a) => (a.k === "varargs" ? a.items.every(walk) : walk(a)));
      case "arr":
        return e.items.every(walk);
      case "obj":
        return e.fields.every(([, x]) => walk(x));
      case "let":
        return e.bindings.every(([, x]) => walk(x)) && walk(e.body);
      case "lambda":
        return walk(e.body);
      default:
        return true;
    }
  };
  return body ? walk(body) : true;
}
