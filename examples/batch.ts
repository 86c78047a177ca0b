/**
 * A batch of orders that composes and lives long: each page of orders runs as child workflows
 * (each listed, watchable, with its own history), then the batch continues as new, so its own
 * history stays one page long however many orders it processes.
 *
 *   dfut worker --load ./examples/batch.ts
 *   dfut start BatchWorkflow 12 --id nightly --wait
 *   dfut describe nightly              # its runs; dfut history nightly --run <run> for an earlier one
 *   dfut list --prefix nightly-        # the orders, children of the batch
 */
import type { WorkflowContext } from "dfut";
import { OrderWorkflow } from "./order.ts";

export * from "./order.ts";

export interface BatchProgress {
  processed: number;
  charged: string[];
  runs: number;
}

export async function BatchWorkflow(
  ctx: WorkflowContext,
  count: number,
  pageSize = 5,
  progress: BatchProgress = { processed: 0, charged: [], runs: 1 },
): Promise<BatchProgress> {
  const first = progress.processed + 1;
  const page = Array.from({ length: Math.min(pageSize, count - progress.processed) }, (_, i) => first + i);
  const orders = await Promise.all(
    page.map((n) =>
      ctx.executeChild(OrderWorkflow, {
        args: [`customer-${n}`, `widget-${n}`, 100 * n, 1],
        workflowId: `${ctx.workflowId}-order-${n}`,
      }),
    ),
  );
  const next: BatchProgress = {
    processed: progress.processed + page.length,
    charged: [...progress.charged, ...orders.map((o) => o.charge_id)],
    runs: progress.runs,
  };
  if (next.processed >= count) return next;
  // A fresh history for the next page; the batch's id stays the same.
  return ctx.continueAsNew(count, pageSize, { ...next, runs: next.runs + 1 });
}
