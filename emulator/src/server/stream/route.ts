/**
 * `POST /stream`: validates the request, evaluates its expression with the caller's
 * secret, and answers either an ordinary error response or a stream that starts with
 * its `start` event and then carries every event the caller may see.
 */
import type { Engine } from "../../engine.ts";
import { renderError } from "../../wire/render.ts";
import { fromResult, JSON_TYPE, type PlainResponse, type Response } from "../responses.ts";
import type { StreamHub } from "./hub.ts";
import { parseFields, streamTarget } from "./open.ts";

export function openStream(
  engine: Engine,
  hub: StreamHub,
  authorization: string | undefined,
  body: string,
  fieldsParam: string | null,
  base: (status: number, body: string) => PlainResponse,
): Response {
  const fields = parseFields(fieldsParam);
  if ("error" in fields) {
    return base(400, JSON.stringify({ errors: [{ position: [], code: "invalid url parameter", description: fields.error }] }));
  }
  const evaluated = engine.evaluateForStream(authorization, body);
  if (!("value" in evaluated)) return fromResult(evaluated);
  const { ctx, value, snapshotMicros } = evaluated;
  const target = streamTarget(ctx, value);
  if (!("kind" in target)) return base(target.status, `{"errors":[${renderError(target)}]}`);
  const sub = hub.subscribe(authorization, ctx.db, ctx.principal, fields, target, snapshotMicros);
  return {
    status: 200,
    headers: { "content-type": JSON_TYPE, "x-txn-time": snapshotMicros.toString() },
    start(sink) {
      sub.attach(sink);
      return { onClose: () => hub.unsubscribe(sub) };
    },
  };
}
