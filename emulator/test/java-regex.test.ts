/**
 * Direct unit tests of the Java regex translation (src/java/regex.ts): each case is a Java
 * pattern and what `java.util.regex` does with it, checked on the translated JavaScript
 * RegExp. The FQL functions that use it are tested end to end in stdlib-strings.test.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { QueryError } from "../src/errors.ts";
import { BadPattern, javaRegex, javaReplacement, matches, translateJavaRegex } from "../src/java/regex.ts";

/** Every match's text, as Java's `Matcher.find()` loop yields them. */
const found = (pattern: string, s: string): string[] => [...matches(s, javaRegex(pattern, []), 0)].map((m) => m[0]);
const finds = (pattern: string, s: string): boolean => found(pattern, s).length > 0;
/** `String.replaceAll(pattern, replacement)`. */
function replaceAll(pattern: string, s: string, replacement: string): string {
  const re = javaRegex(pattern, []);
  const rep = javaReplacement(replacement, re.groups, []);
  let out = "";
  let last = 0;
  for (const m of matches(s, re, 0)) {
    out += s.slice(last, m.index) + rep(m);
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
}

describe("character classes", () => {
  test("POSIX classes, with and without Is, and their negation", () => {
    assert.deepEqual(found("\\p{Lower}+", "abCDef"), ["ab", "ef"]);
    assert.deepEqual(found("\\p{IsDigit}+", "a12b3"), ["12", "3"]);
    assert.deepEqual(found("\\P{Alpha}+", "ab12cd"), ["12"]);
    assert.deepEqual(found("[\\p{Punct}]", "a,b!"), [",", "!"]);
    assert.deepEqual(found("\\p{XDigit}+", "xyz0fAg"), ["0fA"]);
  });

  test("java.lang.Character and Unicode properties", () => {
    assert.ok(finds("^\\p{javaUpperCase}$", "É"));
    assert.ok(finds("^\\p{IsAlphabetic}+$", "résumé"));
    assert.ok(finds("^\\p{IsGreek}+$", "αβγ"));
    assert.ok(finds("^\\p{sc=Latin}$", "a"));
    assert.ok(finds("^\\p{gc=Nd}$", "٣"));
    assert.ok(finds("^\\p{L}$", "ж"));
    assert.ok(finds("^\\pL$", "ж"));
  });

  test("\\s is Java's six ASCII spaces, not Unicode's", () => {
    assert.ok(finds("^\\s$", "\u000B"));
    assert.ok(!finds("\\s", "\u00A0"));
    assert.ok(!finds("\\s", "\u2003"));
    assert.deepEqual(found("[\\s,]+", "a, b"), [", "]);
  });

  test("\\h and \\v, and \\R for any line break", () => {
    assert.ok(finds("^\\h$", "\u00A0"));
    assert.ok(finds("^\\v$", "\u2028"));
    assert.deepEqual(found("\\R", "a\r\nb\nc"), ["\r\n", "\n"]);
  });

  test("intersections and nested classes", () => {
    assert.deepEqual(found("[a-z&&[^aeiou]]+", "abcde"), ["bcd"]);
    assert.deepEqual(found("[a-c[x-z]]+", "abxyzm"), ["abxyz"]);
    assert.deepEqual(found("[^a-c]+", "abcdef"), ["def"]);
  });

  test("a dash is a range only between two single characters", () => {
    assert.deepEqual(found("[a-]+", "a-b"), ["a-"]);
    assert.deepEqual(found("[\\x41-\\x43]+", "ABCD"), ["ABC"]);
    assert.deepEqual(found("[\\w-.]+", "a-b.c d"), ["a-b.c", "d"]);
  });

  test("escapes that name one character: octal, hex, code points, controls", () => {
    assert.ok(finds("^\\0101$", "A"));
    assert.ok(finds("^\\x{1F600}$", "😀"));
    assert.ok(finds("^\\u00e9$", "é"));
    assert.ok(finds("^\\cA$", "\u0001"));
    assert.ok(finds("^\\e\\a$", "\u001B\u0007"));
  });
});

describe("anchors, dot and flags", () => {
  test("$ also matches before a final line terminator; \\z only at the very end", () => {
    assert.ok(finds("abc$", "abc\n"));
    assert.ok(finds("abc\\Z", "abc\r\n"));
    assert.ok(!finds("abc\\z", "abc\n"));
    assert.ok(finds("\\Aabc", "abc"));
    assert.ok(!finds("\\Abc", "abc"));
  });

  test(". excludes Java's line terminators unless (?s)", () => {
    assert.ok(!finds("a.b", "a\u0085b"));
    assert.ok(!finds("a.b", "a\u2028b"));
    assert.ok(finds("(?s)a.b", "a\nb"));
  });

  test("(?m) makes ^ and $ match at line boundaries", () => {
    assert.deepEqual(found("(?m)^\\w+$", "ab\ncd"), ["ab", "cd"]);
    assert.deepEqual(found("^\\w+$", "ab\ncd"), []);
  });

  test("(?i) and (?x): case folding, and whitespace and comments ignored", () => {
    assert.ok(finds("(?i)hello", "HeLLo"));
    assert.ok(finds("(?x) a b # a comment\n c", "abc"));
    assert.ok(translateJavaRegex("(?i)x").ignoreCase);
    assert.ok(!translateJavaRegex("x").ignoreCase);
  });

  test("quoting with \\Q…\\E makes everything literal", () => {
    assert.ok(finds("^\\Qa.b*c\\E$", "a.b*c"));
    assert.ok(!finds("^\\Qa.b\\E$", "axb"));
    assert.ok(finds("^\\Q(x\\E\\d$", "(x1"));
  });

  test("possessive quantifiers and atomic groups are accepted", () => {
    assert.deepEqual(found("a++b", "aaab"), ["aaab"]);
    assert.deepEqual(found("a{2}+", "aaaa"), ["aa", "aa"]);
    assert.deepEqual(found("(?>ab)c", "abc"), ["abc"]);
  });
});

describe("groups and back-references", () => {
  test("groups are counted, named ones included, but not non-capturing or flag groups", () => {
    assert.equal(translateJavaRegex("(a)(?:b)(?<n>c)(?i:d)").groups, 2);
    assert.equal(translateJavaRegex("(?<x>a)(b)").groups, 2);
  });

  test("a back-reference reads further digits only while they name an existing group", () => {
    // One group: \11 is group 1 followed by a literal 1.
    assert.ok(finds("^(a)\\11$", "aa1"));
    assert.ok(finds("^(?<w>x)\\k<w>$", "xx"));
  });
});

describe("patterns Java refuses", () => {
  for (const [pattern, why] of [
    ["[abc", "an unclosed class"],
    ["a{x}", "an illegal repetition"],
    ["\\", "a trailing backslash"],
    ["\\p{InGreek}", "a Unicode block (not supported)"],
    ["[\\H]", "\\H inside a class"],
    ["\\y", "an unknown escape letter"],
    ["\\k", "\\k without a name"],
  ]) {
    test(`${why}: ${JSON.stringify(pattern)}`, () => {
      assert.throws(() => translateJavaRegex(pattern!), BadPattern);
    });
  }

  test("javaRegex reports any refusal as the server's error, at the given position", () => {
    // "(" and "(?q)a" pass the translation and are refused by the RegExp it compiles to.
    for (const pattern of ["[abc", "(", "a{x}", "(?q)a"]) {
      assert.throws(
        () => javaRegex(pattern, ["pattern"]),
        (e: unknown) =>
          e instanceof QueryError &&
          e.code === "invalid argument" &&
          e.description === `Search pattern /${pattern}/ is not a valid regular expression.` &&
          JSON.stringify(e.position) === '["pattern"]',
      );
    }
  });
});

describe("match stepping", () => {
  test("empty matches step forward by a whole code point", () => {
    assert.equal(found("", "a😀b").length, 4);
    assert.deepEqual(
      [...matches("a😀b", javaRegex("", []), 0)].map((m) => m.index),
      [0, 1, 3, 4],
    );
  });

  test("a search can start at a UTF-16 offset", () => {
    assert.deepEqual([...matches("abab", javaRegex("ab", []), 1)].map((m) => m.index), [2]);
  });
});

describe("replacement strings (Matcher.appendReplacement)", () => {
  test("$n, ${name} and backslash quoting", () => {
    assert.equal(replaceAll("(\\w)(\\d)", "a1 b2", "$2$1"), "1a 2b");
    assert.equal(replaceAll("(?<d>\\d)", "a1", "<${d}>"), "a<1>");
    assert.equal(replaceAll("x", "x", "\\$1\\\\"), "$1\\");
  });

  test("a group number reads further digits only while they name a group", () => {
    // One group: $10 is group 1 followed by a literal 0.
    assert.equal(replaceAll("(a)", "a", "$10"), "a0");
  });

  for (const [replacement, description] of [
    ["$2", "No group 2"],
    ["$x", "Illegal group reference"],
    ["\\", "character to be escaped is missing"],
    ["${d", "named capturing group is missing trailing '}'"],
  ]) {
    test(`refuses ${JSON.stringify(replacement)}: ${description}`, () => {
      assert.throws(
        () => javaReplacement(replacement!, 1, ["replace"]),
        (e: unknown) => e instanceof QueryError && e.code === "invalid argument" && e.description === description,
      );
    });
  }
});
