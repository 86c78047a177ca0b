/**
 * A workflow's events folded into what a person reads: one entry per run's start, activity
 * (with its attempts), timer, child workflow (with its start and close), update (with its
 * outcome), signal, canceled step, task failure, undecodable message and close. Pure: events in, entries out.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { ParentClosePolicy, type CarriedSignal, type ErrorInfo, type HistoryEvent } from "../api/gen/dfut/v1/workflow_pb.ts";
import { unhandled } from "../common/events.ts";
import { jsonOf, statusName, toMillis } from "./format.ts";

export interface ErrorView {
  name: string;
  message: string;
  stack?: string;
}

export interface AttemptView {
  attempt: number;
  startedAt?: number;
  worker?: string;
  endedAt?: number;
  state: "running" | "completed" | "failed";
  error?: ErrorView;
  willRetry?: boolean;
  nextAttemptAt?: number;
}

export interface ActivityEntry {
  kind: "activity";
  key: string;
  activityId: number;
  activityType: string;
  args: JsonValue[];
  scheduledAt?: number;
  attempts: AttemptView[];
  /** "canceled": the code canceled it (its running attempt, if any, is aborted). */
  state: "scheduled" | "running" | "retrying" | "completed" | "failed" | "canceled";
  result?: JsonValue;
  closedAt?: number;
}

/** A child workflow this one started: its own page has its story. */
export interface ChildEntry {
  kind: "child";
  key: string;
  stepId: number;
  childWorkflowId: string;
  workflowType: string;
  args: JsonValue[];
  queue: string;
  /** "terminate", "request-cancel", "abandon", or "" when the policy is not one this page knows. */
  parentClosePolicy: string;
  scheduledAt?: number;
  startedAt?: number;
  childRunId?: string;
  /**
   * "start-failed": it could not be started (its id is in use); "canceling": this workflow asked it
   * to cancel and it has not closed yet; "closed": it closed with a status this page does not
   * know; the rest are how it closed.
   */
  state: "scheduled" | "running" | "canceling" | "start-failed" | "completed" | "failed" | "canceled" | "terminated" | "closed";
  result?: JsonValue;
  error?: ErrorView;
  closedAt?: number;
}

/** A client's update: accepted (its handler runs as workflow code), then its outcome. */
export interface UpdateEntry {
  kind: "update";
  key: string;
  updateId: string;
  /** The handler's name; empty for an outcome whose acceptance is not in these events. */
  name: string;
  args: JsonValue[];
  acceptedAt?: number;
  state: "running" | "completed" | "failed";
  result?: JsonValue;
  error?: ErrorView;
  closedAt?: number;
}

/** The parent of a child workflow's run: the parent's id and run. */
export interface ParentView {
  workflowId: string;
  runId: string;
}

/** Where a reset run comes from: ResetWorkflow began it from this run, after this event. */
export interface ResetView {
  fromRunId: string;
  toSeq: number;
  reason: string;
  /** Events of earlier runs it carries, replayed as its own history. */
  carriedEvents: number;
}

export interface CarriedSignalView {
  name: string;
  payload: JsonValue;
}

export type TimelineEntry =
  | {
      kind: "started";
      key: string;
      at?: number;
      /** The run's id: the seq of its WorkflowStarted. */
      runId: string;
      workflowType: string;
      args: JsonValue[];
      queue: string;
      /** The run this one continues (continue-as-new). */
      continuedFrom?: string;
      parent?: ParentView;
      /** Signals the previous run had not taken, which this run's code gets first. */
      signals: CarriedSignalView[];
      /** Set on a run that a reset began. */
      reset?: ResetView;
    }
  | ActivityEntry
  | { kind: "timer"; key: string; timerId: number; at?: number; fireAt?: number; firedAt?: number; canceledAt?: number }
  | ChildEntry
  | UpdateEntry
  | { kind: "signal"; key: string; at?: number; name: string; payload: JsonValue }
  | { kind: "child-signal"; key: string; at?: number; stepId: number; childWorkflowId: string; name: string; payload: JsonValue }
  | { kind: "cancel-requested"; key: string; at?: number; reason: string }
  /** The code canceled step `stepId`: `what` says which it was, as far as the history tells. */
  | { kind: "step-canceled"; key: string; at?: number; stepId: number; what: string; childWorkflowId?: string }
  | { kind: "patch"; key: string; at?: number; patchId: string; deprecated: boolean }
  | { kind: "task-failed"; key: string; at?: number; error: ErrorView; worker: string }
  /** `openChildren`, set when children were still open: dfut server applies their parent close policy. */
  | { kind: "completed"; key: string; at?: number; result: JsonValue; openChildren?: true }
  | { kind: "failed"; key: string; at?: number; error: ErrorView; openChildren?: true }
  | { kind: "canceled"; key: string; at?: number; reason: string; openChildren?: true }
  | { kind: "terminated"; key: string; at?: number; reason: string }
  /** The run ended by asking for a new run with these arguments; dfut server starts it. */
  | { kind: "continued"; key: string; at?: number; workflowType: string; args: JsonValue[]; signals: CarriedSignalView[]; openChildren?: true }
  /** A stored message that is not an event: `raw` is the start of its bytes. */
  | { kind: "undecodable"; key: string; at?: number; seq: number; reason: string; raw: string };

