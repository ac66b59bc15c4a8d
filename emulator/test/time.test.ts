/** §5.8 and S.3: Now, Time, Epoch, To*, TimeAdd/Subtract/Diff, Date/ToDate, date parts. */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTarget, emulatorOnly, type FaunaTarget } from "../testing.ts";
import { q, rawQuery, assertBody, expectError, timeText, dateText, type Client } from "./support.ts";

let target: FaunaTarget;
let c: Client;
const T = (s: string) => q.Time(s);
const ts = async (expr: Parameters<Client["query"]>[0]) => timeText(await c.query(expr));
const invalidArg = (description: string, position?: (string | number)[]) => ({
  status: 400,
  code: "invalid argument",
  description,
  ...(position ? { position } : {}),
});

before(async () => {
  target = await startTarget();
  c = target.client();
});
after(() => target.close());

describe("Time / Now", () => {
  test("Time parses ISO with Z or an offset, normalized to UTC", async () => {
    assert.equal(await ts(T("2020-01-01T00:00:00Z")), "2020-01-01T00:00:00Z");
    assert.equal(await ts(T("2020-01-01T00:00:00+01:00")), "2019-12-31T23:00:00Z");
    assert.equal(await ts(T("2020-01-01T10:30:00.5-02:30")), "2020-01-01T13:00:00.500Z");
  });

  test("Time('garbage') → invalid argument, position []", async () => {
    await expectError(c.query(T("garbage")), invalidArg("Cannot cast 'garbage' to a time.", []));
  });

  test("Now() is a time close to the wall clock (real time unless the clock is moved)", async () => {
    const ms = Date.parse(await ts(q.Now()));
    assert.ok(Math.abs(ms - Date.now()) < 5 * 60_000, `Now() ${ms} vs wall clock ${Date.now()}`);
    assert.equal(await c.query(q.IsTimestamp(q.Now())), true);
  });

  test("Time('now') equals Now() in the same query", async () => {
    assert.equal(await c.query(q.Equals(q.Now(), T("now"))), true);
  });

  test("(emulator choice) frozen clock: every read query sees exactly the frozen instant in Now() and Time('now')", async (t) => {
    const emu = emulatorOnly(t, target, "clock");
    if (!emu) return;
    emu.clock.freeze("2040-02-03T04:05:06.789Z");
    try {
      assert.equal(await ts(q.Now()), "2040-02-03T04:05:06.789Z");
      assert.equal(await ts(T("now")), "2040-02-03T04:05:06.789Z");
    } finally {
      emu.clock.resume();
    }
  });
});

describe("Epoch and conversions", () => {
  test("Epoch(n, unit)", async () => {
    assert.equal(await ts(q.Epoch(1, "second")), "1970-01-01T00:00:01Z");
    assert.equal(await ts(q.Epoch(1500, "millisecond")), "1970-01-01T00:00:01.500Z");
    assert.equal(await ts(q.Epoch(1, "microsecond")), "1970-01-01T00:00:00.000001Z");
    assert.equal(await ts(q.Epoch(1, "nanosecond")), "1970-01-01T00:00:00.000000001Z");
    assert.equal(await ts(q.Epoch(2, "days")), "1970-01-03T00:00:00Z");
  });

  test("ToMillis / ToSeconds (truncates) / ToMicros of a Time", async () => {
    const t = T("1970-01-01T00:00:01.5Z");
    assert.equal(await c.query(q.ToMillis(t)), 1500);
    assert.equal(await c.query(q.ToSeconds(t)), 1);
    assert.equal(await c.query(q.ToMicros(t)), 1_500_000);
  });

  test("To* of an integer treat it as microseconds", async () => {
    assert.equal(await c.query(q.ToMillis(1_500_000)), 1500);
    assert.equal(await c.query(q.ToSeconds(2_999_999)), 2);
    assert.equal(await c.query(q.ToMicros(42)), 42);
  });

  test("ToTime: Time itself; Date → midnight; string → as Time; integer → MILLISECONDS", async () => {
    assert.equal(await ts(q.ToTime(T("2020-01-01T01:02:03Z"))), "2020-01-01T01:02:03Z");
    assert.equal(await ts(q.ToTime(q.Date("2020-01-01"))), "2020-01-01T00:00:00Z");
    assert.equal(await ts(q.ToTime("2020-01-01T00:00:00Z")), "2020-01-01T00:00:00Z");
    assert.equal(await ts(q.ToTime(1000)), "1970-01-01T00:00:01Z");
  });

  test("document ts is microseconds: ToTime(ts) is off by ×1000 while Epoch(ts,'microseconds') is right", async () => {
    await c.query(q.CreateCollection({ name: "t" }));
    const doc = await c.query<{ ts: number }>(q.Create(q.Collection("t"), {}));
    const viaEpoch = Date.parse(await ts(q.Epoch(doc.ts, "microseconds")));
    assert.ok(Math.abs(viaEpoch - doc.ts / 1000) < 1);
    const year = await c.query<number>(q.Year(q.ToTime(doc.ts)));
    assert.ok(year > 50_000, `ToTime(ts) reads µs as ms: year ${year}`);
  });
});

