/**
 * The benchmark workload: the order workflow with two sequential activities (trivial bodies),
 * and a long workflow of N sequential activities for the history-length measurement.
 *
 *   dfut worker --load bench/workload.ts
 *
 * Names are given explicitly: bundlers may rename functions (esbuild turns `function
 * BenchOrderWorkflow` into `BenchOrderWorkflow2` when a const has the same name).
 * Only `defineWorkflow`/`defineActivity` are used from dfut (marks under Symbol.for keys), so the
 * module works whether it is loaded by the `dfut` executable or by the sources.
 */
import { defineActivity, defineWorkflow, type WorkflowContext } from "dfut";

export interface Charge {
  chargeId: string;
  customerId: string;
  amount: number;
}

export interface Shipment {
  trackingId: string;
}

export const chargeCard = defineActivity(async function chargeCard(customerId: string, amount: number): Promise<Charge> {
  return { chargeId: `ch_${customerId}_${amount}`, customerId, amount };
}, { name: "chargeCard" });

export const shipPackage = defineActivity(async function shipPackage(charge: Charge): Promise<Shipment> {
  return { trackingId: `trk_${charge.chargeId.slice(3)}` };
}, { name: "shipPackage" });

export const step = defineActivity(async function step(i: number): Promise<number> {
  return i + 1;
}, { name: "step" });

export const BenchOrderWorkflow = defineWorkflow(async function BenchOrderWorkflow(
  ctx: WorkflowContext,
  customerId: string,
  amount: number,
) {
  const charge = await ctx.executeActivity(chargeCard, customerId, amount);
  const ship = await ctx.executeActivity(shipPackage, charge);
  return { chargeId: charge.chargeId, trackingId: ship.trackingId };
}, { name: "BenchOrderWorkflow" });

/** `steps` sequential activities; returns `steps` when every step ran once, in order. */
export const BenchLongWorkflow = defineWorkflow(async function BenchLongWorkflow(ctx: WorkflowContext, steps: number) {
  let i = 0;
  while (i < steps) i = await ctx.executeActivity(step, i);
  return i;
}, { name: "BenchLongWorkflow" });

/** What BenchOrderWorkflow must return for these arguments. */
export function expectedOrder(customerId: string, amount: number) {
  return { chargeId: `ch_${customerId}_${amount}`, trackingId: `trk_${customerId}_${amount}` };
}

/** `width` activities at once (Promise.all); returns their sum, width·(width+1)/2 when each ran once. */
export const BenchFanOutWorkflow = defineWorkflow(async function BenchFanOutWorkflow(ctx: WorkflowContext, width: number) {
  const results = await Promise.all(Array.from({ length: width }, (_, i) => ctx.executeActivity(step, i)));
  return results.reduce((a, b) => a + b, 0);
}, { name: "BenchFanOutWorkflow" });
