import { describe, expect, it } from "vitest";
import { parseArg, parseInput, parsePositiveInt } from "../../src/cli/args.ts";
import { UsageError } from "../../src/cli/errors.ts";

describe("parseArg", () => {
  it("reads JSON where it parses", () => {
    expect(parseArg("1000", "argument 1")).toBe(1000);
    expect(parseArg("-2.5", "argument 1")).toBe(-2.5);
    expect(parseArg("true", "argument 1")).toBe(true);
    expect(parseArg("null", "argument 1")).toBeNull();
    expect(parseArg('"1000"', "argument 1")).toBe("1000");
    expect(parseArg('{"a":[1,2]}', "argument 1")).toEqual({ a: [1, 2] });
  });

  it("takes any other text as the string itself", () => {
    expect(parseArg("Bob", "argument 1")).toBe("Bob");
    expect(parseArg("widget-1000", "argument 1")).toBe("widget-1000");
    expect(parseArg("", "argument 1")).toBe("");
  });

  it("refuses text that starts like JSON but does not parse", () => {
    expect(() => parseArg("{a:1}", "argument 2")).toThrow(UsageError);
    expect(() => parseArg("  [1,", "argument 2")).toThrow(/^argument 2 looks like JSON but does not parse \(.+\):   \[1,$/);
  });

  it("refuses numbers a double cannot hold as written, saying how to quote them", () => {
    expect(() => parseArg("12345678901234567890", "argument 1")).toThrow(
      new UsageError(`argument 1: 12345678901234567890 is beyond 2^53, where numbers lose digits; pass it as a string: '"12345678901234567890"'`),
    );
    expect(() => parseArg("1e400", "argument 1")).toThrow(`argument 1: 1e400 is not a finite number; pass a smaller one, or a string: '"1e400"'`);
    expect(() => parseArg('{"id": 12345678901234567890}', "argument 1")).toThrow(`pass it as a string: "12345678901234567890"`);
  });

  it("keeps the largest safe integer", () => {
    expect(parseArg(String(Number.MAX_SAFE_INTEGER), "argument 1")).toBe(Number.MAX_SAFE_INTEGER);
  });

  // Bug: only integers written with digits alone are checked, so an integer beyond 2^53 written
  // with a fraction part (9007199254740993.0) is rounded without a word; the API's strict JSON
  // reader (api/strict-json.ts) refuses the same number.
  it("refuses an integer beyond 2^53 written with a fraction part", () => {
    expect(() => parseArg("9007199254740993.0", "argument 1")).toThrow(UsageError);
  });
});

describe("parseInput", () => {
  it("reads a JSON array of arguments", () => {
    expect(parseInput('["Bob", "widget-1000", 1000, 2]')).toEqual(["Bob", "widget-1000", 1000, 2]);
    expect(parseInput("[]")).toEqual([]);
  });

  it("refuses what is not a JSON array", () => {
    expect(() => parseInput('{"a":1}')).toThrow(`--input must be a JSON array of arguments, such as '["Bob", 1000]'`);
    expect(() => parseInput("Bob")).toThrow(/^--input is not valid JSON \(.+\); pass a JSON array such as '\["Bob", 1000\]'$/);
  });

  it("refuses numbers a double cannot hold, inside the array too", () => {
    expect(() => parseInput("[1e400]")).toThrow('--input: 1e400 is not a finite number; pass a smaller one, or a string: "1e400"');
  });
});

describe("parsePositiveInt", () => {
  const parse = parsePositiveInt("--limit");

  it("reads a positive whole number", () => {
    expect(parse("25")).toBe(25);
  });

  it("refuses zero, negatives, fractions and text", () => {
    for (const text of ["0", "-1", "1.5", "ten", ""]) {
      expect(() => parse(text)).toThrow(`--limit must be a positive whole number, not ${JSON.stringify(text)}`);
    }
  });
});