describe("TimeAdd / TimeSubtract", () => {
  const base = T("2020-01-01T00:00:00Z");

  test("every unit, singular and plural", async () => {
    assert.equal(await ts(q.TimeAdd(base, 1, "day")), "2020-01-02T00:00:00Z");
    assert.equal(await ts(q.TimeAdd(base, 2, "days")), "2020-01-03T00:00:00Z");
    assert.equal(await ts(q.TimeAdd(base, 1, "half day")), "2020-01-01T12:00:00Z");
    assert.equal(await ts(q.TimeAdd(base, 3, "half days")), "2020-01-02T12:00:00Z");
    assert.equal(await ts(q.TimeAdd(base, 1, "hour")), "2020-01-01T01:00:00Z");
    assert.equal(await ts(q.TimeAdd(base, 90, "minutes")), "2020-01-01T01:30:00Z");
    assert.equal(await ts(q.TimeAdd(base, 1, "second")), "2020-01-01T00:00:01Z");
    assert.equal(await ts(q.TimeAdd(base, 5, "milliseconds")), "2020-01-01T00:00:00.005Z");
    assert.equal(await ts(q.TimeAdd(base, 7, "microseconds")), "2020-01-01T00:00:00.000007Z");
    assert.equal(await ts(q.TimeAdd(base, 1, "nanosecond")), "2020-01-01T00:00:00.000000001Z");
  });

  test("TimeSubtract and negative offsets", async () => {
    assert.equal(await ts(q.TimeSubtract(base, 1, "hour")), "2019-12-31T23:00:00Z");
    assert.equal(await ts(q.TimeAdd(base, -1, "hours")), "2019-12-31T23:00:00Z");
  });

  test("Dates accept only day units", async () => {
    assert.equal(dateText(await c.query(q.TimeAdd(q.Date("2020-02-28"), 2, "days"))), "2020-03-01");
    assert.equal(dateText(await c.query(q.TimeSubtract(q.Date("2020-03-01"), 1, "day"))), "2020-02-29");
    await expectError(c.query(q.TimeAdd(q.Date("2020-01-01"), 1, "hours")), invalidArg("Invalid time unit 'hours'."));
  });

  test("unknown or wrongly-cased unit → Time Unit expected at [unit]", async () => {
    await expectError(c.query(q.TimeAdd(base, 1, "fortnight")), invalidArg("Time Unit expected, String provided.", ["unit"]));
    await expectError(c.query(q.TimeAdd(base, 1, "Hour")), invalidArg("Time Unit expected, String provided.", ["unit"]));
  });

  test("out-of-range arithmetic → dates and times must be between … at [offset]", async () => {
    await expectError(
      c.query(q.TimeAdd(base, 9_000_000_000_000, "days")),
      invalidArg(
        "dates and times must be between -1000000000-01-01T00:00:00Z and +1000000000-12-31T23:59:59.999999999Z",
        ["offset"],
      ),
    );
  });

  test("wire form: raw time_add with a time unit", async () => {
    assertBody(
      await rawQuery(target.endpoint, target.adminSecret, '{"time_add":{"@ts":"2020-01-01T00:00:00Z"},"offset":1,"unit":"hour"}'),
      200,
      { resource: { "@ts": "2020-01-01T01:00:00Z" } },
    );
  });
});

