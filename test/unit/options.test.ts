import { describe, expect, it } from "vitest";
import type { RetryPolicy } from "../../src/common/events.ts";
import { InvalidArgumentError } from "../../src/common/errors.ts";
import { canRetry, resolveActivityOptions, retryDelay } from "../../src/common/options.ts";

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  initialInterval: 1000,
  backoffCoefficient: 2,
  maximumInterval: 100_000,
  maximumAttempts: 0,
  nonRetryableErrorTypes: [],
  ...overrides,
});

describe("resolveActivityOptions", () => {
  it("fills in the documented defaults and the queue", () => {
    expect(resolveActivityOptions("payments")).toEqual({
      startToCloseTimeout: 60_000,
      scheduleToCloseTimeout: 0,
      heartbeatTimeout: 0,
      queue: "payments",
      retry: { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 100_000, maximumAttempts: 0, nonRetryableErrorTypes: [] },
    });
  });

  it("lets later layers override earlier ones, field by field, the retry policy included", () => {
    const options = resolveActivityOptions(
      "default",
      { startToCloseTimeout: 5000, retry: { maximumAttempts: 5, initialInterval: 200 } },
      undefined,
      { heartbeatTimeout: 1000, retry: { maximumAttempts: 2 } },
    );
    expect(options.startToCloseTimeout).toBe(5000);
    expect(options.heartbeatTimeout).toBe(1000);
    expect(options.retry).toMatchObject({ maximumAttempts: 2, initialInterval: 200, backoffCoefficient: 2 });
  });

  it("lets a layer move the activity to another queue", () => {
    expect(resolveActivityOptions("default", { queue: "gpu" }).queue).toBe("gpu");
  });

  it("does not let an undefined field erase what an earlier layer set", () => {
    const options = resolveActivityOptions("default", { startToCloseTimeout: 5000 }, { startToCloseTimeout: undefined, retry: { maximumAttempts: undefined } });
    expect(options.startToCloseTimeout).toBe(5000);
    expect(options.retry.maximumAttempts).toBe(0);
  });

  it("does not share the default retry policy between results", () => {
    const one = resolveActivityOptions("default");
    one.retry.nonRetryableErrorTypes = ["Changed"];
    one.retry.maximumAttempts = 9;
    expect(resolveActivityOptions("default").retry.maximumAttempts).toBe(0);
  });

  it("scales the default maximum interval with a larger initial interval", () => {
    expect(resolveActivityOptions("default", { retry: { initialInterval: 250_000 } }).retry.maximumInterval).toBe(25_000_000);
  });

  it("keeps an explicit maximum interval, even one below the initial interval", () => {
    expect(resolveActivityOptions("default", { retry: { initialInterval: 5000, maximumInterval: 2000 } }).retry.maximumInterval).toBe(2000);
  });

  it("refuses negative and non-finite times and counts, naming the option", () => {
    expect(() => resolveActivityOptions("default", { heartbeatTimeout: -1 })).toThrow(
      new InvalidArgumentError("activity option heartbeatTimeout must be a number >= 0, got -1"),
    );
    expect(() => resolveActivityOptions("default", { scheduleToCloseTimeout: Number.POSITIVE_INFINITY })).toThrow(
      "activity option scheduleToCloseTimeout must be a number >= 0, got Infinity",
    );
    expect(() => resolveActivityOptions("default", { retry: { maximumAttempts: -3 } })).toThrow(
      "activity option retry.maximumAttempts must be a number >= 0, got -3",
    );
    expect(() => resolveActivityOptions("default", { retry: { initialInterval: Number.NaN } })).toThrow(
      "activity option retry.initialInterval must be a number >= 0, got NaN",
    );
  });

  it("refuses a zero start-to-close timeout and a backoff coefficient below 1", () => {
    expect(() => resolveActivityOptions("default", { startToCloseTimeout: 0 })).toThrow("activity option startToCloseTimeout must be > 0");
    expect(() => resolveActivityOptions("default", { retry: { backoffCoefficient: 0.5 } })).toThrow("retry.backoffCoefficient must be a number >= 1, got 0.5");
    expect(resolveActivityOptions("default", { retry: { backoffCoefficient: 1 } }).retry.backoffCoefficient).toBe(1);
  });

  it("refuses a queue name that cannot be a subject token", () => {
    expect(() => resolveActivityOptions("default", { queue: "a.b" })).toThrow(InvalidArgumentError);
    expect(() => resolveActivityOptions("")).toThrow("queue name must not be empty");
  });

  // Bug: RetryPolicy documents maximumInterval as "Default 100 × initialInterval", but the
  // default is a fixed 100 000 ms (raised only up to the initial interval itself), so a 5 s
  // initial interval is capped at 20 × instead of 100 ×.
  it("defaults the maximum interval to 100 × the initial interval, as RetryPolicy documents", () => {
    expect(resolveActivityOptions("default", { retry: { initialInterval: 5000 } }).retry.maximumInterval).toBe(500_000);
  });

  // Bug: `NaN < 1` is false, so a NaN coefficient passes the check (the other numbers are
  // checked to be finite). The delay after the second attempt is then NaN, and failureEvent's
  // `new Date(NaN).toISOString()` throws a RangeError: the second failed attempt of such an
  // activity can never be recorded.
  it("refuses a backoff coefficient that is not a number", () => {
    expect(() => resolveActivityOptions("default", { retry: { backoffCoefficient: Number.NaN } })).toThrow(InvalidArgumentError);
  });
});

describe("retryDelay", () => {
  it("waits the initial interval after the first attempt, then multiplies by the coefficient", () => {
    const p = policy({ initialInterval: 1000, backoffCoefficient: 3 });
    expect([1, 2, 3, 4].map((attempt) => retryDelay(p, attempt))).toEqual([1000, 3000, 9000, 27_000]);
  });

  it("never waits longer than the maximum interval", () => {
    const p = policy({ initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 5000 });
    expect([1, 2, 3, 4, 5, 30].map((attempt) => retryDelay(p, attempt))).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it("waits the same each time with a coefficient of 1", () => {
    const p = policy({ initialInterval: 700, backoffCoefficient: 1 });
    expect([1, 2, 10].map((attempt) => retryDelay(p, attempt))).toEqual([700, 700, 700]);
  });
});

describe("canRetry", () => {
  it("counts the first attempt in maximumAttempts", () => {
    const p = policy({ maximumAttempts: 3 });
    expect([1, 2, 3, 4].map((attempt) => canRetry(p, attempt, "Error", false))).toEqual([true, true, false, false]);
  });

  it("retries without end when maximumAttempts is 0", () => {
    expect(canRetry(policy({ maximumAttempts: 0 }), 10_000, "Error", false)).toBe(true);
  });

  it("never retries an attempt of maximumAttempts 1", () => {
    expect(canRetry(policy({ maximumAttempts: 1 }), 1, "Error", false)).toBe(false);
  });

  it("does not retry an error whose name is non-retryable", () => {
    const p = policy({ nonRetryableErrorTypes: ["CardDeclined"] });
    expect(canRetry(p, 1, "CardDeclined", false)).toBe(false);
    expect(canRetry(p, 1, "NetworkError", false)).toBe(true);
  });

  it("does not retry an error marked nonRetryable, whatever the policy", () => {
    expect(canRetry(policy({ maximumAttempts: 0 }), 1, "Error", true)).toBe(false);
  });
});
