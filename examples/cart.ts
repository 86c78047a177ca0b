/**
 * Talking to a running workflow: items arrive by signal (a handler), anyone can read the cart
 * with a query (nothing is recorded), and checkout is an update: validated first, then recorded
 * and run as workflow code, its result returned to the caller.
 *
 *   dfut worker --load ./examples/cart.ts
 *   dfut start CartWorkflow --id cart-7
 *   dfut signal cart-7 add '"apple"'
 *   dfut query cart-7 items                 # ["apple"]
 *   dfut update cart-7 checkout 0           # rejected: amount must be positive
 *   dfut update cart-7 checkout 30          # {"receipt":"rcpt-cart-7-30","items":["apple"]}
 */
import { activityContext, type WorkflowContext } from "dfut";

export async function ChargeCartActivity(amount: number): Promise<string> {
  return `rcpt-${activityContext().workflowId}-${amount}`;
}

export async function CartWorkflow(ctx: WorkflowContext) {
  const items: string[] = [];
  let receipt: string | undefined;
  ctx.onSignal<string>("add", (item) => {
    items.push(item);
  });
  ctx.onQuery("items", () => items);
  ctx.onUpdate(
    "checkout",
    async (amount: number) => {
      receipt = await ctx.executeActivity(ChargeCartActivity, amount);
      return { receipt, items };
    },
    {
      validate: (amount: number) => {
        if (items.length === 0) throw new Error("the cart is empty");
        if (!(amount > 0)) throw new Error(`amount must be positive, not ${amount}`);
      },
    },
  );
  await ctx.condition(() => receipt !== undefined);
  return { receipt, items };
}
