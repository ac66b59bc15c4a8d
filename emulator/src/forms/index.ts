/**
 * The whole form table as data: every family's definitions, in one list that the engine
 * registers. The README's table of supported functions is checked against FAMILIES.
 */
import type { FormDef } from "../eval/registry.ts";
import { forms as arrays } from "./arrays.ts";
import { forms as auth } from "./auth.ts";
import { forms as control } from "./control.ts";
import { forms as documents } from "./documents.ts";
import { forms as history } from "./history.ts";
import { forms as math } from "./math.ts";
import { forms as objects } from "./objects.ts";
import { forms as refs } from "./refs.ts";
import { forms as schema } from "./schema.ts";
import { forms as sets } from "./sets.ts";
import { forms as strings } from "./strings.ts";
import { forms as time } from "./time.ts";
import { forms as types } from "./types.ts";

export interface FormFamily {
  /** The family's module: `forms/<name>.ts`. */
  name: string;
  forms: readonly FormDef[];
}

export const FAMILIES: readonly FormFamily[] = [
  { name: "control", forms: control },
  { name: "refs", forms: refs },
  { name: "documents", forms: documents },
  { name: "auth", forms: auth },
  { name: "schema", forms: schema },
  { name: "sets", forms: sets },
  { name: "history", forms: history },
  { name: "time", forms: time },
  { name: "arrays", forms: arrays },
  { name: "objects", forms: objects },
  { name: "strings", forms: strings },
  { name: "math", forms: math },
  { name: "types", forms: types },
];

/** Every FQL function the emulator knows, each defined once. */
export const FORMS: readonly FormDef[] = FAMILIES.flatMap((f) => f.forms);
