/**
 * The logger is where redaction is enforced, so it is tested on its own: values shaped
 * like a JWT or a Fauna secret are masked wherever they appear (messages, nested fields,
 * errors), fields named like credentials are dropped by whole word, and counts or refs
 * whose names merely contain such a word stay readable. And every invisible or
 * direction-changing character reaches a line only as a `\uXXXX` escape.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { log, redactString, setLogLevel, setLogSink } from "../lib/core/log.ts";
import { loadLogLevel } from "../lib/core/config/load.ts";

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHwxIn0.c2lnbmF0dXJl";
const SECRET = "fnAEXAMPLEsecretVALUE0123456789";

/** The lines `fn` logs, as written. */
function raw(fn: () => void): string[] {
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  try {
    fn();
  } finally {
    restore();
  }
  return lines;
}

function capture(fn: () => void): Record<string, unknown>[] {
  return raw(fn).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test("values shaped like a JWT or a Fauna secret are masked inside strings, nested fields and errors", () => {
  const [line] = capture(() =>
    log("warn", "x", {
      message: `token ${JWT} and secret ${SECRET} in a sentence`,
      nested: { deeper: [`Bearer ${JWT}`] },
      error: new Error(`driver said ${SECRET}`),
    }),
  );
  const text = JSON.stringify(line);
  assert.ok(!text.includes(JWT) && !text.includes(SECRET), text);
  assert.match(text, /\[redacted-jwt\]/);
  assert.match(text, /\[redacted-secret\]/);
  assert.equal((line!.error as { message: string }).message, "driver said [redacted-secret]");
  assert.equal(redactString(`a ${JWT} b`), "a [redacted-jwt] b");
});

test("fields named like credentials are dropped by whole word; counts and refs stay readable", () => {
  const [line] = capture(() =>
    log("info", "x", {
      secret: "plain",
      access_token: "plain",
      authorization: "Bearer plain",
      apiKey: "plain",
      password: "plain",
      tokensDeleted: 3,
      token_ref: "tokens/123",
      keyCount: 2,
    }),
  );
  for (const k of ["secret", "access_token", "authorization", "apiKey", "password"]) assert.equal(line![k], "[redacted]", k);
  assert.equal(line!.tokensDeleted, 3);
  assert.equal(line!.token_ref, "tokens/123");
  assert.equal(line!.keyCount, 2);
});

test("a line carries level, event and time, and LOG_LEVEL filters below it", () => {
  // LOG_LEVEL reaches the logger as the configuration reader read it (the adapters set it
  // when they build a handler), not by the logger reading process.env per line.
  const restore = setLogLevel(loadLogLevel({ LOG_LEVEL: "warn" }));
  try {
    const lines = capture(() => {
      log("info", "quiet");
      log("error", "loud", { n: 1 });
    });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, "error");
    assert.equal(lines[0]!.event, "loud");
    assert.ok(!Number.isNaN(Date.parse(lines[0]!.time as string)));
  } finally {
    restore();
  }
});

/** Each must reach a line only as an escape. */
const UNSAFE = ["\u202e", "\u200b", "\u2028", "\u2029", "\u2066", "\u200f", "\ufeff", "\u007f", "\u0085", "\u009b", "\u{e0001}"];
const RAW = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

describe("invisible characters (the review of main, 5)", () => {
  test("U+202E, U+200B, U+2028 (and the other format, control and separator characters) in a field: escaped in the raw line, the same once parsed", () => {
    const value = `admin${UNSAFE.join("x")}txt.exe`;
    const [line] = raw(() => log("info", "x", { iss: value, nested: { list: [value] }, [`key${"\u202e"}`]: 1 }));
    assert.ok(!RAW.test(line!), JSON.stringify(line));
    assert.match(line!, /\\u202e/);
    assert.match(line!, /\\u200b/);
    assert.match(line!, /\\u2028/);
    assert.match(line!, /\\udb40\\udc01/, "a character beyond U+FFFF as its escaped pair");
    const parsed = JSON.parse(line!) as { iss: string; nested: { list: string[] } };
    assert.equal(parsed.iss, value);
    assert.deepEqual(parsed.nested.list, [value]);
    assert.equal((parsed as Record<string, unknown>)[`key${"\u202e"}`], 1);
  });

  test("ordinary text, other scripts and emoji stay as they are", () => {
    const value = "Zoë · 東京 · مرحبا · 🙂 tab\tnewline\n";
    const [line] = raw(() => log("info", "x", { value }));
    assert.equal(line, JSON.stringify({ ...(JSON.parse(line!) as object), value }));
    assert.ok(line!.includes("Zoë · 東京 · مرحبا · 🙂"));
  });
});
