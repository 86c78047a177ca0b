import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CancelledError,
  PayloadError,
  WorkflowAlreadyStartedError,
  WorkflowCanceledError,
  WorkflowClosedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  InvalidArgumentError,
  activityContext,
  type Worker,
  type WorkflowContext,
} from "dfut";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

async function Echo(value: unknown): Promise<unknown> {
  return value;
}
async function Other(value: unknown): Promise<unknown> {
  return value;
}
const cleanups: string[] = [];
const aborted: string[] = [];
async function Cleanup(reason: string): Promise<string> {
  cleanups.push(`${activityContext().workflowId}:${reason}`);
  return "cleaned";
}
async function Forever(): Promise<string> {
  const { signal, workflowId } = activityContext();
  await new Promise((_, reject) =>
    signal.addEventListener("abort", () => {
      aborted.push(`${workflowId}:${(signal.reason as Error).name}`);
      reject(signal.reason);
    }),
  );
  return "never";
}
async function Unserializable(): Promise<unknown> {
  return { when: 10n };
}

async function SleepWorkflow(ctx: WorkflowContext, ms: number) {
  const t0 = ctx.now().getTime();
  await ctx.sleep(ms);
  return ctx.now().getTime() - t0;
}

async function ApprovalWorkflow(ctx: WorkflowContext) {
  const early = await ctx.waitForSignal<string>("early");
  const approval = await ctx.waitForSignal<{ by: string }>("approve");
  return { early, approvedBy: approval.by };
}

async function CancellableWorkflow(ctx: WorkflowContext) {
  try {
    await ctx.withOptions({ startToCloseTimeout: 60_000 }).executeActivity(Forever);
    return "finished";
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
    await ctx.executeActivity(Cleanup, err.message);
    throw err;
  }
}

async function DeterminismWorkflow(ctx: WorkflowContext) {
  const values = { now: ctx.now().toISOString(), random: ctx.random(), uuid: ctx.uuid() };
  await ctx.executeActivity(Echo, values);
  await ctx.waitForSignal("go");
  const again = { now: ctx.now().toISOString(), random: ctx.random(), uuid: ctx.uuid() };
  await ctx.executeActivity(Echo, values);
  return { values, again };
}

async function VersionedWorkflowV1(ctx: WorkflowContext) {
  await ctx.executeActivity(Echo, "one");
  await ctx.waitForSignal("continue");
  return ctx.executeActivity(Echo, "two");
}
async function VersionedWorkflowV2(ctx: WorkflowContext) {
  await ctx.executeActivity(Other, "one");
  await ctx.waitForSignal("continue");
  return ctx.executeActivity(Echo, "two");
}

async function BadArgsWorkflow(ctx: WorkflowContext) {
  let callSiteError = "";
  try {
    ctx.executeActivity(Echo, () => "a function");
  } catch (err) {
    callSiteError = `${(err as Error).name}: ${(err as Error).message}`;
  }
  const resultError = await ctx.executeActivity(Unserializable).then(
    () => "no",
    (e: unknown) => {
      const { failure } = e as { failure: { name: string; message: string } };
      return `${failure.name}: ${failure.message}`;
    },
  );
  return { callSiteError, resultError };
}

async function RealTimerWorkflow(ctx: WorkflowContext) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  return ctx.executeActivity(Echo, "too late");
}

async function LateWorkflow(ctx: WorkflowContext) {
  return ctx.executeActivity("LateActivity", 21);
}
async function LateActivity(n: number): Promise<number> {
  return n * 2;
}
async function UnknownTypeWorkflow() {
  return "found";
}

const mainRegistrations = {
  workflows: { SleepWorkflow, ApprovalWorkflow, CancellableWorkflow, DeterminismWorkflow, BadArgsWorkflow, LateWorkflow, RealTimerWorkflow },
  activities: { Echo, Other, Cleanup, Forever, Unserializable },
};

let env: TestEnv;
let main: Worker;
beforeAll(async () => {
  env = await startEnv();
  main = await env.worker(mainRegistrations);
});
afterAll(() => env?.stop());

describe("timers", () => {
  it("ctx.sleep is a durable timer that fires on time", async () => {
    const h = await env.client.start(SleepWorkflow, { args: [700], workflowId: "sleep-1" });
    expect(await h.result()).toBeGreaterThanOrEqual(700);
    const history = await h.history();
    expect(history.map((e) => e.type)).toEqual(["WorkflowStarted", "TimerStarted", "TimerFired", "WorkflowCompleted"]);
    const [started, fired] = [history[1], history[2]];
    if (started.type !== "TimerStarted") throw new Error("no timer");
    const late = Date.parse(fired.time) - Date.parse(started.fireAt);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(1000);
  });
});

