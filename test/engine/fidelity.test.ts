// Live workflow code must see exactly what a replay will see: the stored form of every value.
import { afterAll, beforeAll, expect, it } from "vitest";
import { WorkflowFailedError, type WorkflowContext } from "dfut";
import { startEnv, type TestEnv } from "../support/env.ts";

async function Shapes() {
  return { when: new Date("2026-02-03T04:05:06.000Z"), err: new Error("boom"), a: undefined, list: [1, "x"] };
}

/** Describes what the code was given, so the test sees it whether it ran live or replayed. */
async function ShapesWorkflow(ctx: WorkflowContext) {
  const value = (await ctx.executeActivity(Shapes)) as Record<string, unknown>;
  await ctx.sleep(1);
  return { when: typeof value.when, whenValue: value.when, err: value.err, hasA: "a" in value, list: value.list };
}

async function ThrowsNullWorkflow(ctx: WorkflowContext) {
  await ctx.sleep(1);
  throw null;
}

const expected = { when: "string", whenValue: "2026-02-03T04:05:06.000Z", err: {}, hasA: false, list: [1, "x"] };

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env?.stop());

it("an activity run eagerly gives the workflow its stored result, as a replay would", async () => {
  await env.worker({ workflows: { ShapesWorkflow }, activities: { Shapes }, queue: "eager" });
  const handle = await env.client.start(ShapesWorkflow, { queue: "eager" });
  expect(await handle.result()).toEqual(expected);
  const started = (await handle.history()).find((e) => e.type === "ActivityStarted");
  expect(started?.type === "ActivityStarted" && started.eager).toBe(true);
});

it("an activity run through the queue gives the same", async () => {
  await env.worker({ workflows: { ShapesWorkflow }, activities: { Shapes }, queue: "queued", eagerActivities: false });
  const handle = await env.client.start(ShapesWorkflow, { queue: "queued" });
  expect(await handle.result()).toEqual(expected);
});

it("a workflow that throws null fails saying what was thrown", async () => {
  await env.worker({ workflows: { ThrowsNullWorkflow }, queue: "nulls" });
  const handle = await env.client.start(ThrowsNullWorkflow, { queue: "nulls" });
  const failure = await handle.result().catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).failure).toMatchObject({ name: "Error", message: "null was thrown instead of an Error" });
});

it("a read-only replay rebuilds a run from its history and appends nothing", async () => {
  const { RunLoader } = await import("../../src/worker/run-loader.ts");
  const handle = await env.client.start(ShapesWorkflow, { queue: "eager" });
  await handle.result();
  const before = await handle.history();
  const loader = new RunLoader({ access: env.connection, workflows: new Map([["ShapesWorkflow", ShapesWorkflow]]), execution: {} });
  const replayed = await loader.replay(handle.workflowId);
  expect("execution" in replayed && [replayed.execution.closed, replayed.execution.lastSeq, replayed.commands]).toEqual([true, before.at(-1)!.seq, []]);
  expect(await handle.history()).toEqual(before);
  expect(await new RunLoader({ access: env.connection, workflows: new Map(), execution: {} }).replay(handle.workflowId)).toEqual({
    kind: "missing-type",
    workflowType: "ShapesWorkflow",
  });
});
