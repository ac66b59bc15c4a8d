/**
 * Where the JWT is in a request, and the limits on what a request may be. Every
 * failure is a typed error; statuses are decided in statuses.ts.
 */
import { BadRequest, PayloadTooLarge, RequestAborted, RequestTimeout, UnsupportedGrantType, UnsupportedMediaType } from "../core/errors/index.ts";
import { requestBudgets } from "../core/budgets.ts";
import { Deadline } from "../core/deadline.ts";

export const MAX_BODY_BYTES = 16 * 1024;
export const ALLOWED_METHODS = ["POST", "DELETE", "OPTIONS"] as const;

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const SUBJECT_TOKEN_TYPES = [
  "urn:ietf:params:oauth:token-type:jwt",
  "urn:ietf:params:oauth:token-type:access_token",
  "urn:ietf:params:oauth:token-type:id_token",
] as const;
/** A Fauna secret is used as a bearer access token, so that is what we say we issue. */
export const ISSUED_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

export interface TokenRequest {
  jwt: string;
  /** RFC 8693 form: answered with RFC 8693 fields and RFC 6749 error statuses. */
  form: boolean;
}

/**
 * The body, whole, by `deadline`: a client that sends its headers and then trickles (or
 * nothing) gets `RequestTimeout` when the body's share of the budget is over, instead of
 * holding the request, and the shared JWKS fetch after it, past the budget.
 */
async function readBody(req: Request, deadline: Deadline, bodyMs: number): Promise<string> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > MAX_BODY_BYTES) throw new PayloadTooLarge(MAX_BODY_BYTES);
  if (!req.body) return "";
  // Counted while streaming: a chunked body has no Content-Length to trust.
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await deadline.race(reader.read(), () => new RequestTimeout(bodyMs));
    } catch (e) {
      if (e instanceof RequestTimeout) {
        await reader.cancel().catch(() => undefined);
        throw e;
      }
      // The only other way reading a request's own body fails: its connection went away.
      throw new RequestAborted();
    }
    const { done, value } = step;
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLarge(MAX_BODY_BYTES);
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new BadRequest("The request body is not valid UTF-8.");
  }
}

function bearer(req: Request): string | undefined {
  const h = req.headers.get("authorization");
  if (h === null) return undefined;
  // Repeated headers arrive joined with commas (fetch's Headers, Lambda's events), and no
  // JWT has one. Which of two a proxy would honour is anyone's guess: refuse both.
  if (h.includes(",")) throw new BadRequest("Send one Authorization header: several were received.");
  const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(h);
  if (!m) throw new BadRequest("The Authorization header must be `Bearer <jwt>`.");
  return m[1];
}

function parseJsonBody(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequest("The request body is not valid JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequest('Send a JSON object: {"token": "<jwt>"}.');
  const extra = Object.keys(body).filter((k) => k !== "token");
  // Nothing but the token is accepted: a client must not believe it can store data.
  if (extra.length > 0) throw new BadRequest('Only the field "token" is accepted.');
  const token = (body as { token?: unknown }).token;
  if (token === undefined) return undefined;
  if (typeof token !== "string" || token === "") throw new BadRequest('"token" must be a non-empty string.');
  return token;
}

function single(params: URLSearchParams, name: string): string | undefined {
  const all = params.getAll(name);
  // RFC 6749 §3.2: parameters must not repeat.
  if (all.length > 1) throw new BadRequest(`The parameter ${name} is repeated.`);
  return all[0] === "" ? undefined : all[0];
}

/** `curl -d '{"token":…}'` sends JSON labelled as a form: say what to do. */
const JSON_NEEDS_CONTENT_TYPE =
  'A JSON body needs "Content-Type: application/json" (this one was sent as a form, which is curl -d\'s default).';

function parseForm(text: string): string {
  if (/^\s*[{[]/.test(text)) throw new BadRequest(JSON_NEEDS_CONTENT_TYPE);
  const params = new URLSearchParams(text);
  const grant = single(params, "grant_type");
  if (grant === undefined) {
    throw new BadRequest(`grant_type is missing: an RFC 8693 form needs grant_type=${TOKEN_EXCHANGE_GRANT}. ${JSON_NEEDS_CONTENT_TYPE}`);
  }
  if (grant !== TOKEN_EXCHANGE_GRANT) throw new UnsupportedGrantType();
  const subjectToken = single(params, "subject_token");
  const subjectType = single(params, "subject_token_type");
  if (subjectToken === undefined) throw new BadRequest("subject_token is missing.");
  if (subjectType === undefined || !(SUBJECT_TOKEN_TYPES as readonly string[]).includes(subjectType)) {
    throw new BadRequest(`subject_token_type must be one of ${SUBJECT_TOKEN_TYPES.join(", ")}.`);
  }
  if (single(params, "actor_token") !== undefined) throw new BadRequest("actor_token is not supported.");
  const requested = single(params, "requested_token_type");
  if (requested !== undefined && requested !== ISSUED_TOKEN_TYPE) {
    throw new BadRequest(`requested_token_type can only be ${ISSUED_TOKEN_TYPE}.`);
  }
  return subjectToken;
}

export interface ParseOptions {
  allowForm: boolean;
  /** The request's deadline; the body must have arrived by the earlier of it and `bodyMs` from now. */
  deadline?: Deadline;
  /** The body's share of the request's time. Default: budgets.ts's `bodyMs`. */
  bodyMs?: number;
}

/**
 * Where the JWT is: `Authorization: Bearer`, a JSON body `{"token"}`, or (for
 * POST) an RFC 8693 form. Exactly one place (RFC 6750 §2).
 */
export async function parseTokenRequest(req: Request, opts: ParseOptions): Promise<TokenRequest> {
  const fromHeader = bearer(req);
  const bodyMs = opts.bodyMs ?? requestBudgets().bodyMs;
  const text = await readBody(req, (opts.deadline ?? Deadline.after(bodyMs)).within(bodyMs), bodyMs);
  let fromBody: string | undefined;
  let form = false;
  if (text.trim() !== "") {
    const mediaType = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mediaType === "application/json") fromBody = parseJsonBody(text);
    else if (mediaType === "application/x-www-form-urlencoded" && opts.allowForm) {
      form = true;
      fromBody = parseForm(text);
    } else throw new UnsupportedMediaType();
  }
  if (fromHeader !== undefined && fromBody !== undefined) throw new BadRequest("Send the token in one place only.");
  const jwt = fromHeader ?? fromBody;
  if (jwt === undefined) {
    throw new BadRequest('No token: send `Authorization: Bearer <jwt>`, a JSON body {"token": "<jwt>"}, or an RFC 8693 form.');
  }
  return { jwt, form };
}
