/**
 * Appendix S.6 (math) and S.5.3 (conversions). Integer vs Double is invisible through the
 * driver (JSON numbers), so those assertions read the raw response text over HTTP/1.1.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, type FaunaTarget } from "../testing.ts";
import { q, rawQuery, expectError, type Client, invalidArg } from "./support.ts";

let target: FaunaTarget;
let c: Client;

/** Sends `body` (verbatim JSON text or a driver expression) and asserts the exact response text. */
async function gives(body: Parameters<typeof rawQuery>[2], resourceText: string): Promise<void> {
  const res = await rawQuery(target.endpoint, target.adminSecret, body);
  assert.equal(res.text, `{"resource":${resourceText}}`, `for ${typeof body === "string" ? body : JSON.stringify(body)}`);
  assert.equal(res.status, 200);
}
async function failsRaw(body: string, status: number, error: Record<string, unknown>): Promise<void> {
  const res = await rawQuery(target.endpoint, target.adminSecret, body);
  assert.equal(res.text, JSON.stringify({ errors: [error] }), `for ${body}`);
  assert.equal(res.status, status);
}

before(async () => {
  target = await startTarget();
  c = target.client();
});
after(() => target.close());

describe("arithmetic folds (S.6.2)", () => {
  test("Integer until the first Double, then Double", async () => {
    await gives('{"add":[1,2]}', "3");
    await gives('{"add":[1,2.5]}', "3.5");
    await gives('{"add":[1.0,2]}', "3.0");
    await gives('{"multiply":[2,3]}', "6");
    await gives('{"subtract":[10,2.5]}', "7.5");
    await gives('{"divide":[7,2]}', "3");
    await gives('{"divide":[7,2,1.0]}', "3.0");
    await gives('{"divide":[7.0,2]}', "3.5");
  });

  test("one argument returns it unchanged", async () => {
    await gives('{"subtract":5}', "5");
    await gives('{"divide":4}', "4");
    await gives('{"add":2.5}', "2.5");
  });

  test("integer division truncates toward zero; Modulo has the sign of the dividend", async () => {
    await gives('{"divide":[-7,2]}', "-3");
    await gives('{"modulo":[-7,2]}', "-1");
    await gives('{"modulo":[7,3]}', "1");
    await gives('{"modulo":[-7.5,2]}', "-1.5");
  });

  test("64-bit wraparound, no overflow error", async () => {
    await gives('{"add":[9223372036854775807,1]}', "-9223372036854775808");
    await gives('{"subtract":[-9223372036854775808,1]}', "9223372036854775807");
    await gives('{"multiply":[4611686018427387904,2]}', "-9223372036854775808");
    await gives('{"add":[9007199254740993,0]}', "9007199254740993");
  });

  test("division by zero (Integer or Double) → Illegal division by zero. at the form position", async () => {
    await expectError(c.query(q.Divide(1, 0)), invalidArg("Illegal division by zero.", []));
    await failsRaw('{"divide":[1.0,0.0]}', 400, { position: [], code: "invalid argument", description: "Illegal division by zero." });
    await expectError(c.query(q.Modulo(5, 0)), invalidArg("Illegal division by zero.", []));
    await expectError(c.query(q.Let({ x: 0 }, q.Divide(1, q.Var("x")))), invalidArg("Illegal division by zero.", ["in"]));
  });

  test("non-numbers → Number expected at [fn] / [fn, i]", async () => {
    await expectError(c.query(q.Add(1, "2")), invalidArg("Number expected, String provided.", ["add", 1]));
    await expectError(c.query(q.Abs("5")), invalidArg("Number expected, String provided.", ["abs"]));
    await expectError(c.query(q.Add("x")), invalidArg("Number expected, String provided.", ["add"]));
    await failsRaw('{"add":[]}', 400, { position: ["add"], code: "invalid argument", description: "Non-empty array expected." });
  });
});

describe("unary functions (S.6.2)", () => {
  test("Abs keeps the type (Long.MIN_VALUE stays negative)", async () => {
    await gives('{"abs":-5}', "5");
    await gives('{"abs":-5.5}', "5.5");
    await gives('{"abs":-9223372036854775808}', "-9223372036854775808");
  });

  test("Ceil / Floor: Integer unchanged, Double → Double", async () => {
    await gives('{"ceil":1.1}', "2.0");
    await gives('{"ceil":-0.1}', "-0.0");
    await gives('{"floor":-0.1}', "-1.0");
    await gives('{"ceil":3}', "3");
  });

  test("Sign is always an Integer; Double 0.0 and NaN give 1", async () => {
    await gives('{"sign":-3}', "-1");
    await gives('{"sign":0}', "0");
    await gives('{"sign":-2.5}', "-1");
    await gives('{"sign":0.0}', "1");
  });

  test("Sqrt always Double; negative → '-1 must be positive' at []", async () => {
    await gives('{"sqrt":16}', "4.0");
    await expectError(c.query(q.Sqrt(-1)), invalidArg("-1 must be positive", []));
    await failsRaw('{"sqrt":-1.5}', 400, { position: [], code: "invalid argument", description: "-1.5 must be positive" });
  });

  test("Pow always Double (default exponent 2)", async () => {
    await gives(q.Pow(2, 3), "8.0");
    await gives(q.Pow(10, -3), "0.001");
    await gives(q.Pow(3), "9.0");
  });

  test("Doubles render with Java Double.toString", async () => {
    await gives('{"add":3.0}', "3.0");
    await gives('{"add":0.001}', "0.001");
    await gives('{"add":0.0001}', "1.0E-4");
    await gives('{"add":12345678.9}', "1.23456789E7");
    await gives('{"add":1.0E21}', "1.0E21");
  });

  test("Hypot and trig are Doubles; domain errors at []", async () => {
    await gives(q.Hypot(3, 4), "5.0");
    await expectError(c.query(q.Acos(2)), invalidArg("2 must be between -1 and 1 inclusive", []));
    await expectError(c.query(q.Ln(0)), invalidArg("0 must be greater than 0", []));
  });

  test("bitwise: Integers → Integer; a Double involved → truncated operands, Double result", async () => {
    await gives('{"bitand":[12,10]}', "8");
    await gives('{"bitor":[12,10]}', "14");
    await gives('{"bitxor":[12,10]}', "6");
    await gives('{"bitand":[12.9,10]}', "8.0");
    await gives('{"bitnot":1}', "-2");
    await gives('{"bitnot":1.9}', "-2");
  });
});

