import type { ActivityOptions, RetryPolicy } from "./events.ts";
import { InvalidArgumentError } from "./errors.ts";
import { validateQueue } from "./ids.ts";

export const DEFAULT_RETRY: RetryPolicy = {
  initialInterval: 1000,
  backoffCoefficient: 2,
  maximumInterval: 100_000,
  maximumAttempts: 0,
  nonRetryableErrorTypes: [],
};

export const DEFAULT_ACTIVITY_OPTIONS: Omit<ActivityOptions, "queue"> = {
  startToCloseTimeout: 60_000,
  scheduleToCloseTimeout: 0,
  heartbeatTimeout: 0,
  retry: DEFAULT_RETRY,
};

/** What a caller may give: any subset, retry policy included. */
export type ActivityOptionsInput = Partial<Omit<ActivityOptions, "retry">> & { retry?: Partial<RetryPolicy> };

export function resolveActivityOptions(queue: string, ...layers: (ActivityOptionsInput | undefined)[]): ActivityOptions {
  let merged: ActivityOptions = { ...DEFAULT_ACTIVITY_OPTIONS, queue, retry: { ...DEFAULT_RETRY } };
  for (const layer of layers) {
    if (!layer) continue;
    const { retry, ...rest } = layer;
    merged = { ...merged, ...definedOnly(rest), retry: { ...merged.retry, ...definedOnly(retry ?? {}) } };
  }
  // RetryPolicy.maximumInterval defaults to 100 × the initial interval, whatever that is.
  if (layers.every((l) => l?.retry?.maximumInterval === undefined)) {
    merged.retry.maximumInterval = 100 * merged.retry.initialInterval;
  }
  validate(merged);
  return merged;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validate(o: ActivityOptions): void {
  validateQueue(o.queue);
  const nonNegative: [string, number][] = [
    ["startToCloseTimeout", o.startToCloseTimeout],
    ["scheduleToCloseTimeout", o.scheduleToCloseTimeout],
    ["heartbeatTimeout", o.heartbeatTimeout],
    ["retry.initialInterval", o.retry.initialInterval],
    ["retry.maximumInterval", o.retry.maximumInterval],
    ["retry.maximumAttempts", o.retry.maximumAttempts],
  ];
  for (const [name, value] of nonNegative) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`activity option ${name} must be a number >= 0, got ${String(value)}`);
    }
  }
  if (o.startToCloseTimeout === 0) throw new InvalidArgumentError("activity option startToCloseTimeout must be > 0");
  const { backoffCoefficient } = o.retry;
  if (typeof backoffCoefficient !== "number" || !Number.isFinite(backoffCoefficient) || backoffCoefficient < 1) {
    throw new InvalidArgumentError(`retry.backoffCoefficient must be a number >= 1, got ${String(backoffCoefficient)}`);
  }
}

/** Delay before attempt `attempt + 1`, after `attempt` failed. */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const delay = policy.initialInterval * Math.pow(policy.backoffCoefficient, attempt - 1);
  return Math.min(delay, policy.maximumInterval);
}

export function canRetry(policy: RetryPolicy, attempt: number, errorName: string, nonRetryable: boolean): boolean {
  if (nonRetryable) return false;
  if (policy.nonRetryableErrorTypes.includes(errorName)) return false;
  return policy.maximumAttempts === 0 || attempt < policy.maximumAttempts;
}
