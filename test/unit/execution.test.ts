// The replay core, event by event: histories built by hand, commands checked, no NATS.
import { describe, expect, it } from "vitest";
import { ActivityFailure, CanceledError, NonDeterminismError, UndecodableEventError } from "../../src/common/errors.ts";
import type { HistoryEvent, WorkflowStarted } from "../../src/common/events.ts";
import { resolveActivityOptions } from "../../src/common/options.ts";
import type { WorkflowContext } from "../../src/workflow/context.ts";
import { defineActivity, type WorkflowFunction } from "../../src/workflow/definitions.ts";
import { commandToEvent, WorkflowExecution, type Command, type ExecutionOptions } from "../../src/workflow/execution.ts";
import { at, deferred, History } from "./support.ts";

async function Charge(customerId: string, amount: number) {
  return { chargeId: `ch_${customerId}`, amount };
}
async function Ship(chargeId: string) {
  return { trackingId: `trk_${chargeId}` };
}
async function Refund(chargeId: string) {
  return chargeId;
}

const DEFAULT_OPTIONS = resolveActivityOptions("default");

/** A new run of `fn` for a WorkflowStarted, or for the history that begins with one. */
function runOf(fn: WorkflowFunction, start: WorkflowStarted | readonly HistoryEvent[], options: ExecutionOptions = {}): WorkflowExecution {
  const started = "type" in start ? start : start[0];
  if (started?.type !== "WorkflowStarted") throw new Error("a history begins with its WorkflowStarted");
  return new WorkflowExecution("wf-1", fn, started, options);
}

/** What the worker does with commands: records each as the next event and applies it back. */
async function record(execution: WorkflowExecution, h: History, commands: Command[]): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for (const command of commands) {
    const { seq, time } = h.next();
    const event = { ...commandToEvent(command, time), seq } as HistoryEvent;
    expect(await execution.apply([event])).toEqual([]);
    events.push(event);
  }
  return events;
}

