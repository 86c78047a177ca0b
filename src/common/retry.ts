/**
 * Calls a JetStream request again while it fails for reasons that say nothing about the
 * request (a leader election, a node down, a reconnect): with backoff, within a deadline, then
 * one clear error naming what was unavailable.
 */
import { DfutError } from "./errors.ts";
import { isTransient } from "./jetstream-errors.ts";
import { dfutMetrics } from "./metrics.ts";

/** Long enough to ride out a leader election of a 3- or 5-node cluster, even a slow one. */
export const DEFAULT_RETRY_DEADLINE_MS = 30_000;
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2000;

export interface RetryOptions {
  deadlineMs?: number;
}

export async function retryTransient<T>(what: string, operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const deadlineMs = options.deadlineMs ?? DEFAULT_RETRY_DEADLINE_MS;
  const deadline = Date.now() + deadlineMs;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    try {
      return await operation();
    } catch (err) {
      if (!isTransient(err)) throw err;
      if (Date.now() + delay > deadline) {
        dfutMetrics.jetstreamErrors.inc();
        throw new DfutError(
          "unavailable",
          `${what}: NATS JetStream did not answer within ${Math.round(deadlineMs / 1000)} s (${(err as Error)?.message ?? err}); ` +
            "check that the NATS server (or a majority of the cluster's nodes) is up",
          { cause: err },
        );
      }
      dfutMetrics.jetstreamRetries.inc();
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
