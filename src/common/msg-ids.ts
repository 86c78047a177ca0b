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
  patch: (workflowId: string, runId: string, patchId: string) => `${workflowId}:${runId}:patch:${patchId}`,
  /** The run's one close. */
  close: (workflowId: string, runId: string) => `${workflowId}:${runId}:close`,
  stepCanceled: (workflowId: string, stepId: number) => `${workflowId}:step:${stepId}:canceled`,
  /** The run that a continue-as-new asks for (appended by dfut server). */
  nextRun: (workflowId: string, closedRunId: string) => `${workflowId}:${closedRunId}:next`,
  /** A child's start, written for its parent's step by dfut server. */
  childStart: (parentId: string, stepId: number) => `child:${parentId}:${stepId}`,
  /** What dfut server records in the parent of a child's start and close. */
  childStarted: (parentId: string, stepId: number) => `${parentId}:step:${stepId}:child-started`,
  childClosed: (parentId: string, stepId: number) => `${parentId}:step:${stepId}:child-closed`,
  /** An update, accepted once per id; its completion once. */
  updateAccepted: (workflowId: string, updateId: string) => `${workflowId}:update:${updateId}:accepted`,
  updateCompleted: (workflowId: string, updateId: string) => `${workflowId}:update:${updateId}:completed`,
  /** What dfut server writes into a child for its parent: a signal, a cancel, a terminate. */
  forParent: (childId: string, parentId: string, stepId: number, what: string) => `${childId}:parent:${parentId}:${stepId}:${what}`,
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
      return `wft:${workflowId}:start:${event.seq}`;
    case "ActivityCompleted":
    case "ActivityFailed":
      return `wft:${workflowId}:act:${event.activityId}:${event.attempt}`;
    case "TimerFired":
      return `wft:${workflowId}:timer:${event.timerId}`;
    case "ChildWorkflowStarted":
      return `wft:${workflowId}:child:${event.stepId}:started`;
    case "ChildWorkflowStartFailed":
    case "ChildWorkflowClosed":
      return `wft:${workflowId}:child:${event.stepId}:closed`;
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
    case "WorkflowContinuedAsNew":
    case "ChildWorkflowScheduled":
    case "ChildWorkflowSignaled":
    case "StepCanceled":
    case "UpdateAccepted":
    case "UpdateCompleted":
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
