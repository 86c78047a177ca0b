/** Workflows the API and web tests run: the seed's order workflow and a few that wait, fail (one until fixed) or answer queries. */
import { activityContext, ApplicationFailure, type WorkflowContext } from "dfut";
import { ChargeCreditCardActivity, OrderWorkflow, ShipPackageActivity } from "../../examples/order.ts";
import { BatchWorkflow } from "../../examples/batch.ts";

export async function RefuseActivity(reason: string): Promise<never> {
  throw ApplicationFailure.nonRetryable(`refused: ${reason}`, "RefusedError");
}

/** Waits for an "approve" signal and returns its payload. */
export async function ApprovalWorkflow(ctx: WorkflowContext, requester: string) {
  const decision = await ctx.waitForSignal<{ approved: boolean }>("approve");
  return { requester, decision };
}

/** Fails its first two attempts, then succeeds. */
export async function FlakyChargeActivity(amount: number): Promise<string> {
  const { attempt } = activityContext();
  if (attempt < 3) throw new Error(`card declined (attempt ${attempt})`);
  return `charged ${amount}`;
}

export async function FlakyWorkflow(ctx: WorkflowContext, amount: number) {
  return ctx.withOptions({ retry: { initialInterval: 50, backoffCoefficient: 1, maximumAttempts: 5 } }).executeActivity(FlakyChargeActivity, amount);
}

export async function RefusingWorkflow(ctx: WorkflowContext, reason: string) {
  return ctx.executeActivity(RefuseActivity, reason);
}

/**
 * A counter: "add" by signal or by update (whose validator refuses what is not a number of at
 * least 0, and whose handler fails past 1000), read by the queries "value" and "isAbove"; the
 * signal "finish" completes it with its value.
 */
export async function CounterWorkflow(ctx: WorkflowContext, start: number) {
  let value = start;
  let finished = false;
  ctx.onSignal<number>("add", (n) => {
    value += n;
  });
  ctx.onSignal("finish", () => {
    finished = true;
  });
  ctx.onQuery("value", () => value);
  ctx.onQuery("isAbove", (n: number) => value > n);
  ctx.onUpdate(
    "add",
    (n: number) => {
      if (value + n > 1000) throw ApplicationFailure.nonRetryable(`${value} + ${n} is more than this counter holds`, "OverflowError");
      value += n;
      return value;
    },
    {
      validate: (n: number) => {
        if (typeof n !== "number" || !(n >= 0)) throw new Error(`cannot add ${JSON.stringify(n)}: the counter only goes up`);
      },
    },
  );
  await ctx.condition(() => finished);
  return value;
}

/** Whether BuggyWorkflow's fix is deployed: a test sets it, as shipping fixed code would. */
export const buggyWorkflowFix = { deployed: false };

/** Charges, then fails on a bug until its fix is deployed, then ships: a workflow to reset. */
export async function BuggyWorkflow(ctx: WorkflowContext, customerId: string) {
  const charge = await ctx.executeActivity(ChargeCreditCardActivity, customerId, 100);
  if (!buggyWorkflowFix.deployed) throw new Error(`a bug after charging ${customerId}`);
  const shipment = await ctx.executeActivity(ShipPackageActivity, charge);
  return { charge_id: charge.chargeId, tracking_id: shipment.trackingId };
}

export const workflows = { OrderWorkflow, ApprovalWorkflow, RefusingWorkflow, FlakyWorkflow, BatchWorkflow, CounterWorkflow, BuggyWorkflow };
export const activities = { ChargeCreditCardActivity, ShipPackageActivity, RefuseActivity, FlakyChargeActivity };
