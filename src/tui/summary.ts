/**
 * What a workflow's history adds up to, for the watch view: type, status, times, the
 * activities, timers, child workflows and updates still open, and how it closed. A history that holds
 * several runs (continue-as-new) adds up to its last run. Pure: events in, summary out.
 */
import { unhandled, type ErrorInfo, type HistoryEvent, type ParentRef, type WorkflowStatus } from "../common/events.ts";

export interface OpenActivity {
  activityId: number;
  activityType: string;
  /** Attempt under way (or the one that last failed, while a retry waits); 0 before the first start. */
  attempt: number;
  state: "scheduled" | "running" | "retrying";
  /** When the current state began. */
  since: string;
  nextAttemptAt?: string;
  lastError?: ErrorInfo;
}

export interface OpenTimer {
  timerId: number;
  fireAt: string;
}

export interface OpenChild {
  stepId: number;
  childWorkflowId: string;
  workflowType: string;
  /** "starting" until dfut server has started it; "canceling" once this workflow asked it to cancel. */
  state: "starting" | "running" | "canceling";
  /** When the current state began. */
  since: string;
}

/** An update that was accepted and whose handler has not finished yet. */
export interface OpenUpdate {
  updateId: string;
  name: string;
  /** When it was accepted. */
  since: string;
}

export type Outcome =
  | { kind: "completed"; result: unknown }
  | { kind: "failed"; error: ErrorInfo }
  | { kind: "canceled"; reason: string }
  | { kind: "terminated"; reason: string }
  /** The run continued as new: the next run's start, which dfut server records. */
  | { kind: "continued"; workflowType: string; args: unknown[] };

export interface WorkflowSummary {
  /** "waiting" until the WorkflowStarted event exists. */
  status: WorkflowStatus | "waiting";
  workflowType?: string;
  queue?: string;
  startedAt?: string;
  closedAt?: string;
  /** The run shown: the sequence of its WorkflowStarted. */
  runId?: string;
  /** The run it continues (continue-as-new). */
  continuedFrom?: string;
  /** Set when the workflow is a child. */
  parent?: ParentRef;
  lastSeq: number;
  activities: OpenActivity[];
  timers: OpenTimer[];
  children: OpenChild[];
  updates: OpenUpdate[];
  outcome?: Outcome;
  /** The latest workflow task failure, until the workflow makes progress again. */
  taskFailure?: ErrorInfo;
  cancelRequested: boolean;
}

export function emptySummary(): WorkflowSummary {
  return { status: "waiting", lastSeq: 0, activities: [], timers: [], children: [], updates: [], cancelRequested: false };
}

export function summarize(events: readonly HistoryEvent[]): WorkflowSummary {
  const activities = new Map<number, OpenActivity>();
  const timers = new Map<number, OpenTimer>();
  const children = new Map<number, OpenChild>();
  const updates = new Map<string, OpenUpdate>();
  let summary = emptySummary();
  for (const event of events) {
    summary.lastSeq = Math.max(summary.lastSeq, event.seq);
    if (event.type !== "WorkflowTaskFailed") summary.taskFailure = undefined;
    switch (event.type) {
      case "WorkflowStarted":
        // A new run: what the previous one left open is not this run's.
        activities.clear();
        timers.clear();
        children.clear();
        updates.clear();
        summary = {
          ...emptySummary(),
          status: "running",
          workflowType: event.workflowType,
          queue: event.queue,
          startedAt: event.time,
          runId: String(event.seq),
          continuedFrom: event.continuedFrom,
          parent: event.parent,
          lastSeq: summary.lastSeq,
        };
        break;
      case "ActivityScheduled":
        activities.set(event.activityId, {
          activityId: event.activityId,
          activityType: event.activityType,
          attempt: 0,
          state: "scheduled",
          since: event.time,
        });
        break;
      case "ActivityStarted": {
        const open = activities.get(event.activityId);
        if (open) Object.assign(open, { attempt: event.attempt, state: "running", since: event.time, nextAttemptAt: undefined });
        break;
      }
      case "ActivityCompleted":
        activities.delete(event.activityId);
        break;
      case "ActivityFailed": {
        const open = activities.get(event.activityId);
        if (!event.willRetry) activities.delete(event.activityId);
        else if (open) {
          Object.assign(open, {
            attempt: event.attempt,
            state: "retrying",
            since: event.time,
            nextAttemptAt: event.nextAttemptAt,
            lastError: event.error,
          });
        }
        break;
      }
      case "TimerStarted":
        timers.set(event.timerId, { timerId: event.timerId, fireAt: event.fireAt });
        break;
      case "TimerFired":
        timers.delete(event.timerId);
        break;
      case "CancelRequested":
        summary.cancelRequested = true;
        break;
      case "ChildWorkflowScheduled":
        children.set(event.stepId, {
          stepId: event.stepId,
          childWorkflowId: event.childWorkflowId,
          workflowType: event.workflowType,
          state: "starting",
          since: event.time,
        });
        break;
      case "ChildWorkflowStarted": {
        const open = children.get(event.stepId);
        if (open && open.state === "starting") Object.assign(open, { state: "running", since: event.time });
        break;
      }
      case "ChildWorkflowStartFailed":
      case "ChildWorkflowClosed":
        children.delete(event.stepId);
        break;
      case "StepCanceled": {
        activities.delete(event.stepId);
        timers.delete(event.stepId);
        // A child goes on until it has handled the cancellation: its close is recorded here.
        const open = children.get(event.stepId);
        if (open) Object.assign(open, { state: "canceling", since: event.time });
        break;
      }
      case "UpdateAccepted":
        updates.set(event.updateId, { updateId: event.updateId, name: event.name, since: event.time });
        break;
      case "UpdateCompleted":
        updates.delete(event.updateId);
        break;
      case "SignalReceived":
      case "PatchMarked":
      case "ChildWorkflowSignaled":
        break;
      case "WorkflowTaskFailed":
        summary.taskFailure = event.error;
        break;
      case "WorkflowCompleted":
        close(summary, event.time, "completed", { kind: "completed", result: event.result });
        break;
      case "WorkflowFailed":
        close(summary, event.time, "failed", { kind: "failed", error: event.error });
        break;
      case "WorkflowCanceled":
        close(summary, event.time, "canceled", { kind: "canceled", reason: event.reason });
        break;
      case "WorkflowTerminated":
        close(summary, event.time, "terminated", { kind: "terminated", reason: event.reason });
        break;
      case "WorkflowContinuedAsNew":
        close(summary, event.time, "continued", { kind: "continued", workflowType: event.workflowType, args: event.args });
        break;
      case "Undecodable":
        summary.taskFailure = { name: "UndecodableEvent", message: event.reason };
        break;
      default:
        unhandled(event);
    }
  }
  if (!summary.outcome) {
    summary.activities = [...activities.values()];
    summary.timers = [...timers.values()];
    summary.children = [...children.values()];
    summary.updates = [...updates.values()];
  }
  return summary;
}

function close(summary: WorkflowSummary, time: string, status: WorkflowStatus, outcome: Outcome): void {
  summary.status = status;
  summary.closedAt = time;
  summary.outcome = outcome;
}
