import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AddActivity, ChargeCreditCardActivity, OrderWorkflow, ShipPackageActivity, DelayedActivity } from "../../examples/order.ts";
import { startEnv, type TestEnv } from "../support/env.ts";
import { ORDER_EVENT_TYPES } from "../support/order-history.ts";

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({
    workflows: { OrderWorkflow },
    activities: { ChargeCreditCardActivity, ShipPackageActivity, AddActivity, DelayedActivity },
  });
});
afterAll(() => env?.stop());

describe("the order workflow", () => {
  it("runs end to end and its history reads like the seed's table", async () => {
    const handle = await env.client.start(OrderWorkflow, { args: ["Bob", "widget-1000", 1000, 2], workflowId: "order-1" });
    const result = await handle.result();
    expect(result).toEqual({ tracking_id: "trk_order-1", charge_id: "ch_order-1", product_id: "widget-1000", quantity: 2 });

    const history = await env.client.history("order-1");
    expect(history.map((e) => e.type)).toEqual([...ORDER_EVENT_TYPES]);
    const scheduled = history.filter((e) => e.type === "ActivityScheduled");
    expect(scheduled.map((e) => e.type === "ActivityScheduled" && e.activityType)).toEqual(["ChargeCreditCardActivity", "ShipPackageActivity"]);
    const charge = history[3];
    expect(charge.type === "ActivityCompleted" && charge.result).toEqual({ chargeId: "ch_order-1", customerId: "Bob", amount: 2000 });
    // Sequence numbers are the stream's and strictly increase.
    for (let i = 1; i < history.length; i++) expect(history[i].seq).toBeGreaterThan(history[i - 1].seq);
    const described = await env.client.describe("order-1");
    expect(described.workflowType).toBe("OrderWorkflow");
  });
});
