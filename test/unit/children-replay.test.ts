// Child workflows, continue-as-new and step cancellation in the replay core: events in, commands out.
import { describe, expect, it } from "vitest";
import { CanceledError, ChildWorkflowFailure, NonDeterminismError } from "../../src/common/errors.ts";
import type { HistoryEvent } from "../../src/common/events.ts";
import type { WorkflowContext } from "../../src/workflow/context.ts";
import { commandToEvent, WorkflowExecution, type Command } from "../../src/workflow/execution.ts";
import { History } from "./support.ts";

async function Kid(_ctx: WorkflowContext, n: number) {
  return n * 2;
}

async function Parent(ctx: WorkflowContext) {
  try {
    return await ctx.executeChild(Kid, { args: [21] });
  } catch (err) {
    return { failed: (err as ChildWorkflowFailure).status, cause: ((err as Error).cause as Error).message };
  }
}

/** Applies one command's event, as the persister would record it. */
function recorded(h: History, command: Command): HistoryEvent {
  const event = commandToEvent(command, h.next().time) as HistoryEvent;
  return { ...event, seq: h.seq } as HistoryEvent;
}

describe("child workflows", () => {
  it("records the child's start as a step, resolves with its result, and replays the same", async () => {
    const h = new History();
    const started = h.started("Parent");
    const live = new WorkflowExecution("wf-1", Parent, started);
    const [command] = await live.apply([started]);
    expect(command).toMatchObject({
      kind: "StartChild",
      stepId: 1,
      childWorkflowId: "wf-1-1",
      workflowType: "Kid",
      args: [21],
      queue: "default",
      parentClosePolicy: "terminate",
      runId: "1",
    });
    const scheduled = recorded(h, command);
    const history = [scheduled, h.childStarted(1, "wf-1-1", "9"), h.childClosed(1, "wf-1-1", { status: "completed", result: 42 })];
    expect(await live.apply(history)).toEqual([{ kind: "CompleteWorkflow", result: 42 }]);
    const replay = new WorkflowExecution("wf-1", Parent, started);
    expect(await replay.apply([started, ...history])).toEqual([{ kind: "CompleteWorkflow", result: 42 }]);
  });

  it("a failed child rejects with ChildWorkflowFailure whose cause is the child's failure; a start refused, with its reason", async () => {
    for (const [answer, expected] of [
      [(h: History) => h.childClosed(1, "wf-1-1", { status: "failed", error: { name: "Boom", message: "no" } }), { failed: "failed", cause: "no" }],
      [(h: History) => h.childStartFailed(1, "wf-1-1", { name: "WorkflowAlreadyStartedError", message: "in use" }), { failed: "not-started", cause: "in use" }],
    ] as const) {
      const h = new History();
      const started = h.started("Parent");
      const execution = new WorkflowExecution("wf-1", Parent, started);
      const [command] = await execution.apply([started]);
      expect(await execution.apply([recorded(h, command), answer(h)])).toEqual([{ kind: "CompleteWorkflow", result: expected }]);
    }
  });

  it("a replay whose code starts the child under another id is non-determinism", async () => {
    const h = new History();
    const started = h.started("Parent");
    async function Other(ctx: WorkflowContext) {
      return ctx.executeChild(Kid, { args: [21], workflowId: "someone-else" });
    }
    const execution = new WorkflowExecution("wf-1", Other, started);
    const scheduled = h.childScheduled(1, "wf-1-1", "Kid", [21]);
    await expect(execution.apply([started, scheduled])).rejects.toBeInstanceOf(NonDeterminismError);
  });

  it("a close with children still open says so, for their parent close policy", async () => {
    async function Leaver(ctx: WorkflowContext) {
      await ctx.startChild(Kid, { args: [1] });
      return "bye";
    }
    const h = new History();
    const started = h.started("Leaver");
    const execution = new WorkflowExecution("wf-1", Leaver, started);
    const [command] = await execution.apply([started]);
    expect(await execution.apply([recorded(h, command), h.childStarted(1, "wf-1-1")])).toEqual([
      { kind: "CompleteWorkflow", result: "bye", openChildren: true },
    ]);
  });
});

