/** The parsed form of a query expression. Positions are fixed at parse time (spec §3.4). */
import type { Pos } from "../errors.ts";
import type { LambdaParams, Value } from "../values.ts";
import type { FormDef } from "./registry.ts";

export type Expr = LitExpr | ArrExpr | ObjExpr | VarExpr | LetExpr | LambdaExpr | FormExpr;

export interface LitExpr {
  k: "lit";
  v: Value;
  pos: Pos;
}
export interface ArrExpr {
  k: "arr";
  items: Expr[];
  pos: Pos;
}
export interface ObjExpr {
  k: "obj";
  fields: [string, Expr][];
  pos: Pos;
}
export interface VarExpr {
  k: "var";
  name: string;
  pos: Pos;
}
export interface LetExpr {
  k: "let";
  bindings: [string, Expr][];
  body: Expr;
  pos: Pos;
}
export interface LambdaExpr {
  k: "lambda";
  params: LambdaParams;
  body: Expr;
  pos: Pos;
  /** The API version the lambda was written for, echoed when it is rendered ("4", or "2.12" for a bare `@query`). */
  apiVersion: string;
}

/** An argument of a variadic key: the elements of an array literal, or one bare expression. */
export interface VarArgs {
  k: "varargs";
  items: Expr[];
  bare: boolean;
  pos: Pos;
}

export interface FormExpr {
  k: "form";
  def: FormDef;
  args: Map<string, Expr | VarArgs>;
  /** The order the keys arrived in, so the expression can be rendered back as sent. */
  keys: string[];
  pos: Pos;
}
