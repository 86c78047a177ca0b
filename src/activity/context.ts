import { AsyncLocalStorage } from "node:async_hooks";
import { DfutError } from "../common/errors.ts";

/** What a running activity can learn and do about itself. */
export interface ActivityContext {
  readonly workflowId: string;
  readonly activityId: number;
  readonly activityType: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Fires when the attempt timed out, the worker shuts down, or the workflow is canceled. */
  readonly signal: AbortSignal;
  /** Tells dfut the activity is alive; required at least every heartbeatTimeout when one is set. */
  heartbeat(details?: unknown): void;
}

const storage = new AsyncLocalStorage<ActivityContext>();

/** The context of the activity this code runs in. Throws outside an activity. */
export function activityContext(): ActivityContext {
  const ctx = storage.getStore();
  if (!ctx) throw new DfutError("failed_precondition", "activityContext() was called outside an activity");
  return ctx;
}

export function runInActivityContext<T>(ctx: ActivityContext, fn: () => T): T {
  return storage.run(ctx, fn);
}
