/**
 * A workflow's events folded into what a person reads: one entry per activity (with its
 * attempts), timer, signal, task failure, undecodable message and the close. Pure: events in,
 * entries out.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { HistoryEvent } from "../api/gen/dfut/v1/workflow_pb.ts";
import { toMillis } from "./format.ts";

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
  | { kind: "task-failed"; key: string; at?: number; error: ErrorView; worker: string }
  | { kind: "completed"; key: string; at?: number; result: JsonValue }
  | { kind: "failed"; key: string; at?: number; error: ErrorView }
  | { kind: "canceled"; key: string; at?: number; reason: string }
  | { kind: "terminated"; key: string; at?: number; reason: string }
  /** A stored message that is not an event: `raw` is the start of its bytes. */
  | { kind: "undecodable"; key: string; at?: number; seq: number; reason: string; raw: string };

export type ClosingEntry = Extract<TimelineEntry, { kind: "completed" | "failed" | "canceled" | "terminated" }>;

const CLOSING_KINDS: ReadonlySet<TimelineEntry["kind"]> = new Set(["completed", "failed", "canceled", "terminated"]);

export function isClosing(entry: TimelineEntry): entry is ClosingEntry {
  return CLOSING_KINDS.has(entry.kind);
}

const str = (o: JsonObject, k: string): string => (typeof o[k] === "string" ? (o[k] as string) : "");
const num = (o: JsonObject, k: string): number => (typeof o[k] === "number" ? (o[k] as number) : 0);
const arr = (o: JsonObject, k: string): JsonValue[] => (Array.isArray(o[k]) ? (o[k] as JsonValue[]) : []);
const isoMillis = (o: JsonObject, k: string): number | undefined => {
  const t = Date.parse(str(o, k));
  return Number.isNaN(t) ? undefined : t;
};

export function errorOf(value: JsonValue | undefined): ErrorView {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const o = value as JsonObject;
    return { name: str(o, "name") || "Error", message: str(o, "message"), stack: str(o, "stack") || undefined };
  }
  return { name: "Error", message: String(value ?? "") };
}

export function buildTimeline(events: readonly HistoryEvent[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const activities = new Map<number, ActivityEntry>();
  const timers = new Map<number, Extract<TimelineEntry, { kind: "timer" }>>();
  for (const event of events) {
    const a = event.attributes ?? {};
    const at = toMillis(event.time);
    const key = `e${event.seq}`;
    switch (event.type) {
      case "WorkflowStarted":
        entries.push({ kind: "started", key, at, workflowType: str(a, "workflowType"), args: arr(a, "args"), queue: str(a, "queue") });
        break;
      case "ActivityScheduled": {
        const entry: ActivityEntry = {
          kind: "activity",
          key,
          activityId: num(a, "activityId"),
          activityType: str(a, "activityType"),
          args: arr(a, "args"),
          scheduledAt: at,
          attempts: [],
          state: "scheduled",
        };
        activities.set(entry.activityId, entry);
        entries.push(entry);
        break;
      }
      case "ActivityStarted": {
        const entry = activities.get(num(a, "activityId"));
        if (!entry) break;
        entry.attempts.push({ attempt: num(a, "attempt"), startedAt: at, worker: str(a, "worker"), state: "running" });
        entry.state = "running";
        break;
      }
      case "ActivityCompleted":
      case "ActivityFailed": {
        const entry = activities.get(num(a, "activityId"));
        if (!entry) break;
        const attemptNo = num(a, "attempt");
        let attempt = entry.attempts.find((x) => x.attempt === attemptNo);
        if (!attempt) {
          // An attempt whose worker died before it recorded a start.
          attempt = { attempt: attemptNo, state: "running" };
          entry.attempts.push(attempt);
        }
        attempt.endedAt = at;
        if (event.type === "ActivityCompleted") {
          attempt.state = "completed";
          entry.state = "completed";
          entry.result = a.result ?? null;
          entry.closedAt = at;
        } else {
          attempt.state = "failed";
          attempt.error = errorOf(a.error);
          attempt.willRetry = a.willRetry === true;
          attempt.nextAttemptAt = isoMillis(a, "nextAttemptAt");
          entry.state = attempt.willRetry ? "retrying" : "failed";
          if (!attempt.willRetry) entry.closedAt = at;
        }
        break;
      }
      case "TimerStarted": {
        const timer = { kind: "timer" as const, key, timerId: num(a, "timerId"), at, fireAt: isoMillis(a, "fireAt") };
        timers.set(timer.timerId, timer);
        entries.push(timer);
        break;
      }
      case "TimerFired": {
        const timer = timers.get(num(a, "timerId"));
        if (timer) timer.firedAt = at;
        break;
      }
      case "SignalReceived":
        entries.push({ kind: "signal", key, at, name: str(a, "name"), payload: a.payload ?? null });
        break;
      case "CancelRequested":
        entries.push({ kind: "cancel-requested", key, at, reason: str(a, "reason") });
        break;
      case "WorkflowTaskFailed":
        entries.push({ kind: "task-failed", key, at, error: errorOf(a.error), worker: str(a, "worker") });
        break;
      case "WorkflowCompleted":
        entries.push({ kind: "completed", key, at, result: a.result ?? null });
        break;
      case "WorkflowFailed":
        entries.push({ kind: "failed", key, at, error: errorOf(a.error) });
        break;
      case "WorkflowCanceled":
        entries.push({ kind: "canceled", key, at, reason: str(a, "reason") });
        break;
      case "WorkflowTerminated":
        entries.push({ kind: "terminated", key, at, reason: str(a, "reason") });
        break;
      case "Undecodable":
        entries.push({ kind: "undecodable", key, at, seq: Number(event.seq), reason: str(a, "reason"), raw: str(a, "raw") });
        break;
    }
  }
  return entries;
}
