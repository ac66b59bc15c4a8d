/** Appendix S.5 (strings, regex) and S.4.7 (Format). */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, rawQuery, assertBody, expectError, type Client, invalidArg } from "./support.ts";

let target: FaunaTarget;
let c: Client;
const send = (expr: Parameters<typeof rawQuery>[2]) => rawQuery(target.endpoint, target.adminSecret, expr);
const eq = async (expr: Parameters<Client["query"]>[0], expected: unknown) => assert.deepEqual(await c.query(expr), expected);

before(async () => {
  target = await startTarget();
  c = target.client();
});
after(() => target.close());

describe("Concat / case / Length", () => {
  test("Concat with and without separator", async () => {
    await eq(q.Concat(["a", "b", "c"]), "abc");
    await eq(q.Concat(["a", "b"], " "), "a b");
    await eq(q.Concat("5"), "5");
    await eq(q.Concat([]), "");
  });

  test("Concat errors: element at [concat, i], separator at [separator]", async () => {
    await expectError(c.query(q.Concat(["a", 1])), invalidArg("String expected, Integer provided.", ["concat", 1]));
    await expectError(c.query(q.Concat(["a"], 1)), invalidArg("String expected, Integer provided.", ["separator"]));
  });

  test("Casefold: default NFKCCaseFold; explicit normalizers; bad normalizer", async () => {
    await eq(q.Casefold("Weißkopfseeadler"), "weisskopfseeadler");
    await eq(q.Casefold("İstanbul"), "i̇stanbul");
    await eq(q.Casefold("Ab", "NFC"), "Ab");
    await eq(q.Casefold(["A", "B"]), ["a", "b"]);
    await eq(q.Casefold(["A"]), "a");
    await eq(q.Casefold(5), 5);
    await eq(q.Casefold("\u0041\u030A", "NFC"), "\u00C5");
    await eq(q.Casefold("\u00C5", "NFD"), "\u0041\u030A");
    await expectError(
      c.query(q.Casefold("a", "XYZ")),
      invalidArg("String 'NFKCCaseFold', 'NFC', 'NFD', 'NFKC', or 'NFKD' expected, String provided.", ["normalizer"]),
    );
  });

  test("LowerCase / UpperCase / TitleCase", async () => {
    await eq(q.LowerCase("İstanbul"), "i̇stanbul");
    await eq(q.UpperCase("ß"), "SS");
    await eq(q.UpperCase("abc"), "ABC");
    await eq(q.TitleCase("BILL WALSH"), "Bill Walsh");
    await eq(q.TitleCase("hello wORLD"), "Hello World");
  });

  test("Length counts code points; non-strings rejected at [length]", async () => {
    await eq(q.Length("\uD801\uDC00 ABC"), 5);
    await eq(q.Length(""), 0);
    await expectError(c.query(q.Length(5)), invalidArg("String expected, Integer provided.", ["length"]));
  });
});

describe("search functions", () => {
  test("ContainsStr / StartsWith / EndsWith", async () => {
    await eq(q.ContainsStr("fauna", "aun"), true);
    await eq(q.ContainsStr("fauna", "x"), false);
    await eq(q.StartsWith("fauna", "fa"), true);
    await eq(q.StartsWith("fauna", ""), true);
    await eq(q.EndsWith("fauna", "na"), true);
    await eq(q.EndsWith("fauna", "fa"), false);
    await expectError(c.query(q.ContainsStr(1, "a")), invalidArg("String expected, Integer provided.", ["containsstr"]));
    await expectError(c.query(q.StartsWith("a", 1)), invalidArg("String expected, Integer provided.", ["search"]));
  });

  test("FindStr: index or -1; start only when 0 < start < length", async () => {
    await eq(q.FindStr("heLLo world", "world"), 6);
    await eq(q.FindStr("abc", "z"), -1);
    await eq(q.FindStr("ABC", "A", 1), -1);
    await eq(q.FindStr("abc", "a", 10), 0);
    await eq(q.FindStr("abcabc", "b", 2), 4);
  });

  test("FindStrRegex returns start/end(last code point)/data", async () => {
    await eq(q.FindStrRegex("One Fish Two fish", "[fF]ish"), [
      { start: 4, end: 7, data: "Fish" },
      { start: 13, end: 16, data: "fish" },
    ]);
    await eq(q.FindStrRegex("One Fish Two fish", "[fF]ish", 5), [{ start: 13, end: 16, data: "fish" }]);
    await eq(q.FindStrRegex("aaa", "a", 0, 2), [
      { start: 0, end: 0, data: "a" },
      { start: 1, end: 1, data: "a" },
    ]);
  });

  test("ContainsStrRegex finds anywhere", async () => {
    await eq(q.ContainsStrRegex("hello world", "o w"), true);
    await eq(q.ContainsStrRegex("hello", "^ell"), false);
  });
});