describe("starting", () => {
  it("refuses a second start with an existing id (JetStream enforces it)", async () => {
    // Still running (a closed id may start again): an hour's sleep.
    await env.client.start(SleepWorkflow, { args: [3_600_000], workflowId: "dup-1" });
    const results = await Promise.allSettled([
      env.client.start(SleepWorkflow, { args: [1], workflowId: "dup-1" }),
      env.client.start(SleepWorkflow, { args: [1], workflowId: "dup-race" }),
      env.client.start(SleepWorkflow, { args: [1], workflowId: "dup-race" }),
    ]);
    expect(results[0].status).toBe("rejected");
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(WorkflowAlreadyStartedError);
    expect((results[0] as PromiseRejectedResult).reason.message).toContain('"dup-1" is already running');
    // Of two racing starts of one new id exactly one wins.
    expect(results.slice(1).filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await env.client.history("dup-race")).filter((e) => e.type === "WorkflowStarted")).toHaveLength(1);
  });

  it("refuses ids that cannot be subject tokens, naming the allowed characters", async () => {
    for (const bad of ["a.b", "a*", "a>", "has space", ""]) {
      const err = await env.client.start(SleepWorkflow, { args: [1], workflowId: bad }).catch((e: unknown) => e);
      expect(err, bad).toBeInstanceOf(InvalidArgumentError);
      if (bad) expect((err as Error).message).toContain("only letters, digits, '-' and '_' are allowed");
    }
  });
});

