/**
 * The tree walker: environments, lambdas and their application, and the `FormCall`
 * each form is evaluated with (the interpreter calls itself through it, so both live here).
 */
import { err, QueryError, type Pos } from "../errors.ts";
import { checkWidth } from "../limits.ts";
import { LambdaV, typeName, type LambdaParams, type ObjectV, type Value } from "../values.ts";
import type { Expr, FormExpr, LambdaExpr, VarArgs } from "./ast.ts";
import type { Ctx } from "./context.ts";
import type { ArgItem, DeferredArg, FormCall } from "./registry.ts";
import { freeVars, litToWire, unparse } from "./unparse.ts";

export class Env {
  constructor(
    private readonly vars: Map<string, Value>,
    private readonly parent?: Env,
  ) {}
  static readonly empty = new Env(new Map());
  get(name: string): Value | undefined {
    let e: Env | undefined = this;
    while (e) {
      if (e.vars.has(name)) return e.vars.get(name);
      e = e.parent;
    }
    return undefined;
  }
  has(name: string): boolean {
    let e: Env | undefined = this;
    while (e) {
      if (e.vars.has(name)) return true;
      e = e.parent;
    }
    return false;
  }
  extend(vars: Map<string, Value>): Env {
    return new Env(vars, this);
  }
}

const MAX_DEPTH = 200;

export class Closure extends LambdaV {
  constructor(
    readonly expr: LambdaExpr,
    readonly env: Env,
  ) {
    super();
  }
  get params(): LambdaParams {
    return this.expr.params;
  }
  renderBody(): ObjectV {
    let body: Value = unparse(this.expr.body);
    // Variables captured from an enclosing Let are inlined as a wrapping let (spec S.7.2).
    const bound = new Set(typeof this.params === "string" ? [this.params] : this.params);
    const captured = [...freeVars(this.expr.body, bound)].filter((n) => this.env.has(n));
    if (captured.length) {
      body = new Map<string, Value>([
        ["let", new Map(captured.map((n) => [n, litToWire(this.env.get(n)!)]))],
        ["in", body],
      ]);
    }
    return new Map<string, Value>([
      ["api_version", this.expr.apiVersion],
      ["lambda", typeof this.params === "string" ? this.params : [...this.params]],
      ["expr", body],
    ]);
  }
}

export function evaluate(e: Expr, env: Env, ctx: Ctx): Value {
  switch (e.k) {
    case "lit":
      return e.v;
    case "arr":
      checkWidth(ctx.txn.meter.limited, e.items.length);
      return e.items.map((x) => evaluate(x, env, ctx));
    case "obj": {
      const m: ObjectV = new Map();
      for (const [k, x] of e.fields) m.set(k, evaluate(x, env, ctx));
      return m;
    }
    case "var": {
      const v = env.get(e.name);
      if (v === undefined) throw err.invalidExpression(e.pos, `Variable '${e.name}' is not defined.`);
      return v;
    }
    case "let": {
      let cur = env;
      for (const [name, x] of e.bindings) cur = cur.extend(new Map([[name, evaluate(x, cur, ctx)]]));
      return evaluate(e.body, cur, ctx);
    }
    case "lambda":
      return new Closure(e, env);
    case "form":
      if (!e.def.free) ctx.txn.meter.compute(1);
      return e.def.eval(new Call(ctx, env, e));
  }
}

/**
 * Binds a lambda's parameters to `arg` and evaluates its body. `pos` locates
 * arity errors (the lambda's slot + "lambda").
 */
export function applyLambda(ctx: Ctx, lam: LambdaV, arg: Value, pos: Pos): Value {
  if (!(lam instanceof Closure)) throw err.expected(pos, "Lambda", typeName(lam));
  const vars = new Map<string, Value>();
  const params = lam.params;
  if (typeof params === "string") {
    if (params !== "_") vars.set(params, arg);
  } else if (params.length === 1 && !Array.isArray(arg)) {
    if (params[0] !== "_") vars.set(params[0]!, arg);
  } else {
    const n = params.length;
    if (!Array.isArray(arg) || arg.length !== n) {
      const m = Array.isArray(arg) ? arg.length : 1;
      throw err.invalidArgument([...pos, "lambda"], `Lambda expects an array with ${n} elements. Array contains ${m}.`);
    }
    params.forEach((p, i) => {
      if (p !== "_") vars.set(p, arg[i]!);
    });
  }
  if (ctx.depth >= MAX_DEPTH) {
    throw new QueryError("stack overflow", `Call stack reached the maximum limit of ${MAX_DEPTH}.`, []);
  }
  ctx.txn.meter.compute(1);
  ctx.depth++;
  try {
    return evaluate(lam.expr.body, lam.env.extend(vars), ctx);
  } finally {
    ctx.depth--;
  }
}

/** One evaluation of a form: its arguments, evaluated on demand, and their positions. */
class Call implements FormCall {
  constructor(
    readonly ctx: Ctx,
    private readonly env: Env,
    private readonly form: FormExpr,
  ) {}

  get pos(): Pos {
    return this.form.pos;
  }

  at(key: string): Pos {
    return [...this.form.pos, key];
  }

  has(key: string): boolean {
    return this.form.args.has(key);
  }

  arg(key: string): Value {
    const a = this.form.args.get(key)!;
    if (a.k === "varargs") return a.bare ? this.eval(a.items[0]!) : a.items.map((x) => this.eval(x));
    return this.eval(a);
  }

  opt(key: string): Value | undefined {
    return this.has(key) ? this.arg(key) : undefined;
  }

  args(key: string): { items: ArgItem[]; bare: boolean } {
    const a = this.form.args.get(key)! as VarArgs | Expr;
    if (a.k !== "varargs") return { items: [{ value: this.eval(a), pos: this.at(key) }], bare: true };
    return { items: a.items.map((x) => ({ value: this.eval(x), pos: x.pos })), bare: a.bare };
  }

  spread(key: string, allowEmpty = false): { items: ArgItem[]; bare: boolean } {
    const a = this.form.args.get(key)! as VarArgs | Expr;
    let out: { items: ArgItem[]; bare: boolean };
    if (a.k === "varargs" && !a.bare) out = { items: a.items.map((x) => ({ value: this.eval(x), pos: x.pos })), bare: false };
    else {
      const value = this.eval(a.k === "varargs" ? a.items[0]! : a);
      out = Array.isArray(value)
        ? { items: value.map((v, i) => ({ value: v, pos: [...this.at(key), i] })), bare: false }
        : { items: [{ value, pos: this.at(key) }], bare: true };
    }
    if (!out.items.length && !allowEmpty) throw err.nonEmptyExpected(this.at(key));
    return out;
  }

  deferred(key: string): DeferredArg[] {
    const a = this.form.args.get(key)!;
    if (a.k === "varargs" && !a.bare) return a.items.map((x) => ({ pos: x.pos, value: () => this.eval(x) }));
    const x = a.k === "varargs" ? a.items[0]! : a;
    return [{ pos: [...this.at(key), 0], value: () => this.eval(x) }];
  }

  private eval(e: Expr): Value {
    return evaluate(e, this.env, this.ctx);
  }

  lambda(key: string): LambdaV {
    const v = this.arg(key);
    if (!(v instanceof LambdaV)) throw err.expected(this.at(key), "Lambda", typeName(v));
    return v;
  }

  apply(lam: LambdaV, arg: Value, key: string): Value {
    return applyLambda(this.ctx, lam, arg, this.at(key));
  }
}
