// Changing the code of running workflows with ctx.patched, on real workers swapped under them.
import { afterAll, beforeAll, expect, it } from "vitest";
import { defineWorkflow, type Worker, type WorkflowContext } from "dfut";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

async function Prepare() {
  return "prepared";
}
async function Old() {
  return "old";
}
async function New() {
  return "new";
}
const activities = { Prepare, Old, New };

// Three deployments of one workflow type; the changed step comes before the wait, so a run
// waiting there has already taken it.
const V1 = defineWorkflow(async function V1(ctx: WorkflowContext) {
  const step = await ctx.executeActivity(Old);
  await ctx.waitForSignal("go");
  return `${step}+${await ctx.executeActivity(Prepare)}`;
}, { name: "Order" });
const V2 = defineWorkflow(async function V2(ctx: WorkflowContext) {
  const step = ctx.patched("new-step") ? await ctx.executeActivity(New) : await ctx.executeActivity(Old);
  await ctx.waitForSignal("go");
  return `${step}+${await ctx.executeActivity(Prepare)}`;
}, { name: "Order" });
const V3 = defineWorkflow(async function V3(ctx: WorkflowContext) {
  ctx.deprecatePatch("new-step");
  const step = await ctx.executeActivity(New);
  await ctx.waitForSignal("go");
  return `${step}+${await ctx.executeActivity(Prepare)}`;
}, { name: "Order" });

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env?.stop());

async function deploy(version: typeof V1): Promise<Worker> {
  return env.worker({ workflows: [version], activities, queue: "versioned" });
}

async function startWaiting(workflowId: string): Promise<void> {
  await env.client.start("Order", { workflowId, queue: "versioned" });
  await eventually(async () => (await env.client.history(workflowId)).some((e) => e.type === "ActivityCompleted"));
}

const types = async (id: string) => (await env.client.history(id)).map((e) => (e.type === "PatchMarked" ? `PatchMarked:${e.patchId}${e.deprecated ? ":deprecated" : ""}` : e.type));

it("runs started before a patch finish on the old branch, new runs take the new one, and the deprecated patch still replays them", async () => {
  const v1 = await deploy(V1);
  await startWaiting("mid-run-v1");
  await v1.stop();

  const v2 = await deploy(V2);
  await startWaiting("started-on-v2");
  await env.client.signal("mid-run-v1", "go");
  await env.client.signal("started-on-v2", "go");
  expect(await env.client.result("mid-run-v1")).toBe("old+prepared");
  expect(await env.client.result("started-on-v2")).toBe("new+prepared");
  expect(await types("mid-run-v1")).not.toContain("PatchMarked:new-step");
  expect(await types("started-on-v2")).toContain("PatchMarked:new-step");
  await startWaiting("mid-run-v2");
  await v2.stop();

  // v3 replays a run v2 started (its history has the patch) and starts new ones on the new branch.
  await deploy(V3);
  await env.client.signal("mid-run-v2", "go");
  expect(await env.client.result("mid-run-v2")).toBe("new+prepared");
  await startWaiting("started-on-v3");
  await env.client.signal("started-on-v3", "go");
  expect(await env.client.result("started-on-v3")).toBe("new+prepared");
  expect(await types("started-on-v3")).toContain("PatchMarked:new-step:deprecated");
  for (const id of ["mid-run-v1", "started-on-v2", "mid-run-v2", "started-on-v3"]) {
    expect((await types(id)).filter((t) => t === "WorkflowTaskFailed"), id).toEqual([]);
  }
});