describe("signals and cancellation", () => {
  it("delivers signals, buffering those that arrive before the workflow waits", async () => {
    const h = await env.client.start(ApprovalWorkflow, { workflowId: "signal-1" });
    await h.signal("early", "first");
    await h.signal("approve", { by: "alice" });
    expect(await h.result()).toEqual({ early: "first", approvedBy: "alice" });
    await expect(env.client.signal("signal-1", "approve", {})).rejects.toBeInstanceOf(WorkflowClosedError);
    await expect(env.client.signal("no-such-workflow", "approve", {})).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it("cancels: the workflow sees CancelledError at its await, runs cleanup, and ends Canceled", async () => {
    const h = await env.client.start(CancellableWorkflow, { workflowId: "cancel-1" });
    await eventually(async () => ((await h.history()).some((e) => e.type === "ActivityStarted") ? true : undefined));
    await h.cancel("customer changed their mind");
    const err = await h.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowCanceledError);
    expect((err as Error).message).toContain("customer changed their mind");
    expect(cleanups).toEqual(["cancel-1:workflow canceled: customer changed their mind"]);
    // The running activity's AbortSignal fired, and its failure is not retried.
    expect(aborted).toEqual(["cancel-1:CanceledError"]);
    const history = await h.history();
    const failed = await eventually(async () => (await h.history()).find((e) => e.type === "ActivityFailed"));
    expect(failed.type === "ActivityFailed" && [failed.error.name, failed.willRetry]).toEqual(["CanceledError", false]);
    const types = history.map((e) => e.type).filter((t) => t !== "ActivityFailed");
    expect(types.slice(-5)).toEqual(["CancelRequested", "ActivityScheduled", "ActivityStarted", "ActivityCompleted", "WorkflowCanceled"]);
    expect((await h.describe()).status).toBe("canceled");
  });
});

describe("determinism", () => {
  it("ctx.now(), ctx.random() and ctx.uuid() return the same values when another worker replays", async () => {
    const h = await env.client.start(DeterminismWorkflow, { workflowId: "determinism-1" });
    await eventually(async () => ((await h.history()).some((e) => e.type === "ActivityCompleted") ? true : undefined));
    // A fresh worker with an empty cache replays from history.
    await main.stop();
    main = await env.worker(mainRegistrations);
    await h.signal("go");
    const { values, again } = (await h.result()) as { values: { random: number; uuid: string; now: string }; again: typeof values };
    const args = (await h.history()).flatMap((e) => (e.type === "ActivityScheduled" ? [e.args[0]] : []));
    expect(args[1]).toEqual(args[0]);
    expect(args[0]).toEqual(values);
    expect(values.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(again.random).not.toBe(values.random);
    expect(Date.parse(again.now)).toBeGreaterThan(Date.parse(values.now));
  });

  it("fails the workflow task when the code no longer matches its history, and continues once the right code is back", async () => {
    const v1 = await env.worker({ queue: "versioned", workflows: { VersionedWorkflow: VersionedWorkflowV1 }, activities: { Echo, Other } });
    const h = await env.client.start("VersionedWorkflow", { workflowId: "nondet-1", queue: "versioned" });
    await eventually(async () => ((await h.history()).some((e) => e.type === "ActivityCompleted") ? true : undefined));
    await v1.stop();

    const v2 = await env.worker({ queue: "versioned", workflows: { VersionedWorkflow: VersionedWorkflowV2 }, activities: { Echo, Other } });
    await h.signal("continue");
    const failed = await eventually(async () => (await h.history()).find((e) => e.type === "WorkflowTaskFailed"));
    if (failed.type !== "WorkflowTaskFailed") throw new Error("unreachable");
    expect(failed.error.name).toBe("NonDeterminismError");
    expect(failed.error.message).toContain("activity Echo");
    expect(failed.error.message).toContain("activity Other");
    expect((await eventually(async () => (await h.describe()).problem))).toContain("NonDeterminismError");
    await v2.stop();

    await env.worker({ queue: "versioned", workflows: { VersionedWorkflow: VersionedWorkflowV1 }, activities: { Echo, Other } });
    expect(await h.result()).toBe("two");
    const history = await h.history();
    expect(history.filter((e) => e.type === "WorkflowTaskFailed")).toHaveLength(1);
    expect((await h.describe()).problem).toBeUndefined();
  });
});

describe("bad input", () => {
  it("a workflow type no worker registered stays visible and proceeds once a worker with it starts", async () => {
    const h = await env.client.start("UnknownTypeWorkflow", { workflowId: "unknown-type-1" });
    const problem = await eventually(async () => (await h.describe()).problem);
    expect(problem).toContain("UnknownTypeWorkflow");
    expect((await h.describe()).status).toBe("running");
    await env.worker({ workflows: { UnknownTypeWorkflow } });
    expect(await h.result()).toBe("found");
  });

  it("an activity type no worker registered stays visible and proceeds once a worker with it starts", async () => {
    const h = await env.client.start(LateWorkflow, { workflowId: "unknown-activity-1" });
    const problem = await eventually(async () => (await h.describe()).problem);
    expect(problem).toContain("activity type LateActivity");
    await env.worker({ activities: { LateActivity } });
    expect(await h.result()).toBe(42);
    expect((await h.describe()).problem).toBeUndefined();
  });

  it("refuses arguments that are not JSON-serializable or too large at the call site, recording nothing", async () => {
    const err = await env.client.start(SleepWorkflow, { args: [10n], workflowId: "bad-args-1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadError);
    expect((err as Error).message).toBe("the arguments of workflow SleepWorkflow is not JSON-serializable: [0] is a BigInt; pass it as a string");
    await expect(env.client.history("bad-args-1")).rejects.toBeInstanceOf(WorkflowNotFoundError);

    const huge = "x".repeat(env.connection.maxPayload + 10);
    const tooLarge = await env.client.start(SleepWorkflow, { args: [huge], workflowId: "bad-args-2" }).catch((e: unknown) => e);
    expect(tooLarge).toBeInstanceOf(PayloadError);
    expect((tooLarge as Error).message).toMatch(/bytes; the NATS server accepts at most \d+ bytes per message/);
    await expect(env.client.history("bad-args-2")).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it("inside a workflow, bad activity arguments throw at the call site and bad results fail the activity", async () => {
    const h = await env.client.start(BadArgsWorkflow, { workflowId: "bad-args-wf" });
    expect(await h.result()).toEqual({
      callSiteError: "PayloadError: the arguments of activity Echo is not JSON-serializable: [0] is a function",
      resultError: "PayloadError: the result of activity Unserializable is not JSON-serializable: when is a BigInt; pass it as a string",
    });
  });

  it("workflow code that awaits a real timer is reported, not left waiting in silence", async () => {
    const h = await env.client.start(RealTimerWorkflow, { workflowId: "real-timer-1" });
    const failed = await eventually(async () => (await h.history()).find((e) => e.type === "WorkflowTaskFailed"));
    // The determinism guard stops it at the call, naming the call and where the code made it.
    expect(failed.type === "WorkflowTaskFailed" && failed.error.message).toMatch(
      /^workflow RealTimerWorkflow called setTimeout at \S+semantics\.test\.ts:\d+:\d+ while its workflow task ran: .*use ctx\.sleep/,
    );
    expect(await eventually(async () => (await h.describe()).problem)).toContain("use ctx.sleep for a durable timer");
  });

  it("a workflow that throws fails with its error's name and message", async () => {
    async function ThrowingWorkflow(): Promise<never> {
      throw new TypeError("no such customer");
    }
    await env.worker({ queue: "throwing", workflows: { ThrowingWorkflow } });
    const h = await env.client.start(ThrowingWorkflow, { workflowId: "throws-1", queue: "throwing" });
    const err = (await h.result().catch((e: unknown) => e)) as WorkflowFailedError;
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.failure).toMatchObject({ name: "TypeError", message: "no such customer" });
  });
});
