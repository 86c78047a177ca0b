import { afterAll, beforeAll, expect, it } from "vitest";
import { WorkflowAlreadyStartedError, type WorkflowContext } from "dfut";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

async function Add(a: number, b: number) {
  return a + b;
}

/** Sums signals in runs of three steps, continuing as new until `total` is reached. */
async function Counter(ctx: WorkflowContext, total: number, sum = 0, runs = 1): Promise<{ sum: number; runs: number }> {
  for (let i = 0; i < 3 && sum < total; i++) sum = await ctx.executeActivity(Add, sum, 1);
  if (sum >= total) return { sum, runs };
  return ctx.continueAsNew(total, sum, runs + 1);
}

/** Continues as new once, and then waits for a signal that may arrive between the runs. */
async function Inbox(ctx: WorkflowContext, round: number): Promise<unknown> {
  if (round === 0) return ctx.continueAsNew(1);
  return ctx.waitForSignal("mail");
}

async function Quick(_ctx: WorkflowContext, value: string) {
  return value;
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows: { Counter, Inbox, Quick }, activities: { Add } });
});
afterAll(async () => env?.stop());

it("continue-as-new: result() follows the chain, each run has its own bounded history and id, describe names the runs", async () => {
  const handle = await env.client.start(Counter, { args: [10] });
  expect(await handle.result()).toEqual({ sum: 10, runs: 4 });
  await eventually(async () => ((await env.client.describe(handle.workflowId)).status === "completed" ? true : undefined));
  const current = await handle.history();
  expect(current[0].type).toBe("WorkflowStarted");
  // The last run did one step: its start, one scheduled/started/completed, its close.
  expect(current.filter((e) => e.type === "ActivityScheduled")).toHaveLength(1);
  expect(current.at(-1)?.type).toBe("WorkflowCompleted");
  const record = await env.client.describe(handle.workflowId);
  expect(record.status).toBe("completed");
  expect(record.runs).toHaveLength(4);
  expect(record.runId).toBe(record.runs?.at(-1));
  expect(record.runs?.[0]).toBe(handle.runId);
  const first = await handle.history({ runId: handle.runId });
  expect(first.filter((e) => e.type === "ActivityScheduled")).toHaveLength(3);
  expect(first.at(-1)).toMatchObject({ type: "WorkflowContinuedAsNew", args: [10, 3, 2], runId: handle.runId });
  const second = await handle.history({ runId: record.runs![1] });
  expect(second[0]).toMatchObject({ type: "WorkflowStarted", continuedFrom: handle.runId, args: [10, 3, 2] });
  // Step ordinals go on across runs: a late outcome of an older run answers nothing in a newer one.
  const ids = [...first, ...second].flatMap((e) => (e.type === "ActivityScheduled" ? [e.activityId] : []));
  expect(new Set(ids).size).toBe(ids.length);
  await expect(handle.history({ runId: "999999" })).rejects.toThrow(/has no run "999999"/);
});

it("a signal sent around a continue-as-new reaches the next run", async () => {
  const handle = await env.client.start(Inbox, { args: [0] });
  await handle.signal("mail", "hello");
  expect(await handle.result()).toBe("hello");
});

it("an id whose run closed may start again (a new run), unless its reuse policy refuses; an open run always refuses", async () => {
  const workflowId = `reuse-${Date.now()}`;
  const first = await env.client.start(Quick, { workflowId, args: ["one"] });
  expect(await first.result()).toBe("one");
  const second = await env.client.start(Quick, { workflowId, args: ["two"] });
  expect(second.runId).not.toBe(first.runId);
  expect(await second.result()).toBe("two");
  expect(await eventually(async () => {
    const { runs } = await env.client.describe(workflowId);
    return runs?.length === 2 ? runs : undefined;
  })).toEqual([first.runId, second.runId]);
  const refused = env.client.start(Quick, { workflowId, args: ["three"], idReuse: "reject" });
  await expect(refused).rejects.toBeInstanceOf(WorkflowAlreadyStartedError);
  await expect(refused).rejects.toThrow(/id reuse policy "reject"/);
  await expect(env.client.start(Quick, { workflowId, args: ["x"], idReuse: "failed-only" })).rejects.toThrow(/completed/);

  // A new run numbers its steps past the last run's events: no message id of theirs repeats.
  const counted = `counted-${Date.now()}`;
  const once = await env.client.start(Counter, { workflowId: counted, args: [2] });
  expect(await once.result()).toEqual({ sum: 2, runs: 1 });
  const twice = await env.client.start(Counter, { workflowId: counted, args: [2] });
  expect(await twice.result()).toEqual({ sum: 2, runs: 1 });
  const [start] = await twice.history();
  expect(start.type === "WorkflowStarted" && start.firstStep).toBeGreaterThan(2);

  const open = `open-${Date.now()}`;
  await env.client.start(Inbox, { workflowId: open, args: [1] });
  await expect(env.client.start(Inbox, { workflowId: open, args: [1] })).rejects.toThrow(/already running/);
  // Racing starts of a closed id: exactly one wins.
  await env.client.terminate(open);
  const racing = await Promise.allSettled(Array.from({ length: 5 }, () => env.client.start(Quick, { workflowId: open, args: ["race"] })));
  expect(racing.filter((r) => r.status === "fulfilled")).toHaveLength(1);
});
