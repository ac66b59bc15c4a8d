// Every family of FQL functions registers its forms on import; this is the whole table.
import "./control.ts";
import "./refs.ts";
import "./documents.ts";
import "./credentials.ts";
import "./auth.ts";
import "./schema.ts";
import "./sets.ts";
import "./time.ts";
import "./arrays.ts";
import "./objects.ts";
import "./strings.ts";
import "./math.ts";
import "./types.ts";
