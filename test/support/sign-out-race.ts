/**
 * The review's race against sign out everywhere (issue 17.2), shared by the default and
 * the cluster profile's suites: `n` exchanges of one JWT spread evenly over `spreadMs`, and
 * a DELETE with the same JWT `deleteAtMs` in.
 */
import type { Stack } from "./stack.ts";
import { bearer, call, type Reply } from "./http-client.ts";
import { secretWorks } from "../cleanup-fixtures.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once every request has been answered. */
export async function race(s: Stack, jwt: string, o = { n: 50, spreadMs: 20, deleteAtMs: 8 }): Promise<{ posts: Reply[]; del: Reply }> {
  const posts = Array.from({ length: o.n }, (_, i) => wait((i * o.spreadMs) / o.n).then(() => call(s.url, bearer(jwt))));
  const del = wait(o.deleteAtMs).then(() => call(s.url, { method: "DELETE", ...bearer(jwt) }));
  return { posts: await Promise.all(posts), del: await del };
}

/** The secrets of the 200 answers. */
export function delivered(replies: Reply[]): string[] {
  return replies.filter((r) => r.status === 200).map((r) => r.body.secret as string);
}

/** How many of these secrets FaunaDB accepts now. */
export async function working(s: Stack, secrets: string[]): Promise<number> {
  const works = await Promise.all(secrets.map((secret) => secretWorks(s.target.endpoint, secret)));
  return works.filter(Boolean).length;
}