describe("replace / substring / trim / repeat / space", () => {
  test("ReplaceStr replaces all literal occurrences", async () => {
    await eq(q.ReplaceStr("a.b.c", ".", "-"), "a-b-c");
  });

  test("ReplaceStrRegex: all, first only, Java $1 groups", async () => {
    await eq(q.ReplaceStrRegex("one fish two fish", "fish", "dog"), "one dog two dog");
    await eq(q.ReplaceStrRegex("one fish two fish", "fish", "dog", true), "one dog two fish");
    await eq(q.ReplaceStrRegex("John Smith", "(\\w+) (\\w+)", "$2, $1"), "Smith, John");
    await eq(q.ReplaceStrRegex("cost", "cost", "\\$5"), "$5");
  });

  test("SubString: default start 0, negative from the end, length clamped; errors at []", async () => {
    await eq(q.SubString("ABCDE", 1), "BCDE");
    await eq(q.SubString("ABCDE", 1, 2), "BC");
    await eq(q.SubString("ABCDE", -2), "DE");
    await eq(q.SubString("ABCDE", 2, 100), "CDE");
    await eq(q.SubString("ABCDE", 5, 2), "");
    await expectError(c.query(q.SubString("ABCDE", 6)), invalidArg("start must be less than or equal to the string length", []));
    await expectError(c.query(q.SubString("ABCDE", 0, -1)), invalidArg("length must be positive", []));
    await expectError(c.query(q.SubString("ABCDE", "x")), invalidArg("Integer expected, String provided.", ["start"]));
  });

  test("Trim / LTrim / RTrim strip Unicode whitespace but not U+00A0", async () => {
    await eq(q.Trim("\t\n  hi \u1680"), "hi");
    await eq(q.LTrim("  hi  "), "hi  ");
    await eq(q.RTrim("  hi  "), "  hi");
    await eq(q.Trim("\u00A0hi\u00A0"), "\u00A0hi\u00A0");
  });

  test("Repeat (default 2, n ≤ 0 → '') and Space", async () => {
    await eq(q.Repeat("ab"), "abab");
    await eq(q.Repeat("ab", 3), "ababab");
    await eq(q.Repeat("ab", 0), "");
    await eq(q.Repeat("ab", -1), "");
    await eq(q.Space(2), "  ");
    await eq(q.Space(0), "");
    await expectError(c.query(q.Space("x")), invalidArg("Integer expected, String provided.", ["space"]));
  });

  test("NGram", async () => {
    await eq(q.NGram("apple"), ["a", "ap", "p", "pp", "p", "pl", "l", "le", "e"]);
    await eq(q.NGram("apple", 2, 3), ["ap", "app", "pp", "ppl", "pl", "ple", "le"]);
  });
});

describe("regex dialect (Java)", () => {
  test("inline flags (?i), (?m)", async () => {
    await eq(q.ContainsStrRegex("HELLO", "(?i)hello"), true);
    await eq(q.ContainsStrRegex("1\n2\n3", "(?m)2$"), true);
    await eq(q.ContainsStrRegex("1\n2\n3", "(?m)^3"), true);
    await eq(q.ContainsStrRegex("1\n2\n3", "2$"), false);
  });

  test("\\Q…\\E literal quoting (and RegexEscape feeding it back)", async () => {
    await eq(q.RegexEscape("a.b"), "\\Qa.b\\E");
    await eq(q.ContainsStrRegex("axb", "\\Qa.b\\E"), false);
    await eq(q.ContainsStrRegex("a.b", "\\Qa.b\\E"), true);
    await eq(q.ContainsStrRegex("a.b+c", q.RegexEscape("b+c")), true);
    await eq(q.ReplaceStrRegex("1+1=2", q.RegexEscape("1+1"), "two"), "two=2");
  });

  test("\\A and \\z anchors", async () => {
    await eq(q.ContainsStrRegex("abc", "\\Aab"), true);
    await eq(q.ContainsStrRegex("abc", "bc\\z"), true);
    await eq(q.ContainsStrRegex("abc", "\\Abc"), false);
  });

  test("invalid pattern → 400 at [pattern]", async () => {
    await expectError(
      c.query(q.ContainsStrRegex("abc", "{")),
      invalidArg("Search pattern /{/ is not a valid regular expression.", ["pattern"]),
    );
  });
});

describe("Format (S.4.7)", () => {
  test("basic conversions", async () => {
    await eq(q.Format("%s %s %s %s", ["str", true, false, null]), "str true false null");
    await eq(q.Format("%d %o %x", [15, 15, 15]), "15 17 f");
    await eq(q.Format("%.2f", 3.14159), "3.14");
    await eq(q.Format("%2$s%3$s %1$s", ["rocks", "Fauna", "DB"]), "FaunaDB rocks");
    await eq(q.Format("%%", []), "%");
    await eq(q.Format("%-5s|", "ab"), "ab   |");
    await eq(q.Format("%+d", 5), "+5");
  });

  test("type errors and bad specifiers", async () => {
    await expectError(c.query(q.Format("%s %d", ["a", "x"])), { status: 400, code: "invalid argument", position: ["values", 1] });
    await expectError(c.query(q.Format("%d", "x")), { status: 400, code: "invalid argument", position: ["values"] });
    await expectError(c.query(q.Format("%Z", 1)), invalidArg("Invalid conversion format '%Z'.", ["format"]));
    await expectError(c.query(q.Format("%s %s", "a")), invalidArg("format specifiers count must be <= arguments size", ["format"]));
  });

  test("%f needs a Double: an Integer is rejected", async () => {
    assertBody(await send('{"format":"%.1f","values":[2.0]}'), 200, { resource: "2.0" });
    await expectError(c.query(q.Format("%f", 2)), { status: 400, code: "invalid argument", description: "Number expected, Integer provided." });
  });
});
