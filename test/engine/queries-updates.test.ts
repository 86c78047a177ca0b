import { afterAll, beforeAll, expect, it } from "vitest";
import { ApplicationFailure, QueryFailedError, UpdateFailedError, UpdateRejectedError, type WorkflowContext } from "dfut";
import { eventually, startEnv, type TestEnv } from "../support/env.ts";

let charged = 0;
async function Charge(amount: number) {
  charged += amount;
  return { receipt: `r-${amount}` };
}

/** A cart: items come by signal handler, the total by query, checkout by update. */
async function CartWorkflow(ctx: WorkflowContext) {
  const items: string[] = [];
  let paid: string | undefined;
  ctx.onSignal<string>("add", (item) => {
    items.push(item);
  });
  ctx.onQuery("items", () => items);
  ctx.onQuery("count", (prefix: string) => items.filter((i) => i.startsWith(prefix)).length);
  ctx.onQuery("sneaky", () => ctx.executeActivity(Charge, 1));
  ctx.onUpdate(
    "checkout",
    async (amount: number) => {
      const { receipt } = await ctx.executeActivity(Charge, amount);
      paid = receipt;
      return { receipt, items: items.length };
    },
    {
      validate: (amount: number) => {
        if (items.length === 0) throw new Error("the cart is empty");
        if (!(amount > 0)) throw new Error(`amount must be positive, got ${amount}`);
      },
    },
  );
  ctx.onUpdate("explode", async () => {
    throw ApplicationFailure.nonRetryable("boom", "Exploded");
  });
  await ctx.condition(() => paid !== undefined);
  return { paid, items };
}

let env: TestEnv;
beforeAll(async () => {
  env = await startEnv();
  await env.worker({ workflows: { CartWorkflow }, activities: { Charge } });
});
afterAll(async () => env?.stop());

it("queries answer from the workflow's state, record nothing, and work on a closed workflow", async () => {
  const cart = await env.client.start(CartWorkflow, { workflowId: `cart-q-${Date.now()}` });
  expect(await cart.query("items")).toEqual([]);
  await cart.signal("add", "apple");
  await cart.signal("add", "avocado");
  await cart.signal("add", "banana");
  expect(await eventually(async () => ((await cart.query<string[]>("items")).length === 3 ? cart.query("items") : undefined))).toEqual(["apple", "avocado", "banana"]);
  expect(await cart.query("count", "a")).toBe(2);
  const before = (await cart.history()).length;
  await cart.query("items");
  expect((await cart.history()).length).toBe(before);

  await expect(cart.query("sneaky")).rejects.toBeInstanceOf(QueryFailedError);
  await expect(cart.query("sneaky")).rejects.toThrow(/query handler sneaky cannot schedule activity Charge/);
  await expect(cart.query("nope")).rejects.toThrow(/has no query handler "nope" \(it has: items, count, sneaky\)/);
  expect(charged).toBe(0);

  expect(await cart.update("checkout", 30)).toEqual({ receipt: "r-30", items: 3 });
  expect(await cart.result()).toEqual({ paid: "r-30", items: ["apple", "avocado", "banana"] });
  // Closed: answered by a read-only replay of its history.
  expect(await cart.query("count", "b")).toBe(1);
});

it("an update's validator refuses before anything is recorded; an accepted one is recorded and runs once per id", async () => {
  const cart = await env.client.start(CartWorkflow, { workflowId: `cart-u-${Date.now()}` });
  const empty = env.client.update(cart.workflowId, "checkout", 10);
  await expect(empty).rejects.toBeInstanceOf(UpdateRejectedError);
  await expect(env.client.update(cart.workflowId, "checkout", 10)).rejects.toThrow(/rejected: Error: the cart is empty/);
  await cart.signal("add", "pear");
  await eventually(async () => ((await cart.query<string[]>("items")).length === 1 ? true : undefined));
  await expect(env.client.update(cart.workflowId, "checkout", -5)).rejects.toThrow(/amount must be positive/);
  expect((await cart.history()).some((e) => e.type === "UpdateAccepted")).toBe(false);

  await expect(env.client.update(cart.workflowId, "explode")).rejects.toBeInstanceOf(UpdateFailedError);
  const before = charged;
  const [a, b] = await Promise.all([
    env.client.executeUpdate(cart.workflowId, "checkout", { args: [7], updateId: "pay-once" }),
    env.client.executeUpdate(cart.workflowId, "checkout", { args: [7], updateId: "pay-once" }),
  ]);
  expect(a).toEqual({ receipt: "r-7", items: 1 });
  expect(b).toEqual(a);
  expect(charged - before).toBe(7);
  // Asked again after it completed: the recorded result, nothing runs.
  expect(await env.client.executeUpdate(cart.workflowId, "checkout", { args: [7], updateId: "pay-once" })).toEqual(a);
  expect(charged - before).toBe(7);
  const history = await cart.history();
  expect(history.filter((e) => e.type === "UpdateAccepted").map((e) => e.type === "UpdateAccepted" && e.name)).toEqual(["explode", "checkout"]);
  expect(history.filter((e) => e.type === "UpdateCompleted")).toHaveLength(2);
  expect(await cart.result()).toMatchObject({ paid: "r-7" });
});

it("a query or update of a type no worker serves fails at once, saying so", async () => {
  const lonely = await env.client.start("NobodyWorkflow", { workflowId: `lonely-${Date.now()}` });
  await expect(lonely.query("anything")).rejects.toThrow(/no worker on queue "default" serves workflow type NobodyWorkflow/);
  await expect(lonely.update("anything")).rejects.toThrow(/no worker on queue "default" serves workflow type NobodyWorkflow/);
  await expect(env.client.query("no-such-workflow", "x")).rejects.toThrow(/no workflow with id "no-such-workflow"/);
});
