/**
 * The seed's order workflow: charge a card, then ship the package.
 *
 *   dfut worker --load ./examples/order.ts
 *   dfut start OrderWorkflow Bob widget-1000 1000 2 --wait
 */
import { activityContext, type WorkflowContext } from "dfut";

export interface Charge {
  chargeId: string;
  customerId: string;
  amount: number;
}

export interface Shipment {
  trackingId: string;
}

export async function ChargeCreditCardActivity(customerId: string, amount: number): Promise<Charge> {
  const { workflowId } = activityContext();
  return { chargeId: `ch_${workflowId}`, customerId, amount };
}

export async function ShipPackageActivity(charge: Charge): Promise<Shipment> {
  return { trackingId: `trk_${charge.chargeId.slice(3)}` };
}

export async function AddActivity(a: number, b: number): Promise<number> {
  return a + b;
}

/** Waits, honouring cancellation and timeouts through the activity's AbortSignal. */
export async function DelayedActivity(ms: number): Promise<number> {
  const { signal, heartbeat } = activityContext();
  const started = Date.now();
  while (Date.now() - started < ms) {
    signal.throwIfAborted();
    heartbeat();
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, ms)));
  }
  return ms;
}

export async function OrderWorkflow(
  ctx: WorkflowContext,
  customerId: string,
  productId: string,
  amount: number,
  quantity: number,
) {
  const charge = await ctx.executeActivity(ChargeCreditCardActivity, customerId, amount * quantity);
  const ship = await ctx.executeActivity(ShipPackageActivity, charge);
  return { tracking_id: ship.trackingId, charge_id: charge.chargeId, product_id: productId, quantity };
}
