import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ActivityFailure,
  ApplicationFailure,
  WorkflowFailedError,
  activityContext,
  defineActivity,
  type HistoryEvent,
  type WorkflowContext,
} from "dfut";
import { startEnv, type TestEnv } from "../support/env.ts";

const attempts = new Map<string, number>();
const aborts: string[] = [];
const key = () => `${activityContext().workflowId}:${activityContext().activityId}`;

async function FlakyActivity(failTimes: number): Promise<string> {
  const n = (attempts.get(key()) ?? 0) + 1;
  attempts.set(key(), n);
  if (n <= failTimes) throw new Error(`flaky failure ${n}`);
  return `ok after ${n}`;
}

async function AlwaysFailsActivity(): Promise<never> {
  attempts.set(key(), (attempts.get(key()) ?? 0) + 1);
  throw new RangeError("card declined");
}

async function BadInputActivity(): Promise<never> {
  attempts.set(key(), (attempts.get(key()) ?? 0) + 1);
  throw ApplicationFailure.nonRetryable("the order is malformed", "BadOrder");
}

async function HangingActivity(): Promise<string> {
  const { signal } = activityContext();
  await new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))));
  return "never";
}

/** Heartbeats for a while, then stops: the heartbeat timeout must catch it. */
async function SilentActivity(): Promise<string> {
  const ctx = activityContext();
  ctx.heartbeat();
  await new Promise((resolve) => setTimeout(resolve, 150));
  ctx.heartbeat();
  await new Promise((resolve, reject) => {
    const t = setTimeout(resolve, 30_000);
    ctx.signal.addEventListener("abort", () => {
      clearTimeout(t);
      aborts.push(`${ctx.workflowId}:${String((ctx.signal.reason as Error)?.name)}`);
      reject(ctx.signal.reason);
    });
  });
  return "never";
}

const DefinedFlaky = defineActivity(
  async function DefinedFlakyActivity(failTimes: number) {
    return FlakyActivity(failTimes);
  },
  { retry: { initialInterval: 20, maximumAttempts: 2 } },
);

const failureOf = (e: unknown) => e as ActivityFailure;

const fast = { initialInterval: 20, backoffCoefficient: 2, maximumInterval: 100 };

async function RetryingWorkflow(ctx: WorkflowContext, failTimes: number) {
  return ctx.withOptions({ retry: { ...fast, maximumAttempts: 5 } }).executeActivity(FlakyActivity, failTimes);
}

async function CatchingWorkflow(ctx: WorkflowContext) {
  try {
    await ctx.withOptions({ retry: { ...fast, maximumAttempts: 3 } }).executeActivity(AlwaysFailsActivity);
    return "unreachable";
  } catch (err) {
    const failure = err as ActivityFailure;
    return { caught: failure.name, cause: failure.failure.name, message: failure.failure.message, attempt: failure.attempt };
  }
}

async function UncaughtWorkflow(ctx: WorkflowContext) {
  await ctx.withOptions({ retry: { ...fast, maximumAttempts: 2 } }).executeActivity(AlwaysFailsActivity);
  return "unreachable";
}

async function NonRetryableWorkflow(ctx: WorkflowContext) {
  const viaType = await ctx
    .withOptions({ retry: { ...fast, nonRetryableErrorTypes: ["RangeError"] } })
    .executeActivity(AlwaysFailsActivity)
    .then(
      () => "no",
      (e: unknown) => `${failureOf(e).failure.name} after ${failureOf(e).attempt}`,
    );
  const viaFailure = await ctx.executeActivity(BadInputActivity).then(
    () => "no",
    (e: unknown) => `${failureOf(e).failure.name} after ${failureOf(e).attempt}`,
  );
  return { viaType, viaFailure };
}

async function DefaultsWorkflow(ctx: WorkflowContext) {
  return ctx.executeActivity(DefinedFlaky, 5).then(
    () => "no",
    (e: unknown) => failureOf(e).attempt,
  );
}

async function TimeoutWorkflow(ctx: WorkflowContext, kind: "startToClose" | "scheduleToClose" | "heartbeat") {
  const options =
    kind === "startToClose"
      ? { startToCloseTimeout: 200, retry: { ...fast, maximumAttempts: 2 } }
      : kind === "scheduleToClose"
        ? { startToCloseTimeout: 150, scheduleToCloseTimeout: 400, retry: { ...fast, maximumAttempts: 0 } }
        : { heartbeatTimeout: 300, retry: { maximumAttempts: 1 } };
  const activity = kind === "heartbeat" ? SilentActivity : HangingActivity;
  return ctx.withOptions(options).executeActivity(activity).then(
    () => "no",
    (e: unknown) => ({ name: failureOf(e).failure.name, attempt: failureOf(e).attempt }),
  );
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({
    workflows: { RetryingWorkflow, CatchingWorkflow, UncaughtWorkflow, NonRetryableWorkflow, DefaultsWorkflow, TimeoutWorkflow },
    activities: [FlakyActivity, AlwaysFailsActivity, BadInputActivity, HangingActivity, SilentActivity, DefinedFlaky],
  });
});
afterAll(() => env?.stop());

