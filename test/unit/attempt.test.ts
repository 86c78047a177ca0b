// One activity attempt with fake timers, a fake cancellation source and a plain AbortController
// for the worker's shutdown: no NATS.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { activityContext, type ActivityContext } from "../../src/activity/context.ts";
import { ActivityTimeoutError, ApplicationFailure, CanceledError } from "../../src/common/errors.ts";
import { resolveActivityOptions, type ActivityOptionsInput } from "../../src/common/options.ts";
import type { ActivityTask } from "../../src/common/tasks.ts";
import { runAttempt, type AttemptOptions, type CancellationSource } from "../../src/worker/attempt.ts";
import { activityTask, T0 } from "./support.ts";

interface Watch {
  workflowId: string;
  afterSeq: number;
  onEnded: (what: "canceled" | "closed") => void;
}

/** Stands in for the cancellation watch: the test ends the workflow by hand. */
class FakeCancellation {
  readonly watches: Watch[] = [];
  unwatched = 0;
  readonly source: CancellationSource = (workflowId, afterSeq, onEnded) => {
    this.watches.push({ workflowId, afterSeq, onEnded });
    return () => {
      this.unwatched += 1;
    };
  };
  end(what: "canceled" | "closed"): void {
    for (const watch of this.watches) watch.onEnded(what);
  }
}

let cancellation: FakeCancellation;
let shutdown: AbortController;
let keepAlive: ReturnType<typeof vi.fn<() => void>>;
/** The context of the last activity run, as it saw it. */
let seen: ActivityContext | undefined;

const options = (): AttemptOptions => ({ keepAlive, keepAliveMs: 1000, cancellation: cancellation.source, shutdown: shutdown.signal });

const taskWith = (options: ActivityOptionsInput = {}, overrides: Partial<ActivityTask> = {}) =>
  activityTask({ activityType: "Charge", options: resolveActivityOptions("default", options), scheduledAt: new Date(Date.now()).toISOString(), ...overrides });

/** An activity that runs until its signal fires, and fails with the signal's reason. */
async function untilAborted(): Promise<never> {
  const ctx = activityContext();
  seen = ctx;
  return new Promise<never>((_, reject) => {
    if (ctx.signal.aborted) reject(ctx.signal.reason);
    ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
  });
}

/** An activity that never ends and never looks at its signal. */
function forever(): Promise<never> {
  seen = activityContext();
  return new Promise<never>(() => undefined);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"], now: T0 });
  cancellation = new FakeCancellation();
  shutdown = new AbortController();
  keepAlive = vi.fn<() => void>();
  seen = undefined;
});

afterEach(() => {
  vi.useRealTimers();
});

