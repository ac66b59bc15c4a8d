/**
 * The form table and the functions' contract. Every FQL function is declared once, as
 * data, with the exact key sets FaunaDB's parser accepts for it, in the module of its
 * family (forms/*.ts); the engine registers the families' one list.
 */
import type { Pos } from "../errors.ts";
import type { LambdaV, Value } from "../values.ts";
import type { Ctx } from "./context.ts";

/** An evaluated argument and where it sits in the query. */
export interface ArgItem {
  value: Value;
  pos: Pos;
}

/** An argument not evaluated yet, for forms that evaluate lazily (Do, And, Or). */
export interface DeferredArg {
  pos: Pos;
  value(): Value;
}

/**
 * The functions' contract: what one evaluation of a form sees of its call. The evaluator
 * implements it; a form never sees the expression tree, only its arguments and their positions.
 */
export interface FormCall {
  readonly ctx: Ctx;
  /** The form's own position. */
  readonly pos: Pos;
  /** The position of an argument slot. */
  at(key: string): Pos;
  has(key: string): boolean;
  arg(key: string): Value;
  /** An optional argument; `undefined` when the key is absent. */
  opt(key: string): Value | undefined;
  /** Variadic argument as written: each element of an array literal with its own position (`[key, i]`), or the one bare value at `[key]`. */
  args(key: string): { items: ArgItem[]; bare: boolean };
  /**
   * Variadic argument as FaunaDB evaluates it: a bare expression is evaluated first and,
   * when it yields an array, its elements are the operands (each at `[key, i]`); an empty
   * list is `Non-empty array expected.` unless `allowEmpty` (Concat). `bare` is true when
   * the one operand was no array.
   */
  spread(key: string, allowEmpty?: boolean): { items: ArgItem[]; bare: boolean };
  /** A variadic argument's elements, each evaluated only when asked (a bare one sits at `[key, 0]`). */
  deferred(key: string): DeferredArg[];
  /** The argument as a lambda, or "Lambda expected" at its slot. */
  lambda(key: string): LambdaV;
  /** Applies a lambda; arity errors are reported at the `key` slot. */
  apply(lam: LambdaV, arg: Value, key: string): Value;
}

export interface FormDef {
  /** The function's key, e.g. "time_add". */
  name: string;
  /** Accepted key sets, each including `name`; optional keys make several shapes. */
  shapes: string[][];
  /** Keys whose array literal is a list of arguments rather than one array argument. */
  variadic?: string[];
  /** Keys that must hold a literal `{"lambda", "expr"}` (checked at parse time). */
  lambdas?: string[];
  /**
   * Keys that must hold a literal lambda, where anything else is the parse error
   * "Lambda expected, X provided." (reduce, query, merge's lambda).
   */
  strictLambdas?: string[];
  /** Set at registration for the server's expression forms (EXPRESSION_FORMS): they cost no compute. */
  free?: boolean;
  eval(c: FormCall): Value;
}

/**
 * The forms FaunaDB's parser turns into expressions of its own (`AtE`, `IfE`, `DoE`, `AndE`,
 * `OrE`, `SelectE`, `CallE`) rather than function calls: evaluating them costs no compute
 * (`EvalContext.scala` charges one per `NativeCall` and one per lambda application).
 * `Let`, `Var`, `Lambda`, `Object` and literals are not forms here, and cost nothing either.
 */
const EXPRESSION_FORMS = new Set(["at", "if", "do", "and", "or", "select", "select_all", "select_as_index", "call"]);

/** Declares a form whose optional keys may each be present or absent: one shape per combination. */
export function withOptional(def: Omit<FormDef, "shapes"> & { required?: string[]; optional?: string[] }): FormDef {
  const required = [def.name, ...(def.required ?? [])];
  const optional = def.optional ?? [];
  const shapes: string[][] = [];
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    shapes.push([...required, ...optional.filter((_, i) => mask & (1 << i))]);
  }
  const { required: _r, optional: _o, ...rest } = def;
  return { ...rest, shapes };
}

const bySignature = new Map<string, FormDef>();

const signature = (keys: Iterable<string>): string => [...keys].sort().join("\u0000");

/**
 * Adds definitions to the table the parser reads. The engine registers the one list
 * of every family (forms/index.ts); registering the same definition again changes nothing.
 */
export function registerForms(defs: readonly FormDef[]): void {
  for (const def of defs) {
    def.free = EXPRESSION_FORMS.has(def.name);
    for (const shape of def.shapes) {
      const sig = signature(shape);
      const known = bySignature.get(sig);
      if (known && known !== def) throw new Error(`form shape defined twice: ${shape.join(",")}`);
      bySignature.set(sig, def);
    }
  }
}

export function lookupForm(keys: string[]): FormDef | undefined {
  return bySignature.get(signature(keys));
}