type ClosingKind = "completed" | "failed" | "canceled" | "terminated" | "continued";
export type ClosingEntry = Extract<TimelineEntry, { kind: ClosingKind }>;

/** Which entries close a run; a new kind of entry does not compile until it is here. */
const CLOSES: { readonly [K in TimelineEntry["kind"]]: K extends ClosingKind ? true : false } = {
  started: false,
  activity: false,
  timer: false,
  child: false,
  update: false,
  signal: false,
  "child-signal": false,
  patch: false,
  "cancel-requested": false,
  "step-canceled": false,
  "task-failed": false,
  completed: true,
  failed: true,
  canceled: true,
  terminated: true,
  continued: true,
  undecodable: false,
};

export function isClosing(entry: TimelineEntry): entry is ClosingEntry {
  return CLOSES[entry.kind];
}

export function errorOf(error: ErrorInfo | undefined): ErrorView {
  return { name: error?.name || "Error", message: error?.message ?? "", stack: error?.stack || undefined };
}

const CLOSING_EVENTS: ReadonlySet<HistoryEvent["event"]["case"]> = new Set([
  "workflowCompleted",
  "workflowFailed",
  "workflowCanceled",
  "workflowTerminated",
  "workflowContinuedAsNew",
] as const);

/** An event of the last run a reset may keep as its last: its seq, and its kind and step for the choice. */
export interface ResetPointView {
  seq: bigint;
  label: string;
}

/**
 * The events of the last run that a reset can go on after, oldest first: every one but its
 * close. Empty when the events hold no run's start.
 */
export function resetPoints(events: readonly HistoryEvent[]): ResetPointView[] {
  let start = -1;
  for (let i = events.length - 1; i >= 0 && start === -1; i--) if (events[i].event.case === "workflowStarted") start = i;
  if (start === -1) return [];
  return events
    .slice(start)
    .filter((e) => !CLOSING_EVENTS.has(e.event.case))
    .map((e) => ({ seq: e.seq, label: `${e.seq} · ${e.type}${stepOf(e)}` }));
}

/** " #3 ChargeCreditCardActivity" for an event of a step, the name of what it is when known. */
function stepOf({ event }: HistoryEvent): string {
  switch (event.case) {
    case "activityScheduled":
      return ` #${event.value.activityId} ${event.value.activityType}`;
    case "activityStarted":
    case "activityCompleted":
    case "activityFailed":
      return ` #${event.value.activityId}`;
    case "timerStarted":
    case "timerFired":
      return ` #${event.value.timerId}`;
    case "signalReceived":
      return ` ${event.value.name}`;
    default:
      return "";
  }
}

/** The entries of the last run: from its start on (all of them when no start is there). */
export function currentRun(entries: readonly TimelineEntry[]): readonly TimelineEntry[] {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].kind === "started") return entries.slice(i);
  return entries;
}

const PARENT_CLOSE_POLICIES: Readonly<Record<ParentClosePolicy, string>> = {
  [ParentClosePolicy.UNSPECIFIED]: "",
  [ParentClosePolicy.TERMINATE]: "terminate",
  [ParentClosePolicy.REQUEST_CANCEL]: "request-cancel",
  [ParentClosePolicy.ABANDON]: "abandon",
};

function signalsOf(signals: readonly CarriedSignal[]): CarriedSignalView[] {
  return signals.map((s) => ({ name: s.name, payload: jsonOf(s.payload) }));
}

