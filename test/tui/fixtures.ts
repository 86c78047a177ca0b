// Workflows for the watch UI tests: one that holds an activity open until the test lets it go,
// one long enough to need scrolling, and one that waits for a signal.
import { activityContext, ApplicationFailure, type WorkflowContext } from "dfut";
import { AddActivity } from "../../examples/order.ts";

const gates = new Map<string, { promise: Promise<void>; open: () => void }>();

function gate(workflowId: string) {
  let entry = gates.get(workflowId);
  if (!entry) {
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    entry = { promise, open };
    gates.set(workflowId, entry);
  }
  return entry;
}

/** Lets the GateActivity of that workflow finish. Activities run in the test's own process. */
export function openGate(workflowId: string): void {
  gate(workflowId).open();
}

export async function GateActivity(label: string): Promise<string> {
  const { workflowId, signal } = activityContext();
  await Promise.race([
    gate(workflowId).promise,
    new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true })),
  ]);
  return `${label} done`;
}

export async function GatedWorkflow(ctx: WorkflowContext, label: string) {
  const first = await ctx.executeActivity(GateActivity, label);
  const sum = await ctx.executeActivity(AddActivity, 20, 22);
  return { first, sum };
}

export async function StepsWorkflow(ctx: WorkflowContext, steps: number) {
  let total = 0;
  for (let i = 0; i < steps; i++) total = await ctx.executeActivity(AddActivity, total, 1);
  return total;
}

/** Fails its first attempt; the second waits at the workflow's gate. */
export async function FailThenGateActivity(): Promise<string> {
  const { attempt } = activityContext();
  if (attempt === 1) throw new Error("card reader jammed");
  return GateActivity("retried");
}

export async function RetryWorkflow(ctx: WorkflowContext) {
  return ctx.withOptions({ retry: { initialInterval: 50, maximumAttempts: 3 } }).executeActivity(FailThenGateActivity);
}

export async function RefusedActivity(): Promise<never> {
  throw ApplicationFailure.nonRetryable("card declined", "CardDeclined");
}

export async function DeclinedWorkflow(ctx: WorkflowContext) {
  return ctx.executeActivity(RefusedActivity);
}

/** Waits for the signal "go" and returns what it carried. */
export async function SignalledWorkflow(ctx: WorkflowContext) {
  return ctx.waitForSignal<string>("go");
}
