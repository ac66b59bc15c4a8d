/**
 * Access providers (CreateAccessProvider): the issuers whose JWTs a database would
 * accept. The emulator stores and validates them as FaunaDB does; it does not accept
 * JWTs as secrets (see the README).
 */
import { err, type Pos, type ValidationFailure } from "../errors.ts";
import type { Ctx } from "../eval/context.ts";
import { isBuiltinRole } from "../eval/context.ts";
import { LambdaV, Ref, typeName, type ObjectV, type Value } from "../values.ts";

const PREFIX = "https://db.fauna.com/db/";

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === "https:";
  } catch {
    return false;
  }
}

/** Validates `roles` (a role, or an array of roles, each `Role(x)`, a name, or `{role, predicate}`); returns it as stored. */
function checkRoles(ctx: Ctx, roles: Value, failures: ValidationFailure[]): Value | undefined {
  const list = Array.isArray(roles) ? roles : [roles];
  const stored: Value[] = [];
  for (const entry of list) {
    const role = entry instanceof Map ? entry.get("role") : entry;
    const predicate = entry instanceof Map ? entry.get("predicate") : undefined;
    if (entry instanceof Map && (role === undefined || (predicate !== undefined && !(predicate instanceof LambdaV)))) {
      failures.push({ field: ["roles"], code: "invalid type", description: `Invalid type ${typeName(entry)}, expected type Role.` });
      continue;
    }
    if (typeof role === "string") {
      if (isBuiltinRole(role)) failures.push({ field: ["roles"], code: "validation failure", description: `Builtin role \`${role}\` not allowed.` });
      else if (!ctx.db.live("#roles", role, ctx.snapshotNs)) failures.push({ field: ["roles"], code: "validation failure", description: `Role \`${role}\` does not exist.` });
    } else if (role instanceof Ref && role.schemaKind === "roles") {
      if (!ctx.db.live("#roles", role.id, ctx.snapshotNs)) failures.push({ field: ["roles"], code: "invalid reference", description: "Cannot read reference." });
    } else {
      failures.push({ field: ["roles"], code: "invalid type", description: `Invalid type ${typeName(role ?? null)}, expected type Role.` });
      continue;
    }
    stored.push(entry);
  }
  // FaunaDB stores a list of one role as that role.
  return stored.length === 1 ? stored[0] : stored;
}

/** The fields of a new access provider, or `validation failed` with every problem. */
export function accessProviderFields(ctx: Ctx, name: string, params: ObjectV, pos: Pos): Map<string, Value> {
  const failures: ValidationFailure[] = [];
  const issuer = params.get("issuer");
  const jwks = params.get("jwks_uri");
  if (issuer === undefined || issuer === null) failures.push({ field: ["issuer"], code: "value required", description: "Required value not found." });
  else if (typeof issuer !== "string") failures.push({ field: ["issuer"], code: "invalid type", description: `Invalid type ${typeName(issuer)}, expected type String.` });
  else if (issuerTaken(ctx, issuer)) failures.push({ field: ["issuer"], code: "duplicate value", description: "Value is not unique." });
  if (jwks === undefined || jwks === null) failures.push({ field: ["jwks_uri"], code: "value required", description: "Required value not found." });
  else if (typeof jwks !== "string" || !isHttpsUrl(jwks)) {
    failures.push({ field: ["jwks_uri"], code: "invalid uri", description: `\`${typeof jwks === "string" ? jwks : typeName(jwks)}\` is a not valid URI` });
  }
  const rolesIn = params.get("roles");
  const roles = rolesIn === undefined || rolesIn === null ? undefined : checkRoles(ctx, rolesIn, failures);
  if (failures.length) throw err.validation(pos, failures);
  const fields = new Map<string, Value>([
    ["name", name],
    ["issuer", issuer!],
    ["jwks_uri", jwks!],
  ]);
  if (roles !== undefined) fields.set("roles", roles);
  fields.set("audience", `${PREFIX}${ctx.db.globalId}`);
  const data = params.get("data");
  if (data !== undefined && data !== null) fields.set("data", data);
  return fields;
}

function issuerTaken(ctx: Ctx, issuer: string): boolean {
  for (const rec of ctx.db.store("#access_providers")!.docs.values()) {
    if (rec.fields.get("issuer") === issuer && ctx.db.live("#access_providers", rec.ref.id, ctx.snapshotNs)) return true;
  }
  return false;
}
