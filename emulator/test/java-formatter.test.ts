/**
 * Direct unit tests of the Java Formatter (src/java/formatter.ts): each case is what the
 * server prints for the same specifier and value, which is Java's `String.format` plus the
 * spec's own rules (S.4.7: a bare `%t` is the value's ISO text). Format's wiring into
 * FQL (argument positions, arrays of values) is tested end to end in stdlib-strings.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { QueryError } from "../src/errors.ts";
import { javaFormat } from "../src/java/formatter.ts";
import { DateV, TimeV, type Value } from "../src/values.ts";

const format = (fmt: string, ...values: Value[]): string =>
  javaFormat(
    fmt,
    values.map((v, i) => ({ v, pos: ["values", i] })),
    ["format"],
  );

/** The error Format raises: its description and where it points. */
function refused(fmt: string, values: Value[], description: string, position: (string | number)[]): void {
  assert.throws(
    () => format(fmt, ...values),
    (e: unknown) =>
      e instanceof QueryError && e.code === "invalid argument" && e.description === description && JSON.stringify(e.position) === JSON.stringify(position),
    `${fmt} should fail with "${description}" at ${JSON.stringify(position)}`,
  );
}

describe("integers", () => {
  test("width, left justification, zero padding, signs, grouping, parentheses", () => {
    assert.equal(format("%5d|%-5d|%05d|%05d", 42n, 42n, 42n, -42n), "   42|42   |00042|-0042");
    assert.equal(format("%,d", 1234567n), "1,234,567");
    assert.equal(format("%+d % d %(d", 5n, 5n, -5n), "+5  5 (5)");
  });

  test("hex and octal print the 64-bit two's complement of negatives", () => {
    assert.equal(format("%x", -1n), "ffffffffffffffff");
    assert.equal(format("%o", -8n), "1777777777777777777770");
    assert.equal(format("%#x %#o %X %08X", 255n, 8n, 255n, 255n), "0xff 010 FF 000000FF");
  });
});

describe("doubles", () => {
  test("%f rounds HALF_UP on the shortest decimal representation", () => {
    assert.equal(format("%.2f", 1.005), "1.01");
    assert.equal(format("%.1f", 0.05), "0.1");
    assert.equal(format("%.0f", 2.5), "3");
    assert.equal(format("%f", 1.5), "1.500000");
    assert.equal(format("%#.0f", 2.0), "2.");
    assert.equal(format("%.2f", 9.999), "10.00");
    assert.equal(format("%,.2f", 1234567.891), "1,234,567.89");
    assert.equal(format("%010.3f", -3.14159), "-00003.142");
  });

  test("%e and %g", () => {
    assert.equal(format("%e", 12345.678), "1.234568e+04");
    assert.equal(format("%.2e", 0.000123), "1.23e-04");
    assert.equal(format("%E", 12345.678), "1.234568E+04");
    assert.equal(format("%g", 0.0001), "0.000100000");
    assert.equal(format("%g", 123456789.0), "1.23457e+08");
    assert.equal(format("%g", 1.0), "1.00000");
  });

  test("NaN and the infinities", () => {
    assert.equal(format("%f", NaN), "NaN");
    assert.equal(format("%+f", Infinity), "+Infinity");
    assert.equal(format("%(f", -Infinity), "(Infinity)");
    assert.equal(format("%E", -Infinity), "-INFINITY");
  });
});

describe("strings, booleans, characters, values", () => {
  test("%s and %S: ToString's text, precision cuts, width pads", () => {
    assert.equal(format("%s|%s|%s|%s", null, 1.0, 7n, true), "null|1.0|7|true");
    assert.equal(format("%S", "abc"), "ABC");
    assert.equal(format("%.3s|%5s|%-5s|", "abcdef", "ab", "ab"), "abc|   ab|ab   |");
  });

  test("%b is false only for null and false", () => {
    assert.equal(format("%b %b %b %B", null, "x", 0n, false), "false true true FALSE");
  });

  test("%c takes a code point", () => {
    assert.equal(format("%c%c", 65n, 0x1f600n), "A😀");
    refused("%c", [0x110000n], "Invalid code point 1114112.", ["values", 0]);
  });

  test("%@ renders the value as FaunaDB's JSON", () => {
    assert.equal(format("%@", new Map<string, Value>([["a", 1n]])), '{"a":1}');
  });

  test("%% and %n take no argument", () => {
    assert.equal(format("100%% %s%n", "sure"), "100% sure\n");
  });
});

