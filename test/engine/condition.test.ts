import { afterAll, beforeAll, expect, it } from "vitest";
import type { WorkflowContext } from "dfut";
import { startEnv, type TestEnv } from "../support/env.ts";

async function Note(n: number) {
  return n;
}

/** Done once two approvals came in, or when the deadline passes. */
async function ApprovalWorkflow(ctx: WorkflowContext, deadlineMs: number) {
  let approvals = 0;
  void (async () => {
    for (;;) {
      approvals += await ctx.waitForSignal<number>("approve");
      await ctx.executeActivity(Note, approvals);
    }
  })();
  const enough = await ctx.condition(() => approvals >= 2, deadlineMs);
  return { enough, approvals };
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows: { ApprovalWorkflow }, activities: { Note } });
});
afterAll(async () => env?.stop());

it("ctx.condition resolves when signals make it hold, and false when its durable timer fires first", async () => {
  const approved = await env.client.start(ApprovalWorkflow, { args: [60_000] });
  await approved.signal("approve", 1);
  await approved.signal("approve", 1);
  expect(await approved.result()).toEqual({ enough: true, approvals: 2 });

  const late = await env.client.start(ApprovalWorkflow, { args: [300] });
  await late.signal("approve", 1);
  const result = (await late.result()) as { enough: boolean; approvals: number };
  expect(result.enough).toBe(false);
  expect(result.approvals).toBeLessThan(2);
  expect((await late.history()).some((e) => e.type === "TimerFired")).toBe(true);
});
