// The examples, tested as a user would test their own workflows: with dfut/testing.
import { afterAll, beforeAll, expect, it } from "vitest";
import { TestEnvironment } from "dfut/testing";
import * as order from "../../examples/order.ts";
import * as batch from "../../examples/batch.ts";
import * as cart from "../../examples/cart.ts";

let env: TestEnvironment;
beforeAll(async () => {
  env = await TestEnvironment.create({
    workflows: { OrderWorkflow: order.OrderWorkflow, BatchWorkflow: batch.BatchWorkflow, CartWorkflow: cart.CartWorkflow },
    activities: {
      ChargeCreditCardActivity: order.ChargeCreditCardActivity,
      ShipPackageActivity: order.ShipPackageActivity,
      ChargeCartActivity: cart.ChargeCartActivity,
    },
  });
});
afterAll(async () => env?.close());

it("examples/order.ts: charges, then ships", async () => {
  const result = await env.client.execute(order.OrderWorkflow, { args: ["Bob", "widget-1000", 1000, 2], workflowId: "order-1" });
  expect(result).toEqual({ tracking_id: "trk_order-1", charge_id: "ch_order-1", product_id: "widget-1000", quantity: 2 });
});

it("examples/order.ts with a fake charge: the workflow code is unchanged, the history records the fake", async () => {
  env.fakeActivity("ChargeCreditCardActivity", async (customerId: string, amount: number) => ({ chargeId: "ch_fake", customerId, amount }));
  try {
    const result = await env.client.execute(order.OrderWorkflow, { args: ["Ann", "lamp", 5, 1], workflowId: "order-fake" });
    expect(result).toMatchObject({ charge_id: "ch_fake", tracking_id: "trk_fake" });
  } finally {
    env.restoreActivities();
  }
});

it("examples/batch.ts: children per page, continue-as-new per page", async () => {
  const result = await env.client.execute(batch.BatchWorkflow, { args: [7, 3], workflowId: "nightly" });
  expect(result).toMatchObject({ processed: 7, runs: 3 });
});

it("examples/cart.ts: signal, query, update", async () => {
  const handle = await env.client.start(cart.CartWorkflow, { workflowId: "cart-1" });
  await handle.signal("add", "apple");
  await expect(handle.update("checkout", 0)).rejects.toThrow(/amount must be positive/);
  expect(await handle.update("checkout", 12)).toEqual({ receipt: "rcpt-cart-1-12", items: ["apple"] });
  expect(await handle.query("items")).toEqual(["apple"]);
  expect(await handle.result()).toEqual({ receipt: "rcpt-cart-1-12", items: ["apple"] });
});