describe("argument indexes", () => {
  test("explicit (n$) and relative (<) indexes", () => {
    assert.equal(format("%2$s %1$s", "a", "b"), "b a");
    assert.equal(format("%s %<s %s", "a", "b"), "a a b");
  });

  test("counts are checked before anything is formatted, at the format string", () => {
    refused("%s %s", ["a"], "format specifiers count must be <= arguments size", ["format"]);
    refused("%3$s", ["a"], "index must be >= 1 and <= arguments size", ["format"]);
    refused("%<s", ["a"], "index must be >= 1 and <= arguments size", ["format"]);
    // The bad value in the second place is never reached.
    refused("%d %s %s", [1n, "x"], "format specifiers count must be <= arguments size", ["format"]);
  });
});

describe("specifiers Java refuses", () => {
  for (const spec of ["%q", "%-d", "%#d", "%.2d", "%,e", "%+ d", "%-05d", "%tq", "%.2c"]) {
    test(spec, () => refused(spec, [1n], `Invalid conversion format '${spec}'.`, ["format"]));
  }
});

describe("type errors are reported at the value", () => {
  test("each conversion names what it expected", () => {
    refused("%d", ["x"], "Integer expected, String provided.", ["values", 0]);
    refused("%s %f", ["ok", 1n], "Number expected, Integer provided.", ["values", 1]);
    refused("%tY", ["x"], "Date or Time expected, String provided.", ["values", 0]);
    refused("%s", [new Map<string, Value>()], "Cannot cast Object to String.", ["values", 0]);
  });
});

describe("dates and times, in UTC", () => {
  // 2024-03-05T14:07:09.123456789Z, a Tuesday, day 65 of the year.
  const t = new TimeV(BigInt(Date.UTC(2024, 2, 5, 14, 7, 9, 123)) * 1_000_000n + 456_789n);

  test("date and time fields", () => {
    assert.equal(format("%tY-%<tm-%<td %<tH:%<tM:%<tS.%<tL", t), "2024-03-05 14:07:09.123");
    assert.equal(format("%tN %<tj %<te %<ty %<tC", t), "123456789 065 5 24 20");
    assert.equal(format("%tB %<tb %<th %<tA %<ta", t), "March Mar Mar Tuesday Tue");
    assert.equal(format("%tI %<tl %<tk %<tp %<Tp", t), "02 2 14 pm PM");
    assert.equal(format("%tz %<tZ", t), "+0000 UTC");
    assert.equal(format("%ts %<tQ", t), `${Math.floor(Date.UTC(2024, 2, 5, 14, 7, 9) / 1000)} ${Date.UTC(2024, 2, 5, 14, 7, 9, 123)}`);
  });

  test("composite conversions", () => {
    assert.equal(format("%tF|%<tD|%<tR|%<tT|%<tr", t), "2024-03-05|03/05/24|14:07|14:07:09|02:07:09 PM");
    assert.equal(format("%tc", t), "Tue Mar 05 14:07:09 UTC 2024");
  });

  test("a Date is midnight UTC of its day; width justifies", () => {
    const d = new DateV(Date.UTC(2024, 2, 5) / 86_400_000);
    assert.equal(format("%tF %<tH", d), "2024-03-05 00");
    assert.equal(format("%12tF|%-12tF|", d, d), "  2024-03-05|2024-03-05  |");
  });

  test("a bare %t prints the value's ISO text (spec S.4.7)", () => {
    assert.equal(format("%t", t), "2024-03-05T14:07:09.123456789Z");
  });
});
