// Queries, updates and signal handlers in the replay core.
import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/common/events.ts";
import type { WorkflowContext } from "../../src/workflow/context.ts";
import { commandToEvent, ReadOnlyViolation, WorkflowExecution, type Command } from "../../src/workflow/execution.ts";
import { History } from "./support.ts";

function recorded(h: History, command: Command): HistoryEvent {
  const event = commandToEvent(command, h.next().time) as HistoryEvent;
  return { ...event, seq: h.seq } as HistoryEvent;
}

function accepted(h: History, updateId: string, name: string, args: unknown[]): HistoryEvent {
  return { ...h.next(), type: "UpdateAccepted", updateId, name, args };
}

async function Counter(ctx: WorkflowContext) {
  let value = 0;
  ctx.onSignal<number>("add", (n) => {
    value += n;
  });
  ctx.onQuery("value", () => value);
  ctx.onQuery("clock", () => Date.now());
  ctx.onQuery("schedules", () => ctx.sleep(5));
  ctx.onUpdate(
    "double",
    async () => {
      await ctx.sleep(10);
      value *= 2;
      return value;
    },
    { validate: () => {
      if (value === 0) throw new Error("nothing to double");
    } },
  );
  await ctx.condition(() => value > 100);
  return value;
}

describe("queries", () => {
  it("answer from the state the applied events made, at the event's time, and refuse scheduling", async () => {
    const h = new History();
    const started = h.started("Counter");
    const execution = new WorkflowExecution("wf-1", Counter, started);
    await execution.apply([started]);
    expect(execution.query("value", [])).toBe(0);
    const signal = h.signal("add", 5);
    await execution.apply([signal]);
    expect(execution.query("value", [])).toBe(5);
    expect(execution.query("clock", [])).toBe(Date.parse(signal.time));
    expect(() => execution.query("schedules", [])).toThrow(ReadOnlyViolation);
    expect(() => execution.query("schedules", [])).toThrow(/query handler schedules cannot schedule a timer/);
    expect(() => execution.query("missing", [])).toThrow(/has no query handler "missing" \(it has: value, clock, schedules\)/);
    // A refused query leaves the run as it was: it goes on normally.
    expect(await execution.apply([h.signal("add", 200)])).toEqual([{ kind: "CompleteWorkflow", result: 205 }]);
  });
});

describe("updates", () => {
  it("validate read-only; once accepted, the handler runs as workflow code and completes the update; a replay records nothing again", async () => {
    const h = new History();
    const started = h.started("Counter");
    const live = new WorkflowExecution("wf-1", Counter, started);
    await live.apply([started]);
    expect(() => live.validateUpdate("double", [])).toThrow(/nothing to double/);
    expect(() => live.validateUpdate("triple", [])).toThrow(/has no update handler "triple" \(it has: double\)/);
    const signal = h.signal("add", 3);
    await live.apply([signal]);
    live.validateUpdate("double", []);
    const accept = accepted(h, "u1", "double", []);
    const [timer] = await live.apply([accept]);
    expect(timer).toMatchObject({ kind: "StartTimer" });
    expect(live.updateState("u1")).toEqual({ accepted: true, outcome: undefined });
    const history = [recorded(h, timer), h.timerFired((timer as { timerId: number }).timerId)];
    const [complete] = await live.apply(history);
    expect(complete).toEqual({ kind: "CompleteUpdate", updateId: "u1", result: 6 });
    const done = recorded(h, complete);
    await live.apply([done]);
    expect(live.updateState("u1")).toEqual({ accepted: true, outcome: { ok: true, result: 6 } });

    const replay = new WorkflowExecution("wf-1", Counter, started);
    expect(await replay.apply([started, signal, accept, ...history, done])).toEqual([]);
    expect(replay.query("value", [])).toBe(6);
    // The same update accepted twice (a redelivery past the duplicate window) runs once.
    expect(await replay.apply([accepted(h, "u1", "double", [])])).toEqual([]);
  });

  it("a signal handler that throws fails the workflow", async () => {
    async function Strict(ctx: WorkflowContext) {
      ctx.onSignal<number>("n", (n) => {
        if (n < 0) throw new Error(`negative: ${n}`);
      });
      await ctx.waitForSignal("never");
    }
    const h = new History();
    const started = h.started("Strict");
    const execution = new WorkflowExecution("wf-1", Strict, started);
    await execution.apply([started]);
    const [close] = await execution.apply([h.signal("n", -1)]);
    expect(close).toMatchObject({ kind: "FailWorkflow", error: { message: "negative: -1" } });
  });

  it("signals that came before their handler go to it when it registers, in order", async () => {
    async function Late(ctx: WorkflowContext) {
      await ctx.sleep(1);
      const seen: number[] = [];
      ctx.onSignal<number>("n", (n) => void seen.push(n));
      return seen;
    }
    const h = new History();
    const started = h.started("Late");
    const execution = new WorkflowExecution("wf-1", Late, started);
    const [timer] = await execution.apply([started]);
    const events = [recorded(h, timer), h.signal("n", 1), h.signal("n", 2), h.timerFired(1)];
    expect(await execution.apply(events)).toEqual([{ kind: "CompleteWorkflow", result: [1, 2] }]);
  });
});
