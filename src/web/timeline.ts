/**
 * A workflow's events folded into what a person reads: one entry per activity (with its
 * attempts), timer, signal, task failure, undecodable message and the close. Pure: events in,
 * entries out.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { ErrorInfo, HistoryEvent } from "../api/gen/dfut/v1/workflow_pb.ts";
import { unhandled } from "../common/events.ts";
import { jsonOf, toMillis } from "./format.ts";

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
  state: "scheduled" | "running" | "retrying" | "completed" | "failed";
  result?: JsonValue;
  closedAt?: number;
}

export type TimelineEntry =
  | { kind: "started"; key: string; at?: number; workflowType: string; args: JsonValue[]; queue: string }
  | ActivityEntry
  | { kind: "timer"; key: string; timerId: number; at?: number; fireAt?: number; firedAt?: number }
  | { kind: "signal"; key: string; at?: number; name: string; payload: JsonValue }
  | { kind: "cancel-requested"; key: string; at?: number; reason: string }
  | { kind: "patch"; key: string; at?: number; patchId: string; deprecated: boolean }
  | { kind: "task-failed"; key: string; at?: number; error: ErrorView; worker: string }
  | { kind: "completed"; key: string; at?: number; result: JsonValue }
  | { kind: "failed"; key: string; at?: number; error: ErrorView }
  | { kind: "canceled"; key: string; at?: number; reason: string }
  | { kind: "terminated"; key: string; at?: number; reason: string }
  /** A stored message that is not an event: `raw` is the start of its bytes. */
  | { kind: "undecodable"; key: string; at?: number; seq: number; reason: string; raw: string };

type ClosingKind = "completed" | "failed" | "canceled" | "terminated";
export type ClosingEntry = Extract<TimelineEntry, { kind: ClosingKind }>;

/** Which entries close the workflow; a new kind of entry does not compile until it is here. */
const CLOSES: { readonly [K in TimelineEntry["kind"]]: K extends ClosingKind ? true : false } = {
  started: false,
  activity: false,
  timer: false,
  signal: false,
  patch: false,
  "cancel-requested": false,
  "task-failed": false,
  completed: true,
  failed: true,
  canceled: true,
  terminated: true,
  undecodable: false,
};

export function isClosing(entry: TimelineEntry): entry is ClosingEntry {
  return CLOSES[entry.kind];
}

export function errorOf(error: ErrorInfo | undefined): ErrorView {
  return { name: error?.name || "Error", message: error?.message ?? "", stack: error?.stack || undefined };
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
  for (const { seq, time, event } of events) {
    const at = toMillis(time);
    const key = `e${seq}`;
    switch (event.case) {
      case "workflowStarted": {
        const { workflowType, args, queue } = event.value;
        entries.push({ kind: "started", key, at, workflowType, args: args.map(jsonOf), queue });
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
        entries.push({ kind: "completed", key, at, result: jsonOf(event.value.result) });
        break;
      case "workflowFailed":
        entries.push({ kind: "failed", key, at, error: errorOf(event.value.error) });
        break;
      case "workflowCanceled":
        entries.push({ kind: "canceled", key, at, reason: event.value.reason });
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
      case undefined:
        // A kind newer than this page's schema: the event table still lists it.
        break;
      default:
        unhandled(event);
    }
  }
  return entries;
}