describe("runAttempt", () => {
  it("returns the activity's result, given the task's arguments", async () => {
    const add = async (a: number, b: number) => ({ sum: a + b });
    expect(await runAttempt(add, taskWith({}, { args: [2, 3] }), options())).toEqual({ ok: true, result: { sum: 5 } });
  });

  it("records a result of undefined as null", async () => {
    expect(await runAttempt(async () => undefined, taskWith(), options())).toEqual({ ok: true, result: null });
  });

  it("runs the activity in its context, with a signal that stays quiet on success", async () => {
    const outcome = await runAttempt(
      async () => {
        seen = activityContext();
        return "ok";
      },
      taskWith({}, { workflowId: "wf-7", activityId: 4, attempt: 3 }),
      options(),
    );
    expect(outcome).toEqual({ ok: true, result: "ok" });
    expect(seen).toMatchObject({ workflowId: "wf-7", activityId: 4, activityType: "Charge", attempt: 3 });
    expect(seen?.signal.aborted).toBe(false);
  });

  it("returns the activity's failure, thrown or rejected, as recorded error info", async () => {
    const rejected = await runAttempt(async () => {
      throw ApplicationFailure.nonRetryable("declined", "CardDeclined");
    }, taskWith(), options());
    expect(rejected).toMatchObject({ ok: false, error: { name: "CardDeclined", message: "declined", nonRetryable: true } });

    const thrown = await runAttempt(() => {
      throw new TypeError("sync");
    }, taskWith(), options());
    expect(thrown).toMatchObject({ ok: false, error: { name: "TypeError", message: "sync" } });
  });

  it("fails with a start-to-close TimeoutError when the attempt takes too long, and aborts its signal", async () => {
    const attempt = runAttempt(untilAborted, taskWith({ startToCloseTimeout: 5000 }), options());
    let outcome: unknown;
    void attempt.then((o) => (outcome = o));
    await vi.advanceTimersByTimeAsync(4999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await attempt).toMatchObject({
      ok: false,
      error: { name: "TimeoutError", message: "activity Charge timed out after 5000 ms (start-to-close)", timeoutType: "startToClose" },
    });
    expect(seen?.signal.aborted).toBe(true);
    expect(seen?.signal.reason).toBeInstanceOf(ActivityTimeoutError);
  });

  it("times out an activity that ignores its signal all the same", async () => {
    const attempt = runAttempt(forever, taskWith({ startToCloseTimeout: 1000 }), options());
    await vi.advanceTimersByTimeAsync(1000);
    expect(await attempt).toMatchObject({ ok: false, error: { name: "TimeoutError" } });
    expect(seen?.signal.aborted).toBe(true);
  });

  it("fails with a schedule-to-close TimeoutError when less of that budget is left than start-to-close", async () => {
    // Scheduled 8 s ago with 10 s in all: 2 s are left, less than the 60 s start-to-close.
    const task = taskWith({ scheduleToCloseTimeout: 10_000 }, { scheduledAt: new Date(Date.now() - 8000).toISOString() });
    const attempt = runAttempt(untilAborted, task, options());
    await vi.advanceTimersByTimeAsync(2000);
    expect(await attempt).toMatchObject({
      ok: false,
      error: { name: "TimeoutError", message: "activity Charge timed out after 2000 ms (schedule-to-close)", timeoutType: "scheduleToClose" },
    });
    expect(seen?.signal.reason).toMatchObject({ timeoutType: "scheduleToClose" });
  });

  it("keeps start-to-close when it is the shorter budget", async () => {
    const task = taskWith({ startToCloseTimeout: 1000, scheduleToCloseTimeout: 60_000 });
    const attempt = runAttempt(untilAborted, task, options());
    await vi.advanceTimersByTimeAsync(1000);
    expect(await attempt).toMatchObject({ error: { timeoutType: "startToClose", message: "activity Charge timed out after 1000 ms (start-to-close)" } });
  });

  // Bug: when the schedule-to-close deadline has already passed as the attempt starts (a retry
  // delivered late), the budget is negative; the attempt fails at once, but its message reads
  // "timed out after -3000 ms".
  it("says an already spent schedule-to-close budget without a negative duration", async () => {
    const task = taskWith({ scheduleToCloseTimeout: 10_000 }, { scheduledAt: new Date(Date.now() - 13_000).toISOString() });
    const attempt = runAttempt(untilAborted, task, options());
    await vi.advanceTimersByTimeAsync(0);
    const outcome = await attempt;
    expect(outcome).toMatchObject({ ok: false, error: { timeoutType: "scheduleToClose" } });
    expect(JSON.stringify(outcome)).not.toMatch(/-\d+ ms/);
  });

  it("fails with HeartbeatTimeout when the activity stops sending heartbeats", async () => {
    const attempt = runAttempt(untilAborted, taskWith({ heartbeatTimeout: 1000 }), options());
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await attempt).toMatchObject({
      ok: false,
      error: { name: "HeartbeatTimeout", message: "activity Charge sent no heartbeat for 1000 ms", timeoutType: "heartbeat" },
    });
    expect(seen?.signal.reason).toMatchObject({ name: "HeartbeatTimeout" });
  });

  it("lets an activity that sends heartbeats run longer than its heartbeat timeout", async () => {
    const beating = async () => {
      const ctx = activityContext();
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        ctx.heartbeat();
      }
      return "done";
    };
    const attempt = runAttempt(beating, taskWith({ heartbeatTimeout: 1000 }), options());
    await vi.advanceTimersByTimeAsync(5000);
    expect(await attempt).toEqual({ ok: true, result: "done" });
  });

  it("watches the workflow from the step's sequence, and fails with a non-retryable CanceledError when it is canceled", async () => {
    const attempt = runAttempt(untilAborted, taskWith({}, { workflowId: "wf-9", scheduledSeq: 17 }), options());
    await vi.advanceTimersByTimeAsync(0);
    expect(cancellation.watches.map(({ workflowId, afterSeq }) => [workflowId, afterSeq])).toEqual([["wf-9", 17]]);
    cancellation.end("canceled");
    expect(await attempt).toMatchObject({
      ok: false,
      error: { name: "CanceledError", message: "workflow wf-9 was canceled", nonRetryable: true },
    });
    expect(seen?.signal.reason).toBeInstanceOf(CanceledError);
  });

  it("fails the same way when the workflow closed, saying so", async () => {
    const attempt = runAttempt(forever, taskWith({}, { scheduledSeq: undefined }), options());
    await vi.advanceTimersByTimeAsync(0);
    expect(cancellation.watches[0].afterSeq).toBe(0);
    cancellation.end("closed");
    expect(await attempt).toMatchObject({ ok: false, error: { name: "CanceledError", message: "workflow wf-1 was closed", nonRetryable: true } });
    expect(seen?.signal.aborted).toBe(true);
  });

  it("reports a shutdown, not a failure, when the worker stops under an attempt that gives up", async () => {
    const attempt = runAttempt(untilAborted, taskWith(), options());
    await vi.advanceTimersByTimeAsync(0);
    const reason = new Error("worker stopping");
    shutdown.abort(reason);
    expect(await attempt).toEqual({ ok: false, shutdown: true });
    expect(seen?.signal.reason).toBe(reason);
  });

  it("records an attempt that finishes all the same after a shutdown", async () => {
    const stubborn = async () => {
      seen = activityContext();
      await new Promise((resolve) => setTimeout(resolve, 100));
      return "finished";
    };
    const attempt = runAttempt(stubborn, taskWith(), options());
    shutdown.abort(new Error("worker stopping"));
    await vi.advanceTimersByTimeAsync(100);
    expect(await attempt).toEqual({ ok: true, result: "finished" });
    expect(seen?.signal.aborted).toBe(true);
  });

  it("starts with an aborted signal when the worker is already stopping", async () => {
    shutdown.abort(new Error("stopped"));
    expect(await runAttempt(untilAborted, taskWith(), options())).toEqual({ ok: false, shutdown: true });
  });

  it("fails a result that cannot be stored as non-retryable", async () => {
    const outcome = await runAttempt(async () => new Map([["a", 1]]), taskWith(), options());
    expect(outcome).toEqual({
      ok: false,
      error: expect.objectContaining({
        name: "PayloadError",
        message: "the result of activity Charge is not JSON-serializable: the value is a Map; convert it to an array or object",
        nonRetryable: true,
      }),
    });
  });

  it("keeps the task alive while the attempt runs, and stops once it ended", async () => {
    const slow = async () => {
      await new Promise((resolve) => setTimeout(resolve, 3500));
      return "ok";
    };
    const attempt = runAttempt(slow, taskWith(), options());
    await vi.advanceTimersByTimeAsync(3500);
    expect(await attempt).toEqual({ ok: true, result: "ok" });
    expect(keepAlive).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(keepAlive).toHaveBeenCalledTimes(3);
  });

  it("leaves no timer and no watch behind, however the attempt ends", async () => {
    const ends: (() => Promise<unknown>)[] = [
      () => runAttempt(async () => "ok", taskWith({ heartbeatTimeout: 1000 }), options()),
      () => runAttempt(async () => Promise.reject(new Error("x")), taskWith({ heartbeatTimeout: 1000 }), options()),
      async () => {
        const attempt = runAttempt(untilAborted, taskWith({ startToCloseTimeout: 100 }), options());
        await vi.advanceTimersByTimeAsync(100);
        return attempt;
      },
    ];
    for (const [i, end] of ends.entries()) {
      await end();
      expect(vi.getTimerCount()).toBe(0);
      expect(cancellation.unwatched).toBe(i + 1);
    }
  });
});
