// replayHistories: recorded histories checked against changed code, nothing appended.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { WorkflowContext } from "dfut";
import { replayHistories } from "../../src/replay/replay-histories.ts";
import { startEnv, type TestEnv } from "../support/env.ts";

async function Charge(amount: number) {
  return `charged ${amount}`;
}
async function Ship(what: string) {
  return `shipped ${what}`;
}
async function Wrap(what: string) {
  return `wrapped ${what}`;
}

/** v1, as deployed when the histories were recorded. */
async function OrderFlow(ctx: WorkflowContext, amount: number) {
  const charge = await ctx.executeActivity(Charge, amount);
  const ship = await ctx.executeActivity(Ship, "box");
  return [charge, ship];
}

const v2 = {
  /** Replaces the second step: a history of v1 cannot replay here. */
  OrderFlow: async function OrderFlow(ctx: WorkflowContext, amount: number) {
    const charge = await ctx.executeActivity(Charge, amount);
    const wrap = await ctx.executeActivity(Wrap, "box");
    return [charge, wrap];
  },
};
const v3 = {
  /** Adds a step before finishing: the recorded completion comes too early for it. */
  OrderFlow: async function OrderFlow(ctx: WorkflowContext, amount: number) {
    const charge = await ctx.executeActivity(Charge, amount);
    const ship = await ctx.executeActivity(Ship, "box");
    await ctx.executeActivity(Wrap, "receipt");
    return [charge, ship];
  },
};
const patched = {
  /** The change behind a patch: old histories take the old branch and replay. */
  OrderFlow: async function OrderFlow(ctx: WorkflowContext, amount: number) {
    const charge = await ctx.executeActivity(Charge, amount);
    const second = ctx.patched("wrap-instead") ? await ctx.executeActivity(Wrap, "box") : await ctx.executeActivity(Ship, "box");
    return [charge, second];
  },
};

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows: { OrderFlow }, activities: { Charge, Ship, Wrap } });
});
afterAll(async () => env?.stop());

it("replays recorded histories: ok with the same code, the divergence with its event, both sides and the code's line with changed code", async () => {
  const handles = await Promise.all([10, 20].map((amount) => env.client.start(OrderFlow, { args: [amount] })));
  await Promise.all(handles.map((h) => h.result()));
  const histories = await Promise.all(handles.map(async (h) => ({ workflowId: h.workflowId, events: await h.history() })));
  const lengths = histories.map((h) => h.events.length);

  const same = await replayHistories(histories, { workflows: { OrderFlow } });
  expect(same.map((r) => [r.ok, r.workflowType, r.events])).toEqual([
    [true, "OrderFlow", lengths[0]],
    [true, "OrderFlow", lengths[1]],
  ]);

  const [changed] = await replayHistories(histories.slice(0, 1), { workflows: v2 });
  expect(changed.ok).toBe(false);
  const shipScheduled = histories[0].events.find((e) => e.type === "ActivityScheduled" && e.activityType === "Ship")!;
  expect(changed.failure).toMatchObject({
    name: "NonDeterminismError",
    divergence: { seq: shipScheduled.seq, recorded: "activity Ship", produced: "activity Wrap" },
  });
  expect(changed.failure?.divergence?.location).toMatch(/replay-tool\.test\.ts:\d+:\d+$/);

  const [added] = await replayHistories(histories.slice(0, 1), { workflows: v3 });
  const completed = histories[0].events.at(-1)!;
  expect(added.failure?.divergence).toMatchObject({ seq: completed.seq, recorded: "the workflow completed", produced: "activity Wrap" });

  expect((await replayHistories(histories, { workflows: patched })).every((r) => r.ok)).toBe(true);
  // Nothing was appended to the histories replayed.
  expect((await handles[0].history()).length).toBe(lengths[0]);

  const [unknown] = await replayHistories(histories.slice(0, 1), { workflows: { Other: OrderFlow } });
  expect(unknown.failure).toMatchObject({ name: "UnknownWorkflowType", message: "the loaded code has no workflow OrderFlow (it has: Other)" });
});
