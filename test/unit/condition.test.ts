// ctx.condition in the replay core: resolved by what the events change, or by its durable timer.
import { describe, expect, it } from "vitest";
import type { WorkflowContext } from "../../src/workflow/context.ts";
import { WorkflowExecution } from "../../src/workflow/execution.ts";
import { History } from "./support.ts";

/** Counts "approve" signals; done at two, or gives up after a day. */
async function Approval(ctx: WorkflowContext) {
  let approvals = 0;
  void (async () => {
    for (;;) {
      await ctx.waitForSignal("approve");
      approvals++;
    }
  })();
  const enough = await ctx.condition(() => approvals >= 2, 86_400_000);
  return { enough, approvals };
}

describe("ctx.condition", () => {
  it("resolves true once the events make the predicate hold, the same live and on replay", async () => {
    const h = new History();
    const started = h.started("Approval");
    const live = new WorkflowExecution("wf-1", Approval, started);
    const [timer] = await live.apply([started]);
    expect(timer).toMatchObject({ kind: "StartTimer", timerId: 1 });
    const timerEvent = h.timerStarted(1, (timer as { fireAt: string }).fireAt);
    expect(await live.apply([timerEvent])).toEqual([]);
    const first = h.signal("approve", null);
    expect(await live.apply([first])).toEqual([]);
    const second = h.signal("approve", null);
    expect(await live.apply([second])).toEqual([{ kind: "CompleteWorkflow", result: { enough: true, approvals: 2 } }]);

    const replay = new WorkflowExecution("wf-1", Approval, started);
    expect(await replay.apply([started, timerEvent, first, second])).toEqual([{ kind: "CompleteWorkflow", result: { enough: true, approvals: 2 } }]);
  });

  it("resolves false when its timer fires first", async () => {
    const h = new History();
    const started = h.started("Approval");
    const execution = new WorkflowExecution("wf-1", Approval, started);
    const [timer] = await execution.apply([started]);
    const history = [h.timerStarted(1, (timer as { fireAt: string }).fireAt), h.signal("approve", null), h.timerFired(1)];
    expect(await execution.apply(history)).toEqual([{ kind: "CompleteWorkflow", result: { enough: false, approvals: 1 } }]);
  });

  it("resolves at once when the predicate already holds, with no timer", async () => {
    async function Ready(ctx: WorkflowContext) {
      return ctx.condition(() => true, 1000);
    }
    const started = new History().started("Ready");
    expect(await new WorkflowExecution("wf-1", Ready, started).apply([started])).toEqual([{ kind: "CompleteWorkflow", result: true }]);
  });
});