describe("continue-as-new", () => {
  async function Loop(ctx: WorkflowContext, n: number) {
    await ctx.sleep(10);
    if (n < 3) return ctx.continueAsNew(n + 1);
    return n;
  }

  it("closes the run with the next run's start: its arguments, the next step ordinal, unread signals", async () => {
    const h = new History();
    const started = h.started("Loop", [1]);
    const execution = new WorkflowExecution("wf-1", Loop, started);
    const [timer] = await execution.apply([started]);
    const history = [recorded(h, timer), h.signal("unread", { x: 1 }), h.timerFired(1)];
    const [close] = await execution.apply(history);
    expect(close).toMatchObject({ kind: "ContinueAsNew", workflowType: "Loop", args: [2], firstStep: 2, runId: "1" });
    expect(commandToEvent(close, "t")).toMatchObject({ type: "WorkflowContinuedAsNew", signals: [{ name: "unread", payload: { x: 1 } }] });
  });

  it("a later run numbers its steps on from the last run's, and a late answer to an older run's step answers nothing", async () => {
    const h = new History();
    const started = { ...h.started("Loop", [3]), firstStep: 2 };
    const execution = new WorkflowExecution("wf-1", Loop, started);
    const [timer] = await execution.apply([started]);
    expect(timer).toMatchObject({ kind: "StartTimer", timerId: 2 });
    const history = [recorded(h, timer), h.timerFired(1), h.completed(1, "late"), h.timerFired(2)];
    expect(await execution.apply(history)).toEqual([{ kind: "CompleteWorkflow", result: 3 }]);
  });

  it("a run starts with the signals its previous run left", async () => {
    async function Inbox(ctx: WorkflowContext) {
      return ctx.waitForSignal("mail");
    }
    const started = { ...new History().started("Inbox"), signals: [{ name: "mail", payload: "carried" }] };
    expect(await new WorkflowExecution("wf-1", Inbox, started).apply([started])).toEqual([{ kind: "CompleteWorkflow", result: "carried" }]);
  });
});

describe("future.cancel()", () => {
  async function Impatient(ctx: WorkflowContext) {
    const slow = ctx.executeActivity("Slow");
    const timer = ctx.sleep(60_000);
    await ctx.waitForSignal("enough");
    slow.cancel();
    timer.cancel();
    const [a, b] = await Promise.allSettled([slow, timer]);
    return [a.status === "rejected" && a.reason instanceof CanceledError, b.status === "rejected" && b.reason instanceof CanceledError];
  }

  it("records the cancellation of each pending step and rejects their futures; a replay records nothing again", async () => {
    const h = new History();
    const started = h.started("Impatient");
    const live = new WorkflowExecution("wf-1", Impatient, started);
    const [activity, timer] = await live.apply([started]);
    const steps = [recorded(h, activity), recorded(h, timer)];
    expect(await live.apply(steps)).toEqual([]);
    const signal = h.signal("enough", null);
    const commands = await live.apply([signal]);
    expect(commands).toEqual([
      { kind: "CancelStep", stepId: 1 },
      { kind: "CancelStep", stepId: 2 },
      { kind: "CompleteWorkflow", result: [true, true] },
    ]);
    const cancels = commands.slice(0, 2).map((c) => recorded(h, c));
    // The attempt's outcome and the timer's firing that come later change nothing.
    const late = [h.failed(1, { name: "CanceledError", message: "canceled" }), h.timerFired(2)];
    const replay = new WorkflowExecution("wf-1", Impatient, started);
    expect(await replay.apply([started, ...steps, signal, ...cancels, ...late])).toEqual([{ kind: "CompleteWorkflow", result: [true, true] }]);
    expect(replay.pendingSteps()).toEqual([]);
  });
});
