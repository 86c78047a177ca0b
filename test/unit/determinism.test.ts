import { describe, expect, it } from "vitest";
import { NonDeterminismError } from "../../src/common/errors.ts";
import type { WorkflowContext } from "../../src/workflow/context.ts";
import { WorkflowExecution } from "../../src/workflow/execution.ts";
import { History } from "./support.ts";

describe("the determinism guard", () => {
  it("gives workflow code the event's time and the run's random numbers, and everything else the real ones", async () => {
    async function Reads(ctx: WorkflowContext) {
      return { now: Date.now(), date: new Date().getTime(), random: Math.random(), ctxNow: ctx.now().getTime() };
    }
    const started = new History().started("Reads");
    const [first] = await new WorkflowExecution("wf-1", Reads, started).apply([started]);
    const [second] = await new WorkflowExecution("wf-1", Reads, started).apply([started]);
    expect(first).toEqual(second);
    const result = (first as { result: { now: number; date: number; random: number; ctxNow: number } }).result;
    expect([result.now, result.date, result.ctxNow]).toEqual([Date.parse(started.time), Date.parse(started.time), Date.parse(started.time)]);
    // Outside workflow code, the real clock and generator.
    expect(Date.now()).toBeGreaterThan(Date.parse(started.time));
    expect(new Date() instanceof Date && new Date(0).getTime()).toBe(0);
    expect(Math.random()).not.toBe(Math.random());
  });

  it("fails the task, naming the call and where it was made, for fetch and timers", async () => {
    async function Fetches() {
      await fetch("http://127.0.0.1:9/");
      return "never";
    }
    const started = new History().started("Fetches");
    const error = await new WorkflowExecution("wf-1", Fetches, started).apply([started]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect((error as Error).message).toMatch(/^workflow Fetches called fetch at \S+determinism\.test\.ts:\d+:\d+ while its workflow task ran: .*do I\/O in an activity$/);
  });
});