/** Set only when true, so that a close without open children has no such field. */
function openChildren(close: { openChildren: boolean }): true | undefined {
  return close.openChildren || undefined;
}

/** The row of an attempt; new when the attempt's worker died before it recorded a start. */
function attemptOf(entry: ActivityEntry, attemptNo: number): AttemptView {
  let attempt = entry.attempts.find((x) => x.attempt === attemptNo);
  if (!attempt) {
    attempt = { attempt: attemptNo, state: "running" };
    entry.attempts.push(attempt);
  }
  return attempt;
}

export function buildTimeline(events: readonly HistoryEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const activities = new Map<number, ActivityEntry>();
  const timers = new Map<number, Extract<TimelineEntry, { kind: "timer" }>>();
  const children = new Map<number, ChildEntry>();
  const updates = new Map<string, UpdateEntry>();
  for (const { seq, time, event } of events) {
    const at = toMillis(time);
    const key = `e${seq}`;
    switch (event.case) {
      case "workflowStarted": {
        const { workflowType, args, queue, continuedFrom, parent, signals, reset } = event.value;
        entries.push({
          kind: "started",
          key,
          at,
          runId: String(seq),
          workflowType,
          args: args.map(jsonOf),
          queue,
          continuedFrom: continuedFrom || undefined,
          parent: parent && { workflowId: parent.workflowId, runId: parent.runId },
          signals: signalsOf(signals),
          ...(reset && { reset: { fromRunId: reset.fromRunId, toSeq: Number(reset.toSeq), reason: reset.reason, carriedEvents: reset.carriedEvents } }),
        });
        break;
      }
      case "activityScheduled": {
        const { activityId, activityType, args } = event.value;
        const entry: ActivityEntry = {
          kind: "activity",
          key,
          activityId,
          activityType,
          args: args.map(jsonOf),
          scheduledAt: at,
          attempts: [],
          state: "scheduled",
        };
        activities.set(activityId, entry);
        entries.push(entry);
        break;
      }
      case "activityStarted": {
        const entry = activities.get(event.value.activityId);
        if (!entry) break;
        entry.attempts.push({ attempt: event.value.attempt, startedAt: at, worker: event.value.worker, state: "running" });
        entry.state = "running";
        break;
      }
      case "activityCompleted": {
        const entry = activities.get(event.value.activityId);
        if (!entry) break;
        const attempt = attemptOf(entry, event.value.attempt);
        attempt.endedAt = at;
        attempt.state = "completed";
        entry.state = "completed";
        entry.result = jsonOf(event.value.result);
        entry.closedAt = at;
        break;
      }
      case "activityFailed": {
        const entry = activities.get(event.value.activityId);
        if (!entry) break;
        const { error, willRetry, nextAttemptAt } = event.value;
        const attempt = attemptOf(entry, event.value.attempt);
        attempt.endedAt = at;
        attempt.state = "failed";
        attempt.error = errorOf(error);
        attempt.willRetry = willRetry;
        attempt.nextAttemptAt = toMillis(nextAttemptAt);
        // The failure of an attempt that a cancel aborted: the activity stays canceled.
        if (entry.state === "canceled") break;
        entry.state = willRetry ? "retrying" : "failed";
        if (!willRetry) entry.closedAt = at;
        break;
      }
      case "timerStarted": {
        const timer = { kind: "timer" as const, key, timerId: event.value.timerId, at, fireAt: toMillis(event.value.fireAt) };
        timers.set(timer.timerId, timer);
        entries.push(timer);
        break;
      }
      case "timerFired": {
        const timer = timers.get(event.value.timerId);
        if (timer) timer.firedAt = at;
        break;
      }
      case "signalReceived":
        entries.push({ kind: "signal", key, at, name: event.value.name, payload: jsonOf(event.value.payload) });
        break;
      case "cancelRequested":
        entries.push({ kind: "cancel-requested", key, at, reason: event.value.reason });
        break;
      case "workflowTaskFailed":
        entries.push({ kind: "task-failed", key, at, error: errorOf(event.value.error), worker: event.value.worker });
        break;
      case "workflowCompleted":
        entries.push({ kind: "completed", key, at, result: jsonOf(event.value.result), openChildren: openChildren(event.value) });
        break;
      case "workflowFailed":
        entries.push({ kind: "failed", key, at, error: errorOf(event.value.error), openChildren: openChildren(event.value) });
        break;
      case "workflowCanceled":
        entries.push({ kind: "canceled", key, at, reason: event.value.reason, openChildren: openChildren(event.value) });
        break;
      case "workflowTerminated":
        entries.push({ kind: "terminated", key, at, reason: event.value.reason });
        break;
      case "undecodable":
        entries.push({ kind: "undecodable", key, at, seq: Number(seq), reason: event.value.reason, raw: event.value.raw });
        break;
      case "patchMarked":
        entries.push({ kind: "patch", key, at, patchId: event.value.patchId, deprecated: event.value.deprecated });
        break;
      case "workflowContinuedAsNew": {
        const { workflowType, args, signals } = event.value;
        entries.push({ kind: "continued", key, at, workflowType, args: args.map(jsonOf), signals: signalsOf(signals), openChildren: openChildren(event.value) });
        break;
      }
      case "childWorkflowScheduled": {
        const { stepId, childWorkflowId, workflowType, args, queue, parentClosePolicy } = event.value;
        const entry: ChildEntry = {
          kind: "child",
          key,
          stepId,
          childWorkflowId,
          workflowType,
          args: args.map(jsonOf),
          queue,
          parentClosePolicy: PARENT_CLOSE_POLICIES[parentClosePolicy] ?? "",
          scheduledAt: at,
          state: "scheduled",
        };
        children.set(stepId, entry);
        entries.push(entry);
        break;
      }
      case "childWorkflowStarted": {
        const entry = children.get(event.value.stepId);
        if (!entry) break;
        entry.startedAt = at;
        entry.childRunId = event.value.childRunId;
        if (entry.state === "scheduled") entry.state = "running";
        break;
      }
      case "childWorkflowStartFailed": {
        const entry = children.get(event.value.stepId);
        if (!entry) break;
        entry.state = "start-failed";
        entry.error = errorOf(event.value.error);
        entry.closedAt = at;
        break;
      }
      case "childWorkflowClosed": {
        const entry = children.get(event.value.stepId);
        if (!entry) break;
        const { status, result, error, childRunId } = event.value;
        const name = statusName(status);
        entry.state = name === "completed" || name === "failed" || name === "canceled" || name === "terminated" ? name : "closed";
        entry.childRunId = childRunId || entry.childRunId;
        if (name === "completed") entry.result = jsonOf(result);
        if (error) entry.error = errorOf(error);
        entry.closedAt = at;
        break;
      }
      case "childWorkflowSignaled": {
        const { stepId, childWorkflowId, name, payload } = event.value;
        entries.push({ kind: "child-signal", key, at, stepId, childWorkflowId, name, payload: jsonOf(payload) });
        break;
      }
      case "stepCanceled": {
        const { stepId, childWorkflowId } = event.value;
        const activity = activities.get(stepId);
        const timer = timers.get(stepId);
        const child = children.get(stepId);
        let what = `step #${stepId}`;
        if (activity) {
          what = `activity ${activity.activityType} #${stepId}`;
          if (activity.state !== "completed" && activity.state !== "failed") {
            activity.state = "canceled";
            activity.closedAt = at;
          }
        } else if (timer) {
          what = `timer #${stepId}`;
          if (!timer.firedAt) timer.canceledAt = at;
        } else if (child || childWorkflowId) {
          what = `child ${childWorkflowId || child?.childWorkflowId}`;
          if (child && (child.state === "scheduled" || child.state === "running")) child.state = "canceling";
        }
        entries.push({ kind: "step-canceled", key, at, stepId, what, childWorkflowId: childWorkflowId || child?.childWorkflowId });
        break;
      }
      case "updateAccepted": {
        const { updateId, name, args } = event.value;
        const entry: UpdateEntry = { kind: "update", key, updateId, name, args: args.map(jsonOf), acceptedAt: at, state: "running" };
        updates.set(updateId, entry);
        entries.push(entry);
        break;
      }
      case "updateCompleted": {
        const { updateId, result, error } = event.value;
        let entry = updates.get(updateId);
        if (!entry) {
          entry = { kind: "update", key, updateId, name: "", args: [], state: "running" };
          updates.set(updateId, entry);
          entries.push(entry);
        }
        entry.state = error ? "failed" : "completed";
        if (error) entry.error = errorOf(error);
        else entry.result = jsonOf(result);
        entry.closedAt = at;
        break;
      }
      case undefined:
        // A kind newer than this page's schema: the event table still lists it.
        break;
      default:
        unhandled(event);
    }
  }
  return entries;
}
