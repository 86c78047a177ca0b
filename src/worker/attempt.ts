import { runInActivityContext, type ActivityContext } from "../activity/context.ts";
import { ActivityTimeoutError, CanceledError, toErrorInfo } from "../common/errors.ts";
import type { ErrorInfo } from "../common/events.ts";
import { assertJsonSerializable } from "../common/payload.ts";
import { clock } from "../common/clock.ts";
import type { ActivityTask } from "../common/tasks.ts";
import type { ActivityFunction } from "../workflow/definitions.ts";

/** How one attempt ended. `shutdown`: cut short by the worker stopping, not the activity's failure. */
export type AttemptOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorInfo } | { ok: false; shutdown: true };

/** Why a running attempt must stop: its workflow was canceled or closed, or the code canceled its step. */
export type Ending = "canceled" | "closed" | "step-canceled";

/** Tells a running attempt why it must stop, once; returns the unsubscribe. */
export type CancellationSource = (workflowId: string, afterSeq: number, onEnded: (what: Ending) => void, stepId?: number) => () => void;

export interface AttemptOptions {
  /** Keeps the task this attempt runs for (JetStream `working()`), called every `keepAliveMs`. */
  keepAlive: () => void;
  keepAliveMs: number;
  cancellation: CancellationSource;
  /** Aborts the attempt as a shutdown (the task goes to another worker). */
  shutdown: AbortSignal;
}

/**
 * Runs one attempt of an activity: within its start-to-close and schedule-to-close budget, with
 * the heartbeat watchdog, the task kept alive, and the workflow's cancellation reaching the
 * attempt's AbortSignal. Touches no NATS itself: the keep-alive and the cancellation come in.
 */
export async function runAttempt(fn: ActivityFunction, task: ActivityTask, options: AttemptOptions): Promise<AttemptOutcome> {
  const controller = new AbortController();
  const { options: activity } = task;
  const timers: NodeJS.Timeout[] = [];
  let lastHeartbeat = Date.now();
  let rejectEnded!: (error: Error) => void;
  const ended = new Promise<never>((_, reject) => (rejectEnded = reject));
  ended.catch(() => undefined);
  const end = (error: Error) => {
    controller.abort(error);
    rejectEnded(error);
  };

  let budget = activity.startToCloseTimeout;
  let timeoutType: "startToClose" | "scheduleToClose" = "startToClose";
  if (activity.scheduleToCloseTimeout > 0) {
    const left = Date.parse(task.scheduledAt) + activity.scheduleToCloseTimeout - clock.now();
    if (left < budget) [budget, timeoutType] = [left, "scheduleToClose"];
  }
  if (budget <= 0) {
    // A retry delivered after the activity's deadline: no time left to run it at all.
    const message = `activity ${task.activityType} timed out: its schedule-to-close timeout of ${activity.scheduleToCloseTimeout} ms was spent before attempt ${task.attempt} could start`;
    return { ok: false, error: toErrorInfo(new ActivityTimeoutError(message, "scheduleToClose")) };
  }
  timers.push(
    setTimeout(
      () => end(new ActivityTimeoutError(`activity ${task.activityType} timed out after ${budget} ms (${timeoutType === "startToClose" ? "start-to-close" : "schedule-to-close"})`, timeoutType)),
      Math.max(0, budget),
    ),
  );
  if (activity.heartbeatTimeout > 0) {
    timers.push(
      setInterval(() => {
        if (Date.now() - lastHeartbeat > activity.heartbeatTimeout) {
          end(new ActivityTimeoutError(`activity ${task.activityType} sent no heartbeat for ${activity.heartbeatTimeout} ms`, "heartbeat"));
        }
      }, Math.max(10, Math.floor(activity.heartbeatTimeout / 4))),
    );
  }
  timers.push(setInterval(options.keepAlive, options.keepAliveMs));
  const unwatch = options.cancellation(
    task.workflowId,
    task.scheduledSeq ?? 0,
    (what) =>
      end(
        new CanceledError(
          "",
          what === "step-canceled"
            ? `activity ${task.activityType} (#${task.activityId}) was canceled by the workflow code`
            : `workflow ${task.workflowId} was ${what}`,
        ),
      ),
    task.activityId,
  );
  const onShutdown = () => controller.abort(options.shutdown.reason);
  if (options.shutdown.aborted) onShutdown();
  else options.shutdown.addEventListener("abort", onShutdown, { once: true });

  const ctx: ActivityContext = {
    workflowId: task.workflowId,
    activityId: task.activityId,
    activityType: task.activityType,
    attempt: task.attempt,
    signal: controller.signal,
    heartbeat: () => {
      lastHeartbeat = Date.now();
    },
  };
  let result: unknown;
  try {
    // A shutdown only aborts the signal: an attempt that finishes all the same is recorded.
    result = await Promise.race([runInActivityContext(ctx, () => Promise.resolve().then(() => fn(...(task.args as never[])))), ended]);
  } catch (err) {
    if (options.shutdown.aborted && controller.signal.reason === options.shutdown.reason) return { ok: false, shutdown: true };
    return { ok: false, error: toErrorInfo(err) };
  } finally {
    for (const t of timers) clearTimeout(t);
    unwatch();
    options.shutdown.removeEventListener("abort", onShutdown);
  }
  try {
    assertJsonSerializable(result, `the result of activity ${task.activityType}`);
  } catch (err) {
    // The same code would return the same value again: retrying cannot help.
    return { ok: false, error: { ...toErrorInfo(err), nonRetryable: true } };
  }
  return { ok: true, result: result ?? null };
}