describe("TimeDiff (S.3)", () => {
  test("whole units, truncated toward zero, negative when finish is earlier", async () => {
    assert.equal(await c.query(q.TimeDiff(T("1970-01-01T00:00:00Z"), T("1970-01-02T23:59:59Z"), "days")), 1);
    assert.equal(await c.query(q.TimeDiff(T("1970-01-02T23:59:59Z"), T("1970-01-01T00:00:00Z"), "days")), -1);
    assert.equal(await c.query(q.TimeDiff(T("1970-01-01T00:00:00Z"), T("1970-01-01T00:00:00.000000001Z"), "nanoseconds")), 1);
    assert.equal(await c.query(q.TimeDiff(T("2020-01-01T00:00:00Z"), T("2020-01-01T12:00:00Z"), "half days")), 1);
    assert.equal(await c.query(q.TimeDiff(q.Date("1970-01-02"), q.Date("1970-01-01"), "days")), -1);
  });

  test("errors", async () => {
    await expectError(c.query(q.TimeDiff(T("1970-01-01T00:00:00Z"), q.Date("1970-01-01"), "days")), invalidArg("Incompatible time arguments.", ["time_diff"]));
    await expectError(c.query(q.TimeDiff(q.Date("1970-01-01"), q.Date("1970-01-02"), "hours")), invalidArg("Invalid time unit 'hours'.", ["unit"]));
    await expectError(c.query(q.TimeDiff(T("1970-01-01T00:00:00Z"), T("1970-01-02T00:00:00Z"), "weeks")), invalidArg("Time Unit expected, String provided.", ["unit"]));
    await expectError(c.query(q.TimeDiff(1, T("1970-01-02T00:00:00Z"), "days")), invalidArg("Temporal expected, Integer provided.", ["time_diff"]));
    await expectError(c.query(q.TimeDiff(T("1970-01-02T00:00:00Z"), 1, "days")), invalidArg("Temporal expected, Integer provided.", ["other"]));
  });
});

describe("Date / ToDate / date parts (S.3)", () => {
  test("Date parses yyyy-MM-dd (trimmed)", async () => {
    assert.equal(dateText(await c.query(q.Date("2020-02-29"))), "2020-02-29");
    assert.equal(dateText(await c.query(q.Date(" 2020-01-01 "))), "2020-01-01");
  });

  test("Date errors", async () => {
    await expectError(c.query(q.Date("19700101")), invalidArg("Cannot cast '19700101' to a date.", []));
    await expectError(c.query(q.Date(q.Date("2020-01-01"))), invalidArg("String expected, Date provided.", ["date"]));
  });

  test("ToDate: Time → UTC date; Date → itself; String → as Date; others fail at []", async () => {
    assert.equal(dateText(await c.query(q.ToDate(T("2020-01-01T23:59:59-05:00")))), "2020-01-02");
    assert.equal(dateText(await c.query(q.ToDate(q.Date("2020-01-01")))), "2020-01-01");
    assert.equal(dateText(await c.query(q.ToDate("2020-01-01"))), "2020-01-01");
    await expectError(c.query(q.ToDate("2020-01-01T00:00:00Z")), { status: 400, code: "invalid argument", position: [] });
    await expectError(c.query(q.ToDate(5)), invalidArg("Cannot cast Integer to Date.", []));
  });

  test("component functions on Epoch(2147483648, 'second') (2038-01-19T03:14:08Z)", async () => {
    const t = q.Epoch(2147483648, "second");
    const got = await c.query([
      q.Second(t),
      q.Minute(t),
      q.Hour(t),
      q.DayOfMonth(t),
      q.DayOfYear(t),
      q.DayOfWeek(t),
      q.Month(t),
      q.Year(t),
    ]);
    assert.deepEqual(got, [8, 14, 3, 19, 19, 2, 1, 2038]);
  });

  test("components accept integers as microseconds; epoch day is Thursday (4)", async () => {
    assert.deepEqual(await c.query([q.Second(0), q.Year(0), q.DayOfWeek(0)]), [0, 1970, 4]);
    assert.equal(await c.query(q.Hour(3_600_000_000)), 1);
  });

  test("components reject Dates and strings", async () => {
    await expectError(c.query(q.Hour(q.Date("2020-01-01"))), invalidArg("Time expected, Date provided.", ["hour"]));
    await expectError(c.query(q.Hour("one")), invalidArg("Time expected, String provided.", ["hour"]));
  });

  test("Epoch out of range → error at []", async () => {
    await expectError(
      c.query(q.Epoch(40_000_000_000_000_000, "second")),
      invalidArg(
        "dates and times must be between -1000000000-01-01T00:00:00Z and +1000000000-12-31T23:59:59.999999999Z",
        [],
      ),
    );
  });
});
