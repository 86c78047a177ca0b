// Versioning in the replay core: ctx.patched / ctx.deprecatePatch against histories from
// before and after a change, no NATS.
import { describe, expect, it } from "vitest";
import type { WorkflowContext } from "../../src/workflow/context.ts";
import { WorkflowExecution } from "../../src/workflow/execution.ts";
import { History } from "./support.ts";

async function Old(x: string) {
  return `old:${x}`;
}
async function New(x: string) {
  return `new:${x}`;
}

/** v2: the step changed behind a patch. */
async function V2(ctx: WorkflowContext) {
  await ctx.waitForSignal("go");
  return ctx.patched("use-new") ? ctx.executeActivity(New, "a") : ctx.executeActivity(Old, "a");
}
/** v3: the old branch is gone. */
async function V3(ctx: WorkflowContext) {
  await ctx.waitForSignal("go");
  ctx.deprecatePatch("use-new");
  return ctx.executeActivity(New, "a");
}

describe("ctx.patched", () => {
  it("a run recorded by the old code replays on the old branch with the new code, and goes on there", async () => {
    const h = new History();
    const started = h.started("W");
    const v1History = [started, h.signal("go", null), h.scheduled(1, "Old", ["a"])];
    const v2 = new WorkflowExecution("wf-1", V2, started);
    expect(await v2.apply(v1History)).toEqual([]);
    expect(await v2.apply([h.completed(1, "old:a")])).toEqual([{ kind: "CompleteWorkflow", result: "old:a" }]);
  });

  it("a new run takes the new branch and records the patch before its steps", async () => {
    const h = new History();
    const started = h.started("W");
    const v2 = new WorkflowExecution("wf-1", V2, started);
    expect(await v2.apply([started])).toEqual([]);
    const commands = await v2.apply([h.signal("go", null)]);
    expect(commands.map((c) => c.kind)).toEqual(["MarkPatch", "ScheduleActivity"]);
    expect(commands[0]).toEqual({ kind: "MarkPatch", patchId: "use-new", deprecated: false });
    expect(commands[1]).toMatchObject({ activityType: "New" });
  });

  it("a history that recorded the patch replays on the new branch, with v2 and with v3", async () => {
    const h = new History();
    const started = h.started("W");
    const history = [started, h.signal("go", null), h.patch("use-new"), h.scheduled(1, "New", ["a"]), h.completed(1, "new:a")];
    for (const code of [V2, V3]) {
      const execution = new WorkflowExecution("wf-1", code, started);
      expect(await execution.apply(history)).toEqual([{ kind: "CompleteWorkflow", result: "new:a" }]);
    }
  });

  it("answers the same for the whole run, and a v3 run records a deprecated marker", async () => {
    async function Twice(ctx: WorkflowContext) {
      return [ctx.patched("p"), ctx.patched("p")];
    }
    const start = new History().started("W");
    expect(await new WorkflowExecution("wf-1", Twice, start).apply([start])).toEqual([
      { kind: "MarkPatch", patchId: "p", deprecated: false },
      { kind: "CompleteWorkflow", result: [true, true] },
    ]);
    const h3 = new History();
    const started3 = h3.started("W");
    const v3 = new WorkflowExecution("wf-1", V3, started3);
    await v3.apply([started3]);
    const commands = await v3.apply([h3.signal("go", null)]);
    expect(commands[0]).toEqual({ kind: "MarkPatch", patchId: "use-new", deprecated: true });
  });
});
