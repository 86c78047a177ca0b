import { afterAll, beforeAll, expect, it } from "vitest";
import type { WorkflowContext } from "dfut";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

const runs: Record<string, number> = {};
async function Step(name: string) {
  runs[name] = (runs[name] ?? 0) + 1;
  return name;
}

let buggy = true;

/** Two steps, then a bug (fixed by flipping `buggy`), then a third step. */
async function BuggyWorkflow(ctx: WorkflowContext, tag: string) {
  const a = await ctx.executeActivity(Step, `${tag}-a`);
  const b = await ctx.executeActivity(Step, `${tag}-b`);
  if (buggy) throw new Error("a bug after step b");
  const c = await ctx.executeActivity(Step, `${tag}-c`);
  return [a, b, c];
}

/** Waits between its steps: a reset meets it open. */
async function WaitingWorkflow(ctx: WorkflowContext, tag: string) {
  await ctx.executeActivity(Step, `${tag}-1`);
  await ctx.sleep(10);
  const got = await ctx.waitForSignal<string>("go");
  await ctx.executeActivity(Step, `${tag}-2`);
  return got;
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows: { BuggyWorkflow, WaitingWorkflow }, activities: { Step } });
});
afterAll(async () => env?.stop());

it("a reset continues a workflow that failed on a bug with the fixed code, without running finished steps again", async () => {
  buggy = true;
  const handle = await env.client.start(BuggyWorkflow, { args: ["f"], workflowId: "reset-failed" });
  await expect(handle.result()).rejects.toThrow(/a bug after step b/);
  buggy = false;
  const reset = await env.client.reset(handle.workflowId, { to: "last-workflow-task", reason: "bug fixed" });
  expect(reset.fromRunId).toBe(handle.runId);
  expect(await handle.result()).toEqual(["f-a", "f-b", "f-c"]);
  expect(runs).toMatchObject({ "f-a": 1, "f-b": 1, "f-c": 1 });
  const [started] = await handle.history();
  expect(started).toMatchObject({ type: "WorkflowStarted", reset: { fromRunId: handle.runId, reason: "bug fixed" } });
  const record = await eventually(async () => {
    const r = await env.client.describe(handle.workflowId);
    return r.status === "completed" ? r : undefined;
  });
  expect(record.runs).toEqual([handle.runId, reset.runId]);
});

it("a reset to an earlier event runs what came after it again; an open run is terminated and linked", async () => {
  const handle = await env.client.start(WaitingWorkflow, { args: ["w"], workflowId: "reset-open" });
  const firstStep = await eventually(async () =>
    (await handle.history()).find((e) => e.type === "ActivityCompleted"),
  );
  await eventually(async () => ((await handle.history()).some((e) => e.type === "TimerFired") ? true : undefined));
  const reset = await env.client.reset(handle.workflowId, { to: firstStep.seq });
  const old = await handle.history({ runId: handle.runId });
  expect(old.at(-1)).toMatchObject({ type: "WorkflowTerminated", reason: `reset to event ${firstStep.seq}` });
  // The timer after the reset point is taken again in the new run; the step before it is not.
  await eventually(async () => ((await handle.history()).some((e) => e.type === "TimerFired") ? true : undefined));
  await handle.signal("go", "went");
  expect(await handle.result()).toBe("went");
  expect(runs).toMatchObject({ "w-1": 1, "w-2": 1 });
  expect(reset.toSeq).toBe(firstStep.seq);

  // A reset of the reset run carries the earlier prefix along.
  const again = await env.client.reset(handle.workflowId, { to: "last-workflow-task" });
  expect((await handle.history({ runId: again.runId }))[0]).toMatchObject({ reset: { fromRunId: reset.runId } });
  await expect(handle.result()).resolves.toBe("went");
  expect(runs["w-1"]).toBe(1);
});

it("refuses a reset point that is not an event of the run, or that closes it", async () => {
  const handle = await env.client.start(BuggyWorkflow, { args: ["r"], workflowId: "reset-refused" });
  await handle.result();
  const history = await handle.history();
  await expect(env.client.reset(handle.workflowId, { to: 999_999 })).rejects.toThrow(/has no event seq 999999/);
  await expect(env.client.reset(handle.workflowId, { to: history.at(-1)!.seq })).rejects.toThrow(/closes the run; reset to an event before it/);
});
