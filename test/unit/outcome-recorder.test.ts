import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ErrorInfo } from "../../src/common/events.ts";
import { resolveActivityOptions, type ActivityOptionsInput } from "../../src/common/options.ts";
import { failureEvent } from "../../src/worker/outcome-recorder.ts";
import { activityTask, T0 } from "./support.ts";

const error: ErrorInfo = { name: "Flaky", message: "try again" };
const NOW = T0 + 10_000;

/** A task of the given attempt, scheduled at T0, with these options. */
const taskWith = (attempt: number, options: ActivityOptionsInput = {}) =>
  activityTask({ attempt, scheduledAt: new Date(T0).toISOString(), options: resolveActivityOptions("default", options) });

describe("failureEvent", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("retries by default, at now plus the initial interval", () => {
    expect(failureEvent(taskWith(1), error)).toEqual({
      type: "ActivityFailed",
      error,
      willRetry: true,
      nextAttemptAt: new Date(NOW + 1000).toISOString(),
    });
  });

  it("waits longer with each attempt, by the backoff coefficient, up to the maximum interval", () => {
    const options = { retry: { initialInterval: 1000, backoffCoefficient: 3, maximumInterval: 20_000 } };
    expect(failureEvent(taskWith(2, options), error).nextAttemptAt).toBe(new Date(NOW + 3000).toISOString());
    expect(failureEvent(taskWith(3, options), error).nextAttemptAt).toBe(new Date(NOW + 9000).toISOString());
    expect(failureEvent(taskWith(4, options), error).nextAttemptAt).toBe(new Date(NOW + 20_000).toISOString());
  });

  it("does not retry the last of maximumAttempts, and then has no nextAttemptAt", () => {
    expect(failureEvent(taskWith(2, { retry: { maximumAttempts: 3 } }), error).willRetry).toBe(true);
    expect(failureEvent(taskWith(3, { retry: { maximumAttempts: 3 } }), error)).toEqual({ type: "ActivityFailed", error, willRetry: false });
  });

  it("does not retry an error that is non-retryable by type or by mark", () => {
    expect(failureEvent(taskWith(1, { retry: { nonRetryableErrorTypes: ["Flaky"] } }), error).willRetry).toBe(false);
    const marked = { ...error, nonRetryable: true };
    expect(failureEvent(taskWith(1), marked)).toEqual({ type: "ActivityFailed", error: marked, willRetry: false });
  });

  it("stops retrying when the next attempt would start at or after the schedule-to-close deadline", () => {
    // Scheduled at T0; now is T0 + 10 s; the next attempt would be at T0 + 11 s.
    expect(failureEvent(taskWith(1, { scheduleToCloseTimeout: 11_001 }), error).willRetry).toBe(true);
    expect(failureEvent(taskWith(1, { scheduleToCloseTimeout: 11_000 }), error).willRetry).toBe(false);
    expect(failureEvent(taskWith(1, { scheduleToCloseTimeout: 5000 }), error)).toEqual({ type: "ActivityFailed", error, willRetry: false });
  });

  it("cuts the recorded stack to its first 12 lines", () => {
    const stack = ["Error: deep", ...Array.from({ length: 30 }, (_, i) => `    at frame${i} (file.ts:${i}:1)`)].join("\n");
    const recorded = failureEvent(taskWith(1), { ...error, stack }).error;
    expect(recorded.stack?.split("\n")).toEqual(stack.split("\n").slice(0, 12));
    expect(recorded).toMatchObject(error);
  });

  it("keeps a short stack whole, and adds none where there was none", () => {
    const stack = "Error: shallow\n    at one (file.ts:1:1)";
    expect(failureEvent(taskWith(1), { ...error, stack }).error.stack).toBe(stack);
    expect(failureEvent(taskWith(1), error).error).not.toHaveProperty("stack");
  });

  it("does not change the error it is given", () => {
    const stack = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n");
    const given = { ...error, stack };
    failureEvent(taskWith(1), given);
    expect(given.stack).toBe(stack);
  });
});
