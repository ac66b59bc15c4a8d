/**
 * The logger is where redaction is enforced, so it is tested on its own: values shaped
 * like a JWT or a Fauna secret are masked wherever they appear (messages, nested fields,
 * errors), fields named like credentials are dropped by whole word, and counts or refs
 * whose names merely contain such a word stay readable.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { log, redactString, setLogLevel, setLogSink } from "../lib/core/log.ts";
import { loadLogLevel } from "../lib/core/config/load.ts";

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHwxIn0.c2lnbmF0dXJl";
const SECRET = "fnAEXAMPLEsecretVALUE0123456789";

function capture(fn: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  try {
    fn();
  } finally {
    restore();
  }
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
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
