/**
 * Deduplication ids (Nats-Msg-Id) of everything dfut publishes, derived from what the message
 * stands for, so that a retried or repeated publish is stored once within the duplicate window.
 */
import { unhandled, type HistoryEvent } from "./events.ts";

/** Ids of history events. */
export const eventMsgIds = {
  /** The command event of the n-th step (ActivityScheduled or TimerStarted). */
  step: (workflowId: string, stepId: number) => `${workflowId}:step:${stepId}`,
  /** A patch marker (ctx.patched): once per patch and run. */
  patch: (workflowId: string, patchId: string) => `${workflowId}:patch:${patchId}`,
  /** The workflow's one close. */
  close: (workflowId: string) => `${workflowId}:close`,
  activityStarted: (workflowId: string, activityId: number, attempt: number) => `${workflowId}:act:${activityId}:${attempt}:started`,
  activityOutcome: (workflowId: string, activityId: number, attempt: number) => `${workflowId}:act:${activityId}:${attempt}:outcome`,
  timerFired: (workflowId: string, timerId: number) => `${workflowId}:timer:${timerId}:fired`,
  /** A client's start, signal, cancel or terminate: one id per call, reused by its retries. */
  clientWrite: (workflowId: string, requestId: string) => `${workflowId}:client:${requestId}`,
};

/** The message id of the workflow task an event causes: a redelivered event makes no second task. */
function workflowTaskMsgId(workflowId: string, event: HistoryEvent): string {
  switch (event.type) {
    case "WorkflowStarted":
      return `wft:${workflowId}:start`;
    case "ActivityCompleted":
    case "ActivityFailed":
      return `wft:${workflowId}:act:${event.activityId}:${event.attempt}`;
    case "TimerFired":
      return `wft:${workflowId}:timer:${event.timerId}`;
    case "SignalReceived":
    case "CancelRequested":
    case "ActivityScheduled":
    case "ActivityStarted":
    case "TimerStarted":
    case "WorkflowCompleted":
    case "WorkflowFailed":
    case "WorkflowCanceled":
    case "WorkflowTerminated":
    case "PatchMarked":
    case "WorkflowTaskFailed":
    case "Undecodable":
      return `wft:${workflowId}:seq:${event.seq}`;
    default:
      return unhandled(event);
  }
}

/** Ids of task and timer messages. */
export const taskMsgIds = {
  activity: (workflowId: string, activityId: number, attempt: number) => `act:${workflowId}:${activityId}:${attempt}`,
  timer: (workflowId: string, timerId: number) => `tmr:${workflowId}:${timerId}`,
  workflow: workflowTaskMsgId,
};
