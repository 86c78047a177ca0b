import { afterAll, beforeAll, expect, it } from "vitest";
import { ApplicationFailure, ChildWorkflowFailure, type WorkflowContext } from "dfut";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

async function Shout(text: string) {
  return text.toUpperCase();
}

async function Child(ctx: WorkflowContext, text: string) {
  if (text === "fail") throw ApplicationFailure.nonRetryable("child says no", "ChildNo");
  return ctx.executeActivity(Shout, text);
}

async function WaitingChild(ctx: WorkflowContext) {
  return ctx.waitForSignal<string>("go");
}

async function Parent(ctx: WorkflowContext, texts: string[]) {
  const results = await Promise.all(texts.map((text) => ctx.executeChild(Child, { args: [text] })));
  return results.join(" ");
}

async function FailingParent(ctx: WorkflowContext) {
  try {
    await ctx.executeChild(Child, { args: ["fail"], workflowId: `${ctx.workflowId}-kid` });
    return "not reached";
  } catch (err) {
    const failure = err as ChildWorkflowFailure;
    return { name: failure.name, status: failure.status, cause: (failure.cause as Error).name, message: (failure.cause as Error).message };
  }
}

async function SignalingParent(ctx: WorkflowContext) {
  const handle = await ctx.startChild(WaitingChild, { workflowId: `${ctx.workflowId}-kid` });
  await handle.signal("go", "went");
  return { child: handle.workflowId, result: await handle.result() };
}

async function DuplicateParent(ctx: WorkflowContext, childId: string) {
  try {
    await ctx.executeChild(WaitingChild, { workflowId: childId });
    return "started";
  } catch (err) {
    return (err as Error).message;
  }
}

async function AbandoningParent(ctx: WorkflowContext, policy: "terminate" | "request-cancel" | "abandon") {
  await ctx.startChild(WaitingChild, { workflowId: `${ctx.workflowId}-kid`, parentClosePolicy: policy });
  return "parent done";
}

async function HoldingParent(ctx: WorkflowContext) {
  const handle = await ctx.startChild(WaitingChild, { workflowId: `${ctx.workflowId}-kid` });
  await ctx.waitForSignal("never");
  return handle.workflowId;
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({
    workflows: { Child, WaitingChild, HoldingParent, Parent, FailingParent, SignalingParent, DuplicateParent, AbandoningParent },
    activities: { Shout },
  });
});
afterAll(async () => env?.stop());

it("executeChild runs children as workflows of their own, recorded in the parent", async () => {
  const parent = await env.client.start(Parent, { args: [["a", "b", "c"]] });
  expect(await parent.result()).toBe("A B C");
  const history = await parent.history();
  const scheduled = history.filter((e) => e.type === "ChildWorkflowScheduled");
  expect(scheduled).toHaveLength(3);
  expect(history.filter((e) => e.type === "ChildWorkflowStarted")).toHaveLength(3);
  expect(history.filter((e) => e.type === "ChildWorkflowClosed")).toHaveLength(3);
  const childId = scheduled[0].type === "ChildWorkflowScheduled" ? scheduled[0].childWorkflowId : "";
  const child = await env.client.describe(childId);
  expect(child).toMatchObject({ status: "completed", result: "A", parent: { workflowId: parent.workflowId } });
  expect((await env.client.history(childId))[0]).toMatchObject({ type: "WorkflowStarted", parent: { workflowId: parent.workflowId } });
});

it("a child's failure rejects with ChildWorkflowFailure whose cause is the child's failure", async () => {
  const parent = await env.client.start(FailingParent);
  expect(await parent.result()).toEqual({ name: "ChildWorkflowFailure", status: "failed", cause: "ChildNo", message: "child says no" });
});

it("startChild gives a handle once the child started; its signal reaches the child", async () => {
  const parent = await env.client.start(SignalingParent);
  expect(await parent.result()).toEqual({ child: `${parent.workflowId}-kid`, result: "went" });
});

it("a child id already in use fails the child's future with a clear error, not the parent's task", async () => {
  const taken = `taken-${Date.now()}`;
  await env.client.start(WaitingChild, { workflowId: taken });
  const parent = await env.client.start(DuplicateParent, { args: [taken] });
  expect(await parent.result()).toMatch(new RegExp(`could not start.*${taken}.*already running`));
  expect((await parent.history()).some((e) => e.type === "WorkflowTaskFailed")).toBe(false);
  await env.client.terminate(taken);
});

it("parent close policy: terminate (default), request-cancel, abandon", async () => {
  const outcomes: Record<string, string> = {};
  for (const policy of ["terminate", "request-cancel", "abandon"] as const) {
    const parent = await env.client.start(AbandoningParent, { args: [policy] });
    expect(await parent.result()).toBe("parent done");
    const kid = `${parent.workflowId}-kid`;
    outcomes[policy] = await eventually(async () => {
      const record = await env.client.describe(kid).catch(() => undefined);
      if (!record) return undefined;
      if (policy === "abandon") {
        // Give dfut server the time it would take to act; then the child still runs.
        await new Promise((resolve) => setTimeout(resolve, 500));
        return (await env.client.describe(kid)).status;
      }
      return record.status === "running" ? undefined : record.status;
    });
    if (policy === "abandon") await env.client.terminate(kid);
  }
  expect(outcomes).toEqual({ terminate: "terminated", "request-cancel": "canceled", abandon: "running" });
});

it("canceling the parent closes its children by their policy", async () => {
  const parent = await env.client.start(HoldingParent);
  const kid = `${parent.workflowId}-kid`;
  await eventually(() => env.client.describe(kid).catch(() => undefined));
  await parent.cancel("stop");
  await expect(parent.result()).rejects.toThrow(/canceled/);
  expect(await eventually(async () => {
    const status = (await env.client.describe(kid)).status;
    return status === "running" ? undefined : status;
  })).toBe("terminated");
});
