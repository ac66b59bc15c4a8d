/**
 * JSON with sorted keys, so that two equal values always print alike: how deploy-schema and
 * the doctor compare a deployed object (an index's terms and values, a role's privileges)
 * with its definition, and how they show the difference.
 */
export function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}
