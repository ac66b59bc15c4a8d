/** One evaluation of a form: its arguments, evaluated on demand, and their positions. */
import type { Pos } from "../errors.ts";
import { LambdaV, typeName, type Value } from "../values.ts";
import { err } from "../errors.ts";
import type { Expr, FormExpr, VarArgs } from "./ast.ts";
import type { Ctx } from "./context.ts";
import { applyLambda, evaluate, type Env } from "./evaluate.ts";

export interface ArgItem {
  value: Value;
  pos: Pos;
}

export class Call {
  constructor(
    readonly ctx: Ctx,
    readonly env: Env,
    readonly form: FormExpr,
  ) {}

  /** The form's own position. */
  get pos(): Pos {
    return this.form.pos;
  }

  /** The position of an argument slot. */
  at(key: string): Pos {
    return [...this.form.pos, key];
  }

  has(key: string): boolean {
    return this.form.args.has(key);
  }

  expr(key: string): Expr {
    const a = this.form.args.get(key);
    if (!a) throw new Error(`form ${this.form.def.name} has no argument ${key}`);
    if (a.k === "varargs") throw new Error(`argument ${key} is variadic`);
    return a;
  }

  arg(key: string): Value {
    const a = this.form.args.get(key)!;
    if (a.k === "varargs") return a.bare ? this.eval(a.items[0]!) : a.items.map((x) => this.eval(x));
    return this.eval(a);
  }

  /** An optional argument; `undefined` when the key is absent. */
  opt(key: string): Value | undefined {
    return this.has(key) ? this.arg(key) : undefined;
  }

  /** Variadic argument: each element with its own position (`[key, i]`, or `[key]` when bare). */
  args(key: string): { items: ArgItem[]; bare: boolean } {
    const a = this.form.args.get(key)! as VarArgs | Expr;
    if (a.k !== "varargs") return { items: [{ value: this.eval(a), pos: this.at(key) }], bare: true };
    return { items: a.items.map((x) => ({ value: this.eval(x), pos: x.pos })), bare: a.bare };
  }

  eval(e: Expr): Value {
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
