/** Workflows the API and web tests run: the seed's order workflow and a few that wait or fail. */
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

export const workflows = { OrderWorkflow, ApprovalWorkflow, RefusingWorkflow, FlakyWorkflow, BatchWorkflow };
export const activities = { ChargeCreditCardActivity, ShipPackageActivity, RefuseActivity, FlakyChargeActivity };
