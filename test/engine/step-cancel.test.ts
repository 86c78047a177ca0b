import { afterAll, beforeAll, expect, it } from "vitest";
import { activityContext, CanceledError, type WorkflowContext } from "dfut";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

const aborted: string[] = [];
let runs = 0;

/** Runs until its AbortSignal fires, and says why it stopped. */
async function LongJob(tag: string) {
  runs++;
  const { signal } = activityContext();
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  aborted.push(`${tag}: ${(signal.reason as Error).message}`);
  throw signal.reason;
}

async function Quick() {
  return "quick";
}

/** Starts a long activity and a long timer, cancels both once a signal comes, and goes on. */
async function Canceler(ctx: WorkflowContext, tag: string) {
  const job = ctx.withOptions({ retry: { maximumAttempts: 5, initialInterval: 50 } }).executeActivity(LongJob, tag);
  const timer = ctx.sleep(3_600_000);
  await ctx.waitForSignal("stop");
  job.cancel();
  timer.cancel();
  const outcomes = await Promise.allSettled([job, timer]);
  const rest = await ctx.executeActivity(Quick);
  return {
    outcomes: outcomes.map((o) => (o.status === "rejected" ? `${(o.reason as Error).name}: ${o.reason instanceof CanceledError}` : "ok")),
    rest,
  };
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  // Workflows and activities in different workers: the cancel reaches the attempt through history.
  await env.worker({ workflows: { Canceler } });
  await env.worker({ activities: { LongJob, Quick } });
});
afterAll(async () => env?.stop());

it("future.cancel() rejects the step's future, records it, aborts the running attempt and retries nothing", async () => {
  const handle = await env.client.start(Canceler, { args: ["one"] });
  await eventually(async () => ((await handle.history()).some((e) => e.type === "ActivityStarted") ? true : undefined));
  await handle.signal("stop");
  expect(await handle.result()).toEqual({ outcomes: ["CanceledError: true", "CanceledError: true"], rest: "quick" });
  const history = await eventually(async () => {
    const events = await handle.history();
    return events.some((e) => e.type === "ActivityFailed") ? events : undefined;
  });
  const canceled = history.filter((e) => e.type === "StepCanceled").map((e) => (e.type === "StepCanceled" ? e.stepId : 0));
  expect(canceled).toEqual([1, 2]);
  expect(aborted).toEqual(["one: activity LongJob (#1) was canceled by the workflow code"]);
  expect(history.find((e) => e.type === "ActivityFailed")).toMatchObject({ activityId: 1, willRetry: false, error: { name: "CanceledError" } });
  expect(runs).toBe(1);
  expect(history.some((e) => e.type === "TimerFired")).toBe(false);
});