describe("Round / Trunc quirks (S.6.2)", () => {
  test("Integer input: precision > 0 or absent → unchanged; precision ≤ 0 → rounded Integer", async () => {
    await gives('{"round":555}', "555");
    await gives('{"round":555,"precision":-1}', "560");
    await gives('{"round":555,"precision":-2}', "600");
    await gives('{"trunc":1234,"precision":-2}', "1200");
    await gives('{"round":-5,"precision":0}', "-4");
  });

  test("Double input: default precision 2, half-up for positives", async () => {
    await gives(q.Round(5.123), "5.12");
    await gives(q.Trunc(1234.5678), "1234.56");
    await gives(q.Round(555.666, 1), "555.7");
    await gives(q.Round(5.999), "6.0");
  });

  test("negative Doubles are shifted, not rounded half-away (server algorithm)", async () => {
    await gives(q.Round(-1.5), "-1.49");
    await gives(q.Round(-1.555, 2), "-1.54");
    await gives(q.Round(-2.5, 0), "-2.0");
  });

  test("precision must be an Integer at [precision]", async () => {
    await expectError(c.query(q.Round(1.5, "x")), invalidArg("Integer expected, String provided.", ["precision"]));
  });
});

describe("conversions (S.5.3)", () => {
  test("ToString", async () => {
    await gives(q.ToString(42), '"42"');
    await gives('{"to_string":1.0}', '"1.0"');
    await gives('{"to_string":0.0001}', '"1.0E-4"');
    await gives('{"to_string":12345678.9}', '"1.23456789E7"');
    await gives(q.ToString(true), '"true"');
    await gives(q.ToString(null as never), '"null"');
    await gives(q.ToString("s"), '"s"');
    await gives(q.ToString(q.Time("1970-01-01T00:00:00Z")), '"1970-01-01T00:00:00Z"');
    await gives(q.ToString(q.Date("2020-01-01")), '"2020-01-01"');
    await expectError(c.query(q.ToString([1])), invalidArg("Cannot cast Array to String.", []));
    await c.query(q.CreateCollection({ name: "x" }));
    await expectError(c.query(q.ToString(q.Ref(q.Collection("x"), "1"))), invalidArg("Cannot cast Ref to String.", []));
  });

  test("ToNumber parses the longest valid prefix (Java NumberFormat)", async () => {
    await gives(q.ToNumber(" 42 "), "42");
    await gives(q.ToNumber("1.5"), "1.5");
    await gives(q.ToNumber("12abc"), "12");
    await gives(q.ToNumber("1.0"), "1");
    await gives(q.ToNumber("1,234"), "1234");
    await gives(q.ToNumber(".5"), "0.5");
    await gives(q.ToNumber("1E3"), "1000");
    await gives(q.ToNumber("1e3"), "1");
    await gives(q.ToNumber("-0"), "-0.0");
    await gives(q.ToNumber("9223372036854775808"), "9.223372036854776E18");
    await gives(q.ToNumber(7), "7");
  });

  test("ToNumber failures at []", async () => {
    for (const s of ["", "abc", "+5", "Infinity"]) {
      await expectError(c.query(q.ToNumber(s)), invalidArg("Cannot cast String to Number.", []));
    }
    await expectError(c.query(q.ToNumber(true)), invalidArg("Cannot cast Boolean to Number.", []));
  });

  test("ToInteger truncates; errors at [to_integer]", async () => {
    await gives('{"to_integer":-3.9}', "-3");
    await gives(q.ToInteger("3.9"), "3");
    await gives(q.ToInteger(5), "5");
    await expectError(c.query(q.ToInteger(true)), invalidArg("Cannot cast Boolean to Integer.", ["to_integer"]));
  });

  test("ToDouble; errors at [to_double]", async () => {
    await gives(q.ToDouble(3), "3.0");
    await gives(q.ToDouble("2"), "2.0");
    await gives('{"to_double":2.5}', "2.5");
    await expectError(c.query(q.ToDouble(null as never)), invalidArg("Cannot cast Null to Double.", ["to_double"]));
  });
});