const failures = (h: HistoryEvent[]) => h.filter((e) => e.type === "ActivityFailed");

describe("retry policy", () => {
  it("retries with backoff until the activity succeeds, and history shows each failed attempt", async () => {
    const h = await env.client.start(RetryingWorkflow, { args: [2], workflowId: "retry-ok" });
    expect(await h.result()).toBe("ok after 3");
    const history = await h.history();
    const failed = failures(history);
    expect(failed.map((e) => e.type === "ActivityFailed" && [e.attempt, e.willRetry, e.error.message])).toEqual([
      [1, true, "flaky failure 1"],
      [2, true, "flaky failure 2"],
    ]);
    const started = history.filter((e) => e.type === "ActivityStarted").map((e) => e.type === "ActivityStarted" && e.attempt);
    expect(started).toEqual([1, 2, 3]);
    // The backoff is honoured: attempt 3 starts no earlier than attempt 2's failure said.
    const second = failed[1];
    const third = history.filter((e) => e.type === "ActivityStarted")[2];
    if (second.type !== "ActivityFailed" || !second.nextAttemptAt) throw new Error("no nextAttemptAt");
    expect(Date.parse(third.time)).toBeGreaterThanOrEqual(Date.parse(second.nextAttemptAt) - 5);
    expect(Date.parse(second.nextAttemptAt) - Date.parse(second.time)).toBeGreaterThanOrEqual(35);
  });

  it("rejects the future with an error the workflow can catch once attempts run out", async () => {
    const h = await env.client.start(CatchingWorkflow, { workflowId: "retry-catch" });
    expect(await h.result()).toEqual({ caught: "ActivityFailure", cause: "RangeError", message: "card declined", attempt: 3 });
    expect(attempts.get("retry-catch:1")).toBe(3);
    const last = failures(await h.history()).at(-1);
    expect(last?.type === "ActivityFailed" && last.willRetry).toBe(false);
  });

  it("fails the workflow on an uncaught activity failure, and the client's result() rejects with it", async () => {
    const h = await env.client.start(UncaughtWorkflow, { workflowId: "retry-uncaught" });
    const error = await h.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).failure.name).toBe("ActivityFailure");
    expect((error as WorkflowFailedError).failure.message).toContain("card declined");
    const history = await h.history();
    expect(history.at(-1)?.type).toBe("WorkflowFailed");
    expect((await h.describe()).status).toBe("failed");
  });

  it("does not retry non-retryable error types or ApplicationFailure.nonRetryable", async () => {
    const h = await env.client.start(NonRetryableWorkflow, { workflowId: "retry-nonretryable" });
    expect(await h.result()).toEqual({ viaType: "RangeError after 1", viaFailure: "BadOrder after 1" });
    expect(attempts.get("retry-nonretryable:1")).toBe(1);
    expect(attempts.get("retry-nonretryable:2")).toBe(1);
  });

  it("uses the options an activity was defined with", async () => {
    const h = await env.client.start(DefaultsWorkflow, { workflowId: "retry-defaults" });
    expect(await h.result()).toBe(2);
    const scheduled = (await h.history()).find((e) => e.type === "ActivityScheduled");
    expect(scheduled?.type === "ActivityScheduled" && scheduled.options.retry).toMatchObject({ initialInterval: 20, maximumAttempts: 2, backoffCoefficient: 2 });
  });
});

describe("activity timeouts", () => {
  it("enforces start-to-close per attempt and aborts the activity", async () => {
    const h = await env.client.start(TimeoutWorkflow, { args: ["startToClose"], workflowId: "timeout-s2c" });
    expect(await h.result()).toEqual({ name: "TimeoutError", attempt: 2 });
  });

  it("enforces schedule-to-close across attempts", async () => {
    const h = await env.client.start(TimeoutWorkflow, { args: ["scheduleToClose"], workflowId: "timeout-sched" });
    const outcome = (await h.result()) as { name: string; attempt: number };
    expect(outcome.name).toBe("TimeoutError");
    // 400 ms in all with 150 ms attempts: more than one attempt, far fewer than unlimited.
    expect(outcome.attempt).toBeGreaterThanOrEqual(2);
    expect(outcome.attempt).toBeLessThanOrEqual(4);
  });

  it("fails an attempt whose heartbeats stop, and fires its AbortSignal", async () => {
    const h = await env.client.start(TimeoutWorkflow, { args: ["heartbeat"], workflowId: "timeout-hb" });
    expect(await h.result()).toEqual({ name: "HeartbeatTimeout", attempt: 1 });
    expect(aborts).toContain("timeout-hb:HeartbeatTimeout");
  });
});
