/** Small helpers for real HTTP requests against the served handler. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, { method: "POST", ...init });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export const bearer = (jwt: string): RequestInit => ({ headers: { authorization: `Bearer ${jwt}` } });

export const jsonBody = (body: unknown): RequestInit => ({
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";

export const form = (params: Record<string, string>): RequestInit => ({
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(params).toString(),
});

export const rfc8693 = (jwt: string, type = "urn:ietf:params:oauth:token-type:access_token"): RequestInit =>
  form({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: jwt, subject_token_type: type });
