import { describe, expect, it } from "vitest";
import { nextCronFire, parseCron } from "../../src/common/cron.ts";
import { instantsOf, offsetAt, validateTimeZone } from "../../src/common/time-zones.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The next `n` fire times after `from`. */
function fires(expression: string, from: string, n: number, zone?: string): string[] {
  const cron = parseCron(expression);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    const next = nextCronFire(cron, t, zone);
    if (next === undefined) break;
    out.push(iso(next)!);
    t = next;
  }
  return out;
}

describe("parseCron", () => {
  it("reads *, */n, a-b, a-b/n, a/n, lists, names and 7 for Sunday", () => {
    const c = parseCron("*/15 9-17/4 1,15 JAN-mar,Dec mon-FRI,7");
    expect(c.minutes.flatMap((on, i) => (on ? [i] : []))).toEqual([0, 15, 30, 45]);
    expect(c.hours.flatMap((on, i) => (on ? [i] : []))).toEqual([9, 13, 17]);
    expect(c.daysOfMonth.flatMap((on, i) => (on ? [i] : []))).toEqual([1, 15]);
    expect(c.months.flatMap((on, i) => (on ? [i] : []))).toEqual([1, 2, 3, 12]);
    expect(c.daysOfWeek.flatMap((on, i) => (on ? [i] : []))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(parseCron("5/20 * * * *").minutes.flatMap((on, i) => (on ? [i] : []))).toEqual([5, 25, 45]);
    expect(parseCron("@daily").source).toBe("@daily");
  });

  it("names the bad field and says what is wrong with it", () => {
    const cases: Array<[string, RegExp]> = [
      ["* * * *", /expected 5 fields \(minute hour day-of-month month day-of-week\), got 4/],
      ["* * * * * *", /expected 5 fields .*got 6/],
      ["61 * * * *", /minute field "61": 61 is outside 0-59/],
      ["0 24 * * *", /hour field "24": 24 is outside 0-23/],
      ["0 0 0 * *", /day-of-month field "0": 0 is outside 1-31/],
      ["0 0 * 13 *", /month field "13": 13 is outside 1-12/],
      ["0 0 * FOO *", /month field "FOO": "FOO" is not a number or a name \(JAN, FEB/],
      ["0 0 * * 8", /day-of-week field "8": 8 is outside 0-7/],
      ["*/0 * * * *", /minute field "\*\/0": the step in "\*\/0" must be a positive whole number/],
      ["0 10-5 * * *", /hour field "10-5": the range 10-5 goes backwards/],
      ["0 1,,2 * * *", /hour field "1,,2": an empty list item/],
      ["0 1- * * *", /hour field "1-": "1-" is not a range/],
      ["0 0 30 2 *", /never fires: no month in the month field "2" has a day in the day-of-month field "30"/],
      ["@often", /unknown macro @often/],
    ];
    for (const [expression, message] of cases) {
      expect(() => parseCron(expression), expression).toThrow(message);
      expect(() => parseCron(expression), expression).toThrow(`cron expression ${JSON.stringify(expression)}: `);
    }
  });
});

describe("nextCronFire in UTC", () => {
  it("steps minutes, hours, days and months", () => {
    expect(fires("*/20 * * * *", "2025-01-01T00:00:00Z", 4)).toEqual([
      "2025-01-01T00:20:00.000Z",
      "2025-01-01T00:40:00.000Z",
      "2025-01-01T01:00:00.000Z",
      "2025-01-01T01:20:00.000Z",
    ]);
    expect(fires("30 23 31 * *", "2025-01-31T23:30:00Z", 2)).toEqual(["2025-03-31T23:30:00.000Z", "2025-05-31T23:30:00.000Z"]);
    expect(fires("@yearly", "2025-06-01T00:00:00Z", 1)).toEqual(["2026-01-01T00:00:00.000Z"]);
  });

  it("fires strictly after the given time, from the next whole minute", () => {
    expect(fires("* * * * *", "2025-01-01T00:00:00Z", 1)).toEqual(["2025-01-01T00:01:00.000Z"]);
    expect(fires("* * * * *", "2025-01-01T00:00:59.999Z", 1)).toEqual(["2025-01-01T00:01:00.000Z"]);
  });

  it("matches either day field when both are restricted, only the restricted one otherwise", () => {
    // 2025-06-13 is a Friday; the 1st of July a Tuesday.
    expect(fires("0 0 1 * FRI", "2025-06-12T00:00:00Z", 4)).toEqual([
      "2025-06-13T00:00:00.000Z",
      "2025-06-20T00:00:00.000Z",
      "2025-06-27T00:00:00.000Z",
      "2025-07-01T00:00:00.000Z",
    ]);
    expect(fires("0 0 * * FRI", "2025-06-12T00:00:00Z", 2)).toEqual(["2025-06-13T00:00:00.000Z", "2025-06-20T00:00:00.000Z"]);
    expect(fires("0 0 13 * *", "2025-06-12T00:00:00Z", 2)).toEqual(["2025-06-13T00:00:00.000Z", "2025-07-13T00:00:00.000Z"]);
    // A field that starts with * counts as unrestricted (Vixie cron): both must match.
    expect(fires("0 0 */10 * FRI", "2025-01-01T00:00:00Z", 2)).toEqual(["2025-01-31T00:00:00.000Z", "2025-02-21T00:00:00.000Z"]);
  });

  it("finds 29 February across a century year that is not a leap year", () => {
    expect(fires("0 0 29 2 *", "2096-03-01T00:00:00Z", 1)).toEqual(["2104-02-29T00:00:00.000Z"]);
  });
});

describe("nextCronFire in a time zone", () => {
  it("reads the fields as the zone's wall clock, summer and winter", () => {
    expect(fires("0 9 * * *", "2025-01-15T00:00:00Z", 1, "Europe/Berlin")).toEqual(["2025-01-15T08:00:00.000Z"]);
    expect(fires("0 9 * * *", "2025-07-15T00:00:00Z", 1, "Europe/Berlin")).toEqual(["2025-07-15T07:00:00.000Z"]);
    expect(fires("0 9 * * MON", "2025-07-15T00:00:00Z", 1, "America/New_York")).toEqual(["2025-07-21T13:00:00.000Z"]);
    // 05:30 in Kolkata (+05:30) is midnight UTC; strictly after it is the next day's.
    expect(fires("30 5 * * *", "2025-01-01T00:00:00Z", 1, "Asia/Kolkata")).toEqual(["2025-01-02T00:00:00.000Z"]);
  });

  it("fires a wall-clock time skipped by spring forward once, when the gap ends", () => {
    // Berlin, 2025-03-30: 02:00 CET jumps to 03:00 CEST (01:00Z).
    expect(fires("30 2 * * *", "2025-03-29T12:00:00Z", 3, "Europe/Berlin")).toEqual([
      "2025-03-30T01:00:00.000Z",
      "2025-03-31T00:30:00.000Z",
      "2025-04-01T00:30:00.000Z",
    ]);
    expect(fires("*/15 2 * * *", "2025-03-29T23:00:00Z", 2, "Europe/Berlin")).toEqual(["2025-03-30T01:00:00.000Z", "2025-03-31T00:00:00.000Z"]);
    // New York, 2025-03-09: 02:00 EST jumps to 03:00 EDT (07:00Z).
    expect(fires("30 2 * * *", "2025-03-08T12:00:00Z", 2, "America/New_York")).toEqual(["2025-03-09T07:00:00.000Z", "2025-03-10T06:30:00.000Z"]);
  });

  it("fires a wall-clock time repeated by fall back once, unless the hour field is every hour", () => {
    // Berlin, 2025-10-26: 03:00 CEST goes back to 02:00 CET (01:00Z); 02:30 happens at 00:30Z and 01:30Z.
    expect(fires("30 2 * * *", "2025-10-25T12:00:00Z", 2, "Europe/Berlin")).toEqual(["2025-10-26T00:30:00.000Z", "2025-10-27T01:30:00.000Z"]);
    expect(fires("*/30 * * * *", "2025-10-25T23:45:00Z", 5, "Europe/Berlin")).toEqual([
      "2025-10-26T00:00:00.000Z",
      "2025-10-26T00:30:00.000Z",
      "2025-10-26T01:00:00.000Z",
      "2025-10-26T01:30:00.000Z",
      "2025-10-26T02:00:00.000Z",
    ]);
    expect(fires("0,30 1-3 * * *", "2025-10-25T23:00:00Z", 5, "Europe/Berlin")).toEqual([
      "2025-10-25T23:30:00.000Z",
      "2025-10-26T00:00:00.000Z",
      "2025-10-26T00:30:00.000Z",
      // 02:00 and 02:30 CET were shown already (CEST): 03:00 CET next.
      "2025-10-26T02:00:00.000Z",
      "2025-10-26T02:30:00.000Z",
    ]);
  });
});

describe("time zones", () => {
  it("knows offsets and the instants of a wall-clock time", () => {
    expect(offsetAt("Europe/Berlin", at("2025-01-01T00:00:00Z"))).toBe(3_600_000);
    expect(offsetAt("Europe/Berlin", at("2025-07-01T00:00:00Z"))).toBe(7_200_000);
    expect(offsetAt("Asia/Kathmandu", at("2025-07-01T00:00:00Z"))).toBe(5.75 * 3_600_000);
    expect(instantsOf("Europe/Berlin", at("2025-03-30T02:30:00Z"))).toEqual([]);
    expect(instantsOf("Europe/Berlin", at("2025-10-26T02:30:00Z")).map(iso)).toEqual(["2025-10-26T00:30:00.000Z", "2025-10-26T01:30:00.000Z"]);
  });

  it("refuses zones that do not exist, naming the IANA form", () => {
    expect(validateTimeZone("europe/berlin")).toBe("Europe/Berlin");
    expect(() => validateTimeZone("Mars/Olympus")).toThrow(/^unknown time zone "Mars\/Olympus"; use an IANA name such as UTC, Europe\/Berlin/);
  });
});