/** Lets code waiting on something outside dfut go on. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WorkflowExecution: starting and finishing", () => {
  it("runs the code with the recorded arguments and completes with its result", async () => {
    async function Sum(_ctx: WorkflowContext, a: number, b: number) {
      return a + b;
    }
    const h = new History();
    const started = h.started("Sum", [2, 3]);
    const execution = runOf(Sum, started);
    expect(await execution.apply([started])).toEqual([{ kind: "CompleteWorkflow", result: 5 }]);
    expect(execution.closed).toBe(false);
    expect(execution.lastSeq).toBe(1);
  });

  it("gives the code its id and type", async () => {
    async function Names(ctx: WorkflowContext) {
      return [ctx.workflowId, ctx.workflowType];
    }
    const started = new History().started("Names");
    expect(await runOf(Names, started).apply([started])).toEqual([{ kind: "CompleteWorkflow", result: ["wf-1", "Names"] }]);
  });

  it("completes with null when the code returns nothing", async () => {
    async function Nothing(_ctx: WorkflowContext) {}
    const started = new History().started("Nothing");
    expect(await runOf(Nothing, started).apply([started])).toEqual([{ kind: "CompleteWorkflow", result: null }]);
  });

  it("fails with the error the code throws, asynchronously or synchronously", async () => {
    async function Throws(_ctx: WorkflowContext): Promise<never> {
      throw new RangeError("out of range");
    }
    const started = new History().started("Throws");
    const [failed] = await runOf(Throws, started).apply([started]);
    expect(failed).toMatchObject({ kind: "FailWorkflow", error: { name: "RangeError", message: "out of range" } });

    function ThrowsAtOnce(_ctx: WorkflowContext): Promise<never> {
      throw new TypeError("not even async");
    }
    expect(await runOf(ThrowsAtOnce, started).apply([started])).toEqual([
      { kind: "FailWorkflow", error: expect.objectContaining({ name: "TypeError", message: "not even async" }) },
    ]);
  });

  it("fails the workflow when its result cannot be serialized", async () => {
    async function MapResult(_ctx: WorkflowContext) {
      return new Map([["a", 1]]);
    }
    const started = new History().started("MapResult");
    expect(await runOf(MapResult, started).apply([started])).toEqual([
      {
        kind: "FailWorkflow",
        error: expect.objectContaining({
          name: "PayloadError",
          message: "the result of workflow MapResult is not JSON-serializable: the value is a Map; convert it to an array or object",
        }),
      },
    ]);
  });

  it("skips events it has applied already", async () => {
    async function Once(ctx: WorkflowContext) {
      return ctx.executeActivity(Ship, "ch_1");
    }
    const h = new History();
    const history = [h.started("Once"), h.scheduled(1, "Ship", ["ch_1"])];
    const execution = runOf(Once, history);
    expect(await execution.apply(history)).toEqual([]);
    expect(await execution.apply(history)).toEqual([]);
    expect(execution.lastSeq).toBe(2);
  });
});

describe("WorkflowExecution: activities", () => {
  it("schedules an activity on the workflow's queue, with the default options", async () => {
    async function Order(ctx: WorkflowContext) {
      return ctx.executeActivity(Charge, "Bob", 20);
    }
    const started = new History().started("Order", [], "orders");
    expect(await runOf(Order, started).apply([started])).toEqual([
      { kind: "ScheduleActivity", activityId: 1, activityType: "Charge", args: ["Bob", 20], options: resolveActivityOptions("orders") },
    ]);
  });

  it("layers the activity's own defaults under the call's options", async () => {
    const Slow = defineActivity(async function Slow() {}, { name: "SlowActivity", startToCloseTimeout: 5000, retry: { maximumAttempts: 4 } });
    async function Layered(ctx: WorkflowContext) {
      await ctx.executeActivity(Slow);
      return ctx.withOptions({ retry: { maximumAttempts: 2 }, heartbeatTimeout: 100 }).executeActivity(Slow);
    }
    const h = new History();
    const started = h.started("Layered");
    const execution = runOf(Layered, started);
    const [first] = await execution.apply([started]);
    expect(first).toMatchObject({ kind: "ScheduleActivity", activityType: "SlowActivity", options: { startToCloseTimeout: 5000, retry: { maximumAttempts: 4 } } });
    await record(execution, h, [first]);
    const [second] = await execution.apply([h.completed(1, null)]);
    expect(second).toMatchObject({
      kind: "ScheduleActivity",
      activityId: 2,
      options: { startToCloseTimeout: 5000, heartbeatTimeout: 100, retry: { maximumAttempts: 2 } },
    });
  });

  it("schedules an activity by its type name", async () => {
    async function ByName(ctx: WorkflowContext) {
      return ctx.executeActivity("Remote", { id: 1 });
    }
    const started = new History().started("ByName");
    expect(await runOf(ByName, started).apply([started])).toEqual([
      { kind: "ScheduleActivity", activityId: 1, activityType: "Remote", args: [{ id: 1 }], options: DEFAULT_OPTIONS },
    ]);
  });

  it("fails the workflow when an activity's arguments cannot be stored", async () => {
    async function BadArgs(ctx: WorkflowContext) {
      return ctx.executeActivity("Remote", 10n);
    }
    const started = new History().started("BadArgs");
    expect(await runOf(BadArgs, started).apply([started])).toEqual([
      {
        kind: "FailWorkflow",
        error: expect.objectContaining({
          name: "PayloadError",
          message: "the arguments of activity Remote is not JSON-serializable: [0] is a BigInt; pass it as a string",
        }),
      },
    ]);
  });

  it("fails the workflow when an activity's arguments are larger than a message may be", async () => {
    async function Big(ctx: WorkflowContext) {
      return ctx.executeActivity("Remote", "x".repeat(2000));
    }
    const started = new History().started("Big");
    const [command] = await runOf(Big, started, { maxPayload: 1024 }).apply([started]);
    expect(command).toMatchObject({ kind: "FailWorkflow", error: { name: "PayloadError" } });
    expect(command.kind === "FailWorkflow" && command.error.message).toMatch(/^the arguments of activity Remote is \d+ bytes; the NATS server accepts at most 1024 bytes/);
  });

  it("goes on with each result in turn, ctx.now() being the time of the event applied", async () => {
    async function Order(ctx: WorkflowContext, customerId: string) {
      const startedAt = ctx.now().toISOString();
      const charge = await ctx.executeActivity(Charge, customerId, 20);
      const chargedAt = ctx.now().toISOString();
      const ship = await ctx.executeActivity(Ship, charge.chargeId);
      return { startedAt, chargedAt, trackingId: ship.trackingId };
    }
    const h = new History();
    const started = h.started("Order", ["Bob"]);
    const execution = runOf(Order, started);
    await record(execution, h, await execution.apply([started]));
    const charged = h.completed(1, { chargeId: "ch_Bob", amount: 20 });
    const [ship] = await execution.apply([charged]);
    expect(ship).toEqual({ kind: "ScheduleActivity", activityId: 2, activityType: "Ship", args: ["ch_Bob"], options: DEFAULT_OPTIONS });
    await record(execution, h, [ship]);
    expect(await execution.apply([h.completed(2, { trackingId: "trk_ch_Bob" })])).toEqual([
      { kind: "CompleteWorkflow", result: { startedAt: started.time, chargedAt: charged.time, trackingId: "trk_ch_Bob" } },
    ]);
  });

  it("replays a finished history to the same close, with no step scheduled again", async () => {
    async function Order(ctx: WorkflowContext) {
      const charge = await ctx.executeActivity(Charge, "Bob", 20);
      return ctx.executeActivity(Ship, charge.chargeId);
    }
    const h = new History();
    const history = [
      h.started("Order"),
      h.scheduled(1, "Charge", ["Bob", 20]),
      h.activityStarted(1),
      h.completed(1, { chargeId: "ch_Bob", amount: 20 }),
      h.scheduled(2, "Ship", ["ch_Bob"]),
      h.activityStarted(2),
      h.completed(2, { trackingId: "trk" }),
    ];
    expect(await runOf(Order, history).apply(history)).toEqual([{ kind: "CompleteWorkflow", result: { trackingId: "trk" } }]);
  });

  it("changes nothing on an ActivityFailed that will be retried", async () => {
    async function Retried(ctx: WorkflowContext) {
      return ctx.executeActivity(Ship, "ch_1");
    }
    const h = new History();
    const history = [h.started("Retried"), h.scheduled(1, "Ship", ["ch_1"]), h.activityStarted(1)];
    const execution = runOf(Retried, history);
    expect(await execution.apply(history)).toEqual([]);
    expect(await execution.apply([h.failed(1, { name: "Flaky", message: "later" }, { willRetry: true })])).toEqual([]);
    expect(execution.pendingSteps()).toEqual([history[1]]);
    expect(await execution.apply([h.activityStarted(1, 2), h.completed(1, "shipped", 2)])).toEqual([{ kind: "CompleteWorkflow", result: "shipped" }]);
  });

  it("rejects the step with an ActivityFailure carrying the failure when the activity failed for good", async () => {
    async function Caught(ctx: WorkflowContext) {
      try {
        await ctx.executeActivity(Charge, "Bob", 20);
        return "charged";
      } catch (err) {
        const failure = err as ActivityFailure;
        return { isActivityFailure: err instanceof ActivityFailure, activityType: failure.activityType, attempt: failure.attempt, failure: failure.failure };
      }
    }
    const h = new History();
    const error = { name: "CardDeclined", message: "declined", nonRetryable: true };
    const history = [h.started("Caught"), h.scheduled(1, "Charge", ["Bob", 20]), h.failed(1, error, { attempt: 3 })];
    expect(await runOf(Caught, history).apply(history)).toEqual([
      { kind: "CompleteWorkflow", result: { isActivityFailure: true, activityType: "Charge", attempt: 3, failure: error } },
    ]);
  });

  it("fails the workflow with the ActivityFailure when the code does not catch it", async () => {
    async function Uncaught(ctx: WorkflowContext) {
      return ctx.executeActivity(Charge, "Bob", 20);
    }
    const h = new History();
    const history = [h.started("Uncaught"), h.scheduled(1, "Charge", ["Bob", 20]), h.failed(1, { name: "CardDeclined", message: "declined" }, { attempt: 2 })];
    const [command] = await runOf(Uncaught, history).apply(history);
    expect(command).toMatchObject({
      kind: "FailWorkflow",
      error: { name: "ActivityFailure", message: "activity Charge (#1) failed after 2 attempt(s): CardDeclined: declined" },
    });
  });
});

describe("WorkflowExecution: timers", () => {
  it("starts a timer that fires ms after ctx.now()", async () => {
    async function Sleeper(ctx: WorkflowContext) {
      await ctx.sleep(60_000);
      return "awake";
    }
    const h = new History();
    const started = h.started("Sleeper");
    const execution = runOf(Sleeper, started);
    expect(await execution.apply([started])).toEqual([{ kind: "StartTimer", timerId: 1, fireAt: at(1000 + 60_000) }]);
    await record(execution, h, [{ kind: "StartTimer", timerId: 1, fireAt: at(61_000) }]);
    expect(await execution.apply([h.timerFired(1)])).toEqual([{ kind: "CompleteWorkflow", result: "awake" }]);
  });

  it("counts timers and activities as steps of one sequence, the timer's time from the event before it", async () => {
    async function Mixed(ctx: WorkflowContext) {
      await ctx.executeActivity(Ship, "ch_1");
      await ctx.sleep(500);
      return ctx.now().toISOString();
    }
    const h = new History();
    const history = [h.started("Mixed"), h.scheduled(1, "Ship", ["ch_1"])];
    const execution = runOf(Mixed, history);
    await execution.apply(history);
    const completed = h.completed(1, null);
    const fireAt = new Date(Date.parse(completed.time) + 500).toISOString();
    expect(await execution.apply([completed])).toEqual([{ kind: "StartTimer", timerId: 2, fireAt }]);
    const fired = [h.timerStarted(2, fireAt), h.timerFired(2)];
    expect(await execution.apply(fired)).toEqual([{ kind: "CompleteWorkflow", result: fired[1].time }]);
  });

  it("allows a zero sleep and fails the workflow for a negative or non-finite one", async () => {
    async function Zero(ctx: WorkflowContext) {
      await ctx.sleep(0);
    }
    const started = new History().started("Zero");
    expect(await runOf(Zero, started).apply([started])).toEqual([{ kind: "StartTimer", timerId: 1, fireAt: started.time }]);

    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      async function Bad(ctx: WorkflowContext) {
        await ctx.sleep(ms);
      }
      expect(await runOf(Bad, started).apply([started])).toEqual([
        { kind: "FailWorkflow", error: expect.objectContaining({ name: "TypeError", message: `ctx.sleep needs a duration in ms >= 0, got ${ms}` }) },
      ]);
    }
  });
});

describe("WorkflowExecution: signals", () => {
  it("buffers signals that come before the wait and delivers them in order", async () => {
    async function Approvals(ctx: WorkflowContext) {
      await ctx.executeActivity(Ship, "ch_1");
      const first = await ctx.waitForSignal<string>("approve");
      const second = await ctx.waitForSignal<string>("approve");
      return [first, second];
    }
    const h = new History();
    const history = [h.started("Approvals"), h.scheduled(1, "Ship", ["ch_1"]), h.signal("approve", "ann"), h.signal("approve", "bob")];
    const execution = runOf(Approvals, history);
    expect(await execution.apply(history)).toEqual([]);
    expect(await execution.apply([h.completed(1, null)])).toEqual([{ kind: "CompleteWorkflow", result: ["ann", "bob"] }]);
  });

  it("resolves a waiting signal with the next signal of its name only", async () => {
    async function Waiting(ctx: WorkflowContext) {
      return ctx.waitForSignal("go");
    }
    const h = new History();
    const started = h.started("Waiting");
    const execution = runOf(Waiting, started);
    expect(await execution.apply([started])).toEqual([]);
    expect(await execution.apply([h.signal("stop", 1)])).toEqual([]);
    expect(await execution.apply([h.signal("go", { at: 2 })])).toEqual([{ kind: "CompleteWorkflow", result: { at: 2 } }]);
  });

  it("hands signals of one name to waiters in the order they started waiting", async () => {
    async function Two(ctx: WorkflowContext) {
      return Promise.all([ctx.waitForSignal("vote"), ctx.waitForSignal("vote")]);
    }
    const h = new History();
    const history = [h.started("Two"), h.signal("vote", "yes"), h.signal("vote", "no")];
    expect(await runOf(Two, history).apply(history)).toEqual([{ kind: "CompleteWorkflow", result: ["yes", "no"] }]);
  });

  it("takes no step for a signal", async () => {
    async function SignalThenSleep(ctx: WorkflowContext) {
      await ctx.waitForSignal("go");
      await ctx.sleep(10);
    }
    const h = new History();
    const history = [h.started("SignalThenSleep"), h.signal("go", null)];
    expect(await runOf(SignalThenSleep, history).apply(history)).toEqual([{ kind: "StartTimer", timerId: 1, fireAt: new Date(Date.parse(history[1].time) + 10).toISOString() }]);
  });
});

describe("WorkflowExecution: cancellation", () => {
  async function WithCleanup(ctx: WorkflowContext) {
    const charge = await ctx.executeActivity(Charge, "Bob", 20);
    try {
      await ctx.executeActivity(Ship, charge.chargeId);
      return "shipped";
    } catch (err) {
      const canceled = err instanceof CanceledError;
      await ctx.executeActivity(Refund, charge.chargeId);
      return { canceled, reason: (err as CanceledError).reason, cancelRequested: ctx.cancelRequested };
    }
  }

  it("rejects the pending step with CanceledError and lets the workflow clean up, then closes canceled", async () => {
    const h = new History();
    const history = [
      h.started("WithCleanup"),
      h.scheduled(1, "Charge", ["Bob", 20]),
      h.completed(1, { chargeId: "ch_Bob", amount: 20 }),
      h.scheduled(2, "Ship", ["ch_Bob"]),
    ];
    const execution = runOf(WithCleanup, history);
    expect(await execution.apply(history)).toEqual([]);
    expect(await execution.apply([h.cancel("customer changed their mind")])).toEqual([
      { kind: "ScheduleActivity", activityId: 3, activityType: "Refund", args: ["ch_Bob"], options: DEFAULT_OPTIONS },
    ]);
    await record(execution, h, [{ kind: "ScheduleActivity", activityId: 3, activityType: "Refund", args: ["ch_Bob"], options: DEFAULT_OPTIONS }]);
    // The canceled step is no longer waited for; the cleanup is.
    expect(execution.pendingSteps().map((s) => s.seq)).toEqual([6]);
    expect(await execution.apply([h.completed(3, "ch_Bob")])).toEqual([
      {
        kind: "CancelWorkflow",
        reason: "customer changed their mind",
        detail: { canceled: true, reason: "customer changed their mind", cancelRequested: true },
      },
    ]);
  });

  it("closes canceled with the CanceledError as detail when the code does not catch it", async () => {
    async function Plain(ctx: WorkflowContext) {
      return ctx.executeActivity(Ship, "ch_1");
    }
    const h = new History();
    const history = [h.started("Plain"), h.scheduled(1, "Ship", ["ch_1"]), h.cancel("asked")];
    expect(await runOf(Plain, history).apply(history)).toEqual([
      { kind: "CancelWorkflow", reason: "asked", detail: expect.objectContaining({ name: "CanceledError", message: "workflow canceled: asked" }) },
    ]);
  });

  it("rejects a signal waiter and a timer too", async () => {
    async function Waits(ctx: WorkflowContext) {
      const results = await Promise.allSettled([ctx.waitForSignal("go"), ctx.sleep(1000)]);
      return results.map((r) => (r.status === "rejected" ? (r.reason as Error).name : "fulfilled"));
    }
    const h = new History();
    const history = [h.started("Waits"), h.timerStarted(1, at(2000)), h.cancel("")];
    expect(await runOf(Waits, history).apply(history)).toEqual([
      { kind: "CancelWorkflow", reason: "", detail: ["CanceledError", "CanceledError"] },
    ]);
  });

  it("keeps the first reason when cancellation is requested twice", async () => {
    async function Plain(ctx: WorkflowContext) {
      try {
        await ctx.waitForSignal("never");
      } catch {
        await ctx.sleep(1);
      }
    }
    const h = new History();
    const started = h.started("Plain");
    const execution = runOf(Plain, started);
    await execution.apply([started]);
    const [timer] = await execution.apply([h.cancel("first")]);
    await record(execution, h, [timer]);
    expect(await execution.apply([h.cancel("second"), h.timerFired(1)])).toEqual([{ kind: "CancelWorkflow", reason: "first", detail: undefined }]);
  });

  it("changes nothing once the workflow completed, whether or not its close is recorded yet", async () => {
    async function Quick(_ctx: WorkflowContext) {
      return "done";
    }
    const h = new History();
    const started = h.started("Quick");
    const execution = runOf(Quick, started);
    const commands = await execution.apply([started]);
    expect(commands).toEqual([{ kind: "CompleteWorkflow", result: "done" }]);
    expect(await execution.apply([h.cancel("too late")])).toEqual(commands);
    await record(execution, h, commands);
    expect(execution.closed).toBe(true);
    expect(await execution.apply([h.cancel("later still")])).toEqual([]);
  });
});

describe("WorkflowExecution: closes recorded in history", () => {
  async function Long(ctx: WorkflowContext) {
    await ctx.executeActivity(Ship, "ch_1");
    return "done";
  }

  it("closes on WorkflowTerminated with no command, and ignores what follows", async () => {
    const h = new History();
    const history = [h.started("Long"), h.scheduled(1, "Ship", ["ch_1"])];
    const execution = runOf(Long, history);
    expect(await execution.apply(history)).toEqual([]);
    expect(await execution.apply([h.terminated("stuck")])).toEqual([]);
    expect(execution.closed).toBe(true);
    expect(execution.pendingSteps()).toEqual([]);
    expect(await execution.apply([h.completed(1, null), h.signal("go", 1)])).toEqual([]);
    expect(execution.lastSeq).toBe(5);
  });

  it("asks for nothing when its first events already close it (a terminate before any task)", async () => {
    const h = new History();
    const history = [h.started("Long"), h.terminated("never needed")];
    expect(await runOf(Long, history).apply(history)).toEqual([]);
  });

  it("produces no close of its own when the history holds one", async () => {
    const h = new History();
    const history = [h.started("Long"), h.scheduled(1, "Ship", ["ch_1"]), h.completed(1, null), h.workflowCompleted("done")];
    const execution = runOf(Long, history);
    expect(await execution.apply(history)).toEqual([]);
    expect(execution.closed).toBe(true);
  });
});

describe("WorkflowExecution: history the code does not match", () => {
  it("fails apply with UndecodableEventError naming the sequence of an undecodable event", async () => {
    async function Waits(ctx: WorkflowContext) {
      return ctx.waitForSignal("go");
    }
    const h = new History();
    const history = [h.started("Waits"), h.undecodable("it is not JSON (Unexpected token)")];
    const error = await runOf(Waits, history).apply(history).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(UndecodableEventError);
    expect(error).toMatchObject({ name: "UndecodableEvent", seq: 2 });
    expect((error as Error).message).toBe(
      "history event seq 2 cannot be decoded: it is not JSON (Unexpected token); the workflow cannot go on past it. " +
        "Repair or delete that message and signal the workflow, or end it with 'dfut terminate wf-1'",
    );
  });

  it("fails on an answer to a step the code never reached", async () => {
    async function Waits(ctx: WorkflowContext) {
      return ctx.waitForSignal("go");
    }
    const h = new History();
    const history = [h.started("Waits"), h.completed(5, "x")];
    const failure = runOf(Waits, history).apply(history);
    await expect(failure).rejects.toBeInstanceOf(NonDeterminismError);
    await expect(failure).rejects.toThrow("history event seq 2 answers step #5, but the workflow code never reached step #5");
  });

  it("fails when a recorded timer is now an activity", async () => {
    async function NowActivity(ctx: WorkflowContext) {
      return ctx.executeActivity(Ship, "ch_1");
    }
    const h = new History();
    const history = [h.started("NowActivity"), h.timerStarted(1, at(5000))];
    await expect(runOf(NowActivity, history).apply(history)).rejects.toThrow(
      "step #1: history records a timer (event seq 2) but the workflow code now schedules activity Ship",
    );
  });

  it("keeps failing once it failed", async () => {
    async function Waits(ctx: WorkflowContext) {
      return ctx.waitForSignal("go");
    }
    const h = new History();
    const history = [h.started("Waits"), h.undecodable("bad")];
    const execution = runOf(Waits, history);
    await expect(execution.apply(history)).rejects.toBeInstanceOf(UndecodableEventError);
    await expect(execution.apply([h.signal("go", 1)])).rejects.toBeInstanceOf(UndecodableEventError);
  });

  it("warns about other arguments by default and goes on with the recorded step", async () => {
    async function Changed(ctx: WorkflowContext) {
      return ctx.executeActivity(Charge, "Bob", 30);
    }
    const h = new History();
    const history = [h.started("Changed"), h.scheduled(1, "Charge", ["Bob", 20]), h.completed(1, "charged")];
    const warnings: string[] = [];
    expect(await runOf(Changed, history, { onWarning: (w) => warnings.push(w) }).apply(history)).toEqual([
      { kind: "CompleteWorkflow", result: "charged" },
    ]);
    expect(warnings).toEqual([
      'workflow wf-1: step #1: history records activity Charge with arguments ["Bob",20] (event seq 2) but the workflow code now passes ["Bob",30]; going on with the recorded step',
    ]);
    // Without a listener it goes on all the same.
    expect(await runOf(Changed, history).apply(history)).toEqual([{ kind: "CompleteWorkflow", result: "charged" }]);
  });

  it("fails on other arguments with argumentMismatch fail, and says nothing when they are equal", async () => {
    async function Changed(ctx: WorkflowContext, amount: number) {
      return ctx.executeActivity(Charge, "Bob", amount);
    }
    const h = new History();
    const recorded = [h.started("Changed", [30]), h.scheduled(1, "Charge", ["Bob", 20])];
    await expect(runOf(Changed, recorded, { argumentMismatch: "fail" }).apply(recorded)).rejects.toBeInstanceOf(NonDeterminismError);
    const same = [h.started("Changed", [20]), { ...recorded[1], seq: 99 }];
    const warnings: string[] = [];
    expect(await runOf(Changed, same, { argumentMismatch: "fail", onWarning: (w) => warnings.push(w) }).apply(same)).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe("WorkflowExecution: commands", () => {
  async function Parallel(ctx: WorkflowContext) {
    const [shipped] = await Promise.all([ctx.executeActivity(Ship, "a"), ctx.sleep(1000)]);
    return shipped;
  }

  it("does not produce a step's command twice across apply calls", async () => {
    const h = new History();
    const started = h.started("Parallel");
    const execution = runOf(Parallel, started);
    const commands = await execution.apply([started]);
    expect(commands.map((c) => c.kind)).toEqual(["ScheduleActivity", "StartTimer"]);
    // Something else lands before the commands are recorded: they are not offered again.
    expect(await execution.apply([h.signal("unrelated", null)])).toEqual([]);
  });

  it("offers the close again until its event is recorded", async () => {
    async function Quick(_ctx: WorkflowContext) {
      return 1;
    }
    const h = new History();
    const started = h.started("Quick");
    const execution = runOf(Quick, started);
    expect(await execution.apply([started])).toEqual([{ kind: "CompleteWorkflow", result: 1 }]);
    expect(await execution.apply([h.signal("x", null)])).toEqual([{ kind: "CompleteWorkflow", result: 1 }]);
  });

  it("knows which commands the history holds", async () => {
    const h = new History();
    const started = h.started("Parallel");
    const execution = runOf(Parallel, started);
    const [activity, timer] = await execution.apply([started]);
    expect([execution.isRecorded(activity), execution.isRecorded(timer)]).toEqual([false, false]);
    await record(execution, h, [activity]);
    expect([execution.isRecorded(activity), execution.isRecorded(timer)]).toEqual([true, false]);
    await record(execution, h, [timer]);
    expect(execution.isRecorded(timer)).toBe(true);

    const close: Command = { kind: "CompleteWorkflow", result: "a" };
    expect(execution.isRecorded(close)).toBe(false);
    expect(await execution.apply([h.completed(1, "a"), h.timerFired(2)])).toEqual([close]);
    await record(execution, h, [close]);
    expect(execution.isRecorded(close)).toBe(true);
  });

  it("lists the recorded steps still waiting for their outcome", async () => {
    const h = new History();
    const history = [h.started("Parallel"), h.scheduled(1, "Ship", ["a"]), h.timerStarted(2, at(4000))];
    const execution = runOf(Parallel, history);
    expect(await execution.apply(history)).toEqual([]);
    expect(execution.pendingSteps()).toEqual([history[1], history[2]]);
    await execution.apply([h.activityStarted(1), h.completed(1, "a")]);
    expect(execution.pendingSteps()).toEqual([history[2]]);
    await execution.apply([h.timerFired(2)]);
    expect(execution.pendingSteps()).toEqual([]);
  });

  it("does not list steps the code produced but the history does not hold", async () => {
    const started = new History().started("Parallel");
    const execution = runOf(Parallel, started);
    await execution.apply([started]);
    expect(execution.pendingSteps()).toEqual([]);
  });
});

describe("WorkflowExecution: code that strays outside its task", () => {
  it("reports a step scheduled after the task ended through onStray, and fails the next apply", async () => {
    const outside = deferred();
    async function Strays(ctx: WorkflowContext) {
      await outside.promise;
      return ctx.executeActivity(Ship, "late");
    }
    const strays: NonDeterminismError[] = [];
    const h = new History();
    const started = h.started("Strays");
    const execution = runOf(Strays, started, { onStray: (e) => strays.push(e) });
    expect(await execution.apply([started])).toEqual([]);
    outside.resolve();
    await settle();
    expect(strays).toHaveLength(1);
    expect(strays[0]).toBeInstanceOf(NonDeterminismError);
    expect(strays[0].message).toBe(
      "workflow Strays scheduled activity Ship outside a workflow task: workflow code must await only what ctx gives it " +
        "(ctx.sleep instead of setTimeout, activities for I/O)",
    );
    await expect(execution.apply([h.signal("go", null)])).rejects.toBe(strays[0]);
  });

  it("reports code that finishes after its task ended", async () => {
    const outside = deferred();
    async function FinishesLate(_ctx: WorkflowContext) {
      await outside.promise;
      return "late";
    }
    const strays: string[] = [];
    const started = new History().started("FinishesLate");
    const execution = runOf(FinishesLate, started, { onStray: (e) => strays.push(e.message) });
    expect(await execution.apply([started])).toEqual([]);
    outside.resolve();
    await settle();
    expect(strays).toEqual([
      "workflow FinishesLate finished outside a workflow task: workflow code must await only what ctx gives it (ctx.sleep instead of setTimeout, activities for I/O)",
    ]);
  });

  it("reports a stray timer", async () => {
    const outside = deferred();
    async function SleepsLate(ctx: WorkflowContext) {
      await outside.promise;
      await ctx.sleep(5);
    }
    const strays: string[] = [];
    const started = new History().started("SleepsLate");
    const execution = runOf(SleepsLate, started, { onStray: (e) => strays.push(e.message) });
    await execution.apply([started]);
    outside.resolve();
    await settle();
    expect(strays).toHaveLength(1);
    expect(strays[0]).toMatch(/^workflow SleepsLate scheduled a timer outside a workflow task/);
  });
});

describe("WorkflowExecution: determinism", () => {
  it("gives the same random numbers and uuids to every run of one workflow id, other ones to another", async () => {
    async function Values(ctx: WorkflowContext) {
      return [ctx.random(), ctx.random(), ctx.uuid()];
    }
    const started = new History().started("Values");
    const one = await runOf(Values, started).apply([started]);
    const two = await runOf(Values, started).apply([started]);
    const other = await new WorkflowExecution("wf-2", Values, started).apply([started]);
    expect(one).toEqual(two);
    expect(other).not.toEqual(one);
    const [command] = one;
    if (command.kind !== "CompleteWorkflow") throw new Error(`expected the workflow to complete, got ${command.kind}`);
    const [r1, r2, uuid] = command.result as [number, number, string];
    expect(r1).not.toBe(r2);
    expect([r1, r2].every((r) => r >= 0 && r < 1)).toBe(true);
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
