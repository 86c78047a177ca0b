import { describe, expect, it } from "vitest";
import { decodeShaped, shapeProblem, type Shape } from "../../src/common/shape.ts";
import { bytes, json } from "./support.ts";

describe("shapeProblem", () => {
  const shape: Shape = { name: "string", count: "int", done: "boolean?", tags: "array?", meta: "object?", data: "json" };

  it("accepts a value with every required field of the right kind", () => {
    expect(shapeProblem({ name: "a", count: 3, data: null }, shape)).toBeUndefined();
    expect(shapeProblem({ name: "a", count: 3, data: 0, done: false, tags: [], meta: {}, extra: "ignored" }, shape)).toBeUndefined();
  });

  it("refuses what is not an object", () => {
    expect(shapeProblem(null, shape)).toBe("it is null, not an object");
    expect(shapeProblem([1], shape)).toBe("it is an array, not an object");
    expect(shapeProblem("x", shape)).toBe('it is the string "x", not an object');
    expect(shapeProblem(4, shape)).toBe("it is the number 4, not an object");
  });

  it("names a missing required field; an undefined one counts as missing", () => {
    expect(shapeProblem({ count: 1, data: 1 }, shape)).toBe("field name is missing");
    expect(shapeProblem({ name: undefined, count: 1, data: 1 }, shape)).toBe("field name is missing");
    // json means any value, but present.
    expect(shapeProblem({ name: "a", count: 1 }, shape)).toBe("field data is missing");
  });

  it("names a mistyped field with what it is and what it should be", () => {
    expect(shapeProblem({ name: 1, count: 1, data: 1 }, shape)).toBe("field name is the number 1, not a string");
    expect(shapeProblem({ name: "a", count: 1.5, data: 1 }, shape)).toBe("field count is the number 1.5, not an integer");
    expect(shapeProblem({ name: "a", count: 2 ** 53, data: 1 }, shape)).toBe(`field count is the number ${2 ** 53}, not an integer`);
    expect(shapeProblem({ name: "a", count: 1, data: 1, done: "yes" }, shape)).toBe('field done is the string "yes", not a boolean');
    expect(shapeProblem({ name: "a", count: 1, data: 1, tags: {} }, shape)).toBe("field tags is an object, not an array");
    expect(shapeProblem({ name: "a", count: 1, data: 1, meta: [] }, shape)).toBe("field meta is an array, not an object");
  });

  it("checks an optional field that is present, null included", () => {
    expect(shapeProblem({ name: "a", count: 1, data: 1, meta: null }, shape)).toBe("field meta is null, not an object");
  });

  it("cuts a string longer than 40 characters in the description", () => {
    expect(shapeProblem({ n: "x".repeat(50) }, { n: "int" })).toBe(`field n is the string "${"x".repeat(40)}…", not an integer`);
  });

  it("checks an error field for a name and a message", () => {
    const errorShape: Shape = { error: "error" };
    expect(shapeProblem({ error: { name: "E", message: "m", stack: "s", nonRetryable: true } }, errorShape)).toBeUndefined();
    expect(shapeProblem({ error: { name: "E" } }, errorShape)).toBe("field error is an object, not an error ({name, message})");
    expect(shapeProblem({ error: { name: "E", message: "m", nonRetryable: "no" } }, errorShape)).toBe(
      "field error is an object, not an error ({name, message})",
    );
    expect(shapeProblem({ error: "boom" }, errorShape)).toBe('field error is the string "boom", not an error ({name, message})');
  });
});

describe("decodeShaped", () => {
  const shape: Shape = { id: "string", options: "object" };
  const nested = { options: { queue: "string", retry: "object" }, "options.retry": { maximumAttempts: "int" } } as const;

  it("returns the decoded value when the top level and every nested shape fit", () => {
    const value = { id: "a", options: { queue: "q", retry: { maximumAttempts: 3 } } };
    expect(decodeShaped(json(value), shape, nested)).toEqual({ ok: true, value });
  });

  it("says when the bytes are not JSON", () => {
    const decoded = decodeShaped(bytes("{not json"), shape);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.problem).toMatch(/^it is not JSON \(.+\)$/);
  });

  it("reports the top level before any nested shape", () => {
    expect(decodeShaped(json({ options: { queue: 1 } }), shape, nested)).toEqual({ ok: false, problem: "field id is missing" });
  });

  it("names the dotted path of a nested problem", () => {
    expect(decodeShaped(json({ id: "a", options: { queue: 1, retry: {} } }), shape, nested)).toEqual({
      ok: false,
      problem: "its options: field queue is the number 1, not a string",
    });
    expect(decodeShaped(json({ id: "a", options: { queue: "q", retry: { maximumAttempts: "3" } } }), shape, nested)).toEqual({
      ok: false,
      problem: 'its options.retry: field maximumAttempts is the string "3", not an integer',
    });
  });

  it("checks nested shapes in order, so an outer problem is reported before an inner one", () => {
    expect(decodeShaped(json({ id: "a", options: { queue: "q", retry: [] } }), shape, nested)).toEqual({
      ok: false,
      problem: "its options: field retry is an array, not an object",
    });
  });
});
