import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { isTerminal, type HistoryEvent } from "../common/events.ts";
import { clearProblem } from "../common/executions.ts";
import { currentRunOf, readHistory } from "../common/history.ts";
import { headersOf, publishWorkflowTask, type ActivityTask } from "../common/tasks.ts";
import type { OutcomeRecorder } from "./outcome-recorder.ts";

type AttemptEvent = Extract<HistoryEvent, { activityId: number; attempt: number }>;
type Outcome = Extract<HistoryEvent, { type: "ActivityCompleted" | "ActivityFailed" }>;

/** What history says a redelivered (or republished) activity task needs. */
export type Redelivery =
  /** The run closed, or its code canceled the step: nothing to run. */
  | { kind: "closed" }
  /** The attempt has its outcome; only what follows it may be missing. */
  | { kind: "recorded"; outcome: Outcome }
  /** A copy republished after a redelivery while the original is with another worker. */
  | { kind: "copy" }
  /** Started by a worker that stopped responding: recorded as a failed attempt. */
  | { kind: "lost" }
  /** Never started: run it. */
  | { kind: "run" };

/** The decision alone, from the workflow's history: pure. */
export function decideRedelivery(events: readonly HistoryEvent[], task: ActivityTask, deliveryCount: number): Redelivery {
  if (events.some((e) => isTerminal(e) || (e.type === "StepCanceled" && e.stepId === task.activityId))) return { kind: "closed" };
  const mine = events.filter(
    (e): e is AttemptEvent => "activityId" in e && "attempt" in e && e.activityId === task.activityId && e.attempt === task.attempt,
  );
  const outcome = mine.find((e): e is Outcome => e.type === "ActivityCompleted" || e.type === "ActivityFailed");
  if (outcome) return { kind: "recorded", outcome };
  const start = mine.find((e) => e.type === "ActivityStarted");
  if (!start) return { kind: "run" };
  const eager = start.type === "ActivityStarted" && start.eager === true;
  return task.verify && deliveryCount === 1 && !eager ? { kind: "copy" } : { kind: "lost" };
}

/**
 * Only a redelivered task (or a copy marked `verify`) reads the history: a first delivery cannot
 * have run before. Settles what history says; returns true when the task needs no run.
 */
export async function reconcileRedelivery(
  task: ActivityTask,
  msg: JsMsg,
  context: { connection: DfutConnection; executions: KV; recorder: OutcomeRecorder; ackWaitMs: number },
): Promise<boolean> {
  // From the step's scheduling on: its run's later events (an earlier run's close is not its own).
  const events =
    task.scheduledSeq === undefined
      ? currentRunOf(await readHistory(context.connection, task.workflowId))
      : await readHistory(context.connection, task.workflowId, task.scheduledSeq - 1);
  const decision = decideRedelivery(events, task, msg.info.deliveryCount);
  switch (decision.kind) {
    case "run":
      await clearProblem(context.executions, task.workflowId);
      return false;
    case "closed":
    case "copy":
      msg.ack();
      return true;
    case "recorded": {
      const { outcome } = decision;
      if (outcome.type === "ActivityFailed" && outcome.willRetry) await context.recorder.retry(task, outcome, true, headersOf(msg));
      else await publishWorkflowTask(context.connection.js, task.workflowQueue, task.workflowId, outcome);
      msg.ack();
      await clearProblem(context.executions, task.workflowId);
      return true;
    }
    case "lost": {
      const seconds = Math.round(context.ackWaitMs / 100) / 10;
      await context.recorder.outcome(task, {
        ok: false,
        error: {
          name: "WorkerLost",
          message: `the worker running attempt ${task.attempt} stopped responding for ${seconds}s (crashed or was killed)`,
        },
      });
      msg.ack();
      return true;
    }
  }
}
