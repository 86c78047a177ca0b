/**
 * What a workflow's history adds up to, for the watch view: type, status, times, the
 * activities and timers still open, and how it closed. Pure: events in, summary out.
 */
import { unhandled, type ErrorInfo, type HistoryEvent, type WorkflowStatus } from "../common/events.ts";

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

export type Outcome =
  | { kind: "completed"; result: unknown }
  | { kind: "failed"; error: ErrorInfo }
  | { kind: "canceled"; reason: string }
  | { kind: "terminated"; reason: string };

export interface WorkflowSummary {
  /** "waiting" until the WorkflowStarted event exists. */
  status: WorkflowStatus | "waiting";
  workflowType?: string;
  queue?: string;
  startedAt?: string;
  closedAt?: string;
  lastSeq: number;
  activities: OpenActivity[];
  timers: OpenTimer[];
  outcome?: Outcome;
  /** The latest workflow task failure, until the workflow makes progress again. */
  taskFailure?: ErrorInfo;
  cancelRequested: boolean;
}

export function emptySummary(): WorkflowSummary {
  return { status: "waiting", lastSeq: 0, activities: [], timers: [], cancelRequested: false };
}

export function summarize(events: readonly HistoryEvent[]): WorkflowSummary {
  const activities = new Map<number, OpenActivity>();
  const timers = new Map<number, OpenTimer>();
  const summary = emptySummary();
  for (const event of events) {
    summary.lastSeq = Math.max(summary.lastSeq, event.seq);
    if (event.type !== "WorkflowTaskFailed") summary.taskFailure = undefined;
    switch (event.type) {
      case "WorkflowStarted":
        summary.status = "running";
        summary.workflowType = event.workflowType;
        summary.queue = event.queue;
        summary.startedAt = event.time;
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
      case "SignalReceived":
      case "PatchMarked":
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
  }
  return summary;
}

function close(summary: WorkflowSummary, time: string, status: WorkflowStatus, outcome: Outcome): void {
  summary.status = status;
  summary.closedAt = time;
  summary.outcome = outcome;
}
