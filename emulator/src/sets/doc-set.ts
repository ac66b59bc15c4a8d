/**
 * A document ref read as a set (`Paginate(ref)`): its one element is the ref while the
 * document is live at the read time, none otherwise. Reading it needs history-read
 * permission on the document, as on FaunaDB.
 */
import { allowed } from "../auth/permissions.ts";
import type { Pos } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { Ref, type ObjectV, type Value } from "../values.ts";
import { locate, qualify } from "../access/docs.ts";
import { FSet, type Dir, type Entry, type Probe, type Shape } from "./sets.ts";

export class DocSet extends FSet {
  constructor(readonly ref: Ref) {
    super();
  }
  /** Never rendered as `@set`: FaunaDB shows a ref set as the ref itself (see `sourceOf`). */
  describe(): ObjectV {
    return new Map<string, Value>([["ref", this.ref]]);
  }
  shape(): Shape {
    return { arity: 0, reverse: [] };
  }
  readable(ctx: Ctx, pos: Pos): boolean {
    const loc = locate(ctx, this.ref, pos);
    return allowed(ctx, "history_read", loc.collKey, () => this.ref);
  }
  *scan(ctx: Ctx, _dir: Dir, probe: Probe | undefined, pos: Pos): Iterable<Entry> {
    const loc = locate(ctx, this.ref, pos);
    ctx.txn.scanned++;
    const rec = ctx.read(loc.db, loc.collKey, loc.id);
    if (!rec) return;
    const ref = qualify(ctx, loc.db, rec.ref);
    if (probe && probe([ref]) < 0 && _dir === "asc") return;
    if (probe && probe([ref]) >= 0 && _dir === "desc") return;
    yield { values: [], ref };
  }
}
