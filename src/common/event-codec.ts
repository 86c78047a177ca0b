/**
 * Reading events back from the history stream. Decoding never throws: a stored message that
 * is not JSON, or not of the event model, becomes an `Undecodable` event at its sequence, so
 * one bad message is shown and isolated instead of failing every reader of the stream.
 */
import type { HistoryEvent, RecordedEventType, UndecodableEvent } from "./events.ts";
import { shapeProblem, type Shape } from "./shape.ts";

/** The fields of every event kind, beyond `type` and `time`. */
const EVENT_SHAPES: Readonly<Record<RecordedEventType, Shape>> = {
  WorkflowStarted: {
    workflowType: "string",
    args: "array",
    queue: "string",
    options: "object",
    firstStep: "int?",
    continuedFrom: "string?",
    parent: "object?",
    signals: "array?",
    headers: "object?",
    reset: "object?",
  },
  ActivityScheduled: { activityId: "int", activityType: "string", args: "array", options: "object" },
  ActivityStarted: { activityId: "int", attempt: "int", worker: "string", eager: "boolean?" },
  ActivityCompleted: { activityId: "int", attempt: "int", result: "json", contiguousSince: "int?" },
  ActivityFailed: {
    activityId: "int",
    attempt: "int",
    error: "error",
    willRetry: "boolean",
    nextAttemptAt: "string?",
    contiguousSince: "int?",
  },
  TimerStarted: { timerId: "int", fireAt: "string" },
  TimerFired: { timerId: "int" },
  SignalReceived: { name: "string", payload: "json" },
  CancelRequested: { reason: "string" },
  WorkflowCompleted: { result: "json", openChildren: "boolean?" },
  WorkflowFailed: { error: "error", openChildren: "boolean?" },
  WorkflowCanceled: { reason: "string", openChildren: "boolean?" },
  WorkflowTaskFailed: { error: "error", worker: "string" },
  WorkflowTerminated: { reason: "string" },
  PatchMarked: { patchId: "string", deprecated: "boolean?" },
  WorkflowContinuedAsNew: {
    runId: "string",
    workflowType: "string",
    args: "array",
    queue: "string",
    firstStep: "int",
    parent: "object?",
    signals: "array?",
    openChildren: "boolean?",
  },
  ChildWorkflowScheduled: {
    runId: "string",
    stepId: "int",
    childWorkflowId: "string",
    workflowType: "string",
    args: "array",
    queue: "string",
    parentClosePolicy: "string",
  },
  ChildWorkflowStarted: { stepId: "int", childWorkflowId: "string", childRunId: "string" },
  ChildWorkflowStartFailed: { stepId: "int", childWorkflowId: "string", error: "error" },
  ChildWorkflowClosed: { stepId: "int", childWorkflowId: "string", childRunId: "string", status: "string", result: "json?", error: "error?" },
  ChildWorkflowSignaled: { stepId: "int", childWorkflowId: "string", name: "string", payload: "json" },
  StepCanceled: { stepId: "int", childWorkflowId: "string?" },
  UpdateAccepted: { updateId: "string", name: "string", args: "array" },
  UpdateCompleted: { updateId: "string", result: "json?", error: "error?" },
};

const RAW_PREVIEW_CHARS = 200;
const decoder = new TextDecoder();

export function decodeEvent(msg: { seq: number; data: Uint8Array; time?: Date }): HistoryEvent {
  const text = decoder.decode(msg.data);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return undecodable(msg, text, `it is not JSON (${(err as Error).message})`);
  }
  const problem = eventProblem(value);
  if (problem) return undecodable(msg, text, problem);
  const event = value as HistoryEvent;
  event.seq = msg.seq;
  return event;
}

/** Why a decoded value is not an event of the event model, or undefined when it is one. */
export function eventProblem(value: unknown): string | undefined {
  const base = shapeProblem(value, { type: "string", time: "string" });
  if (base) return base;
  const { type } = value as { type: string };
  if (!Object.hasOwn(EVENT_SHAPES, type)) return `its type ${JSON.stringify(type)} is not an event type dfut knows`;
  const problem = shapeProblem(value, EVENT_SHAPES[type as RecordedEventType]);
  return problem && `it is ${/^[AEIOU]/.test(type) ? "an" : "a"} ${type} event whose ${problem}`;
}

function undecodable(msg: { seq: number; time?: Date }, text: string, reason: string): UndecodableEvent {
  return {
    type: "Undecodable",
    seq: msg.seq,
    time: (msg.time ?? new Date(0)).toISOString(),
    reason,
    raw: text.length > RAW_PREVIEW_CHARS ? `${text.slice(0, RAW_PREVIEW_CHARS)}…` : text,
  };
}

/** What to tell a user about an undecodable event of a workflow. */
export function undecodableProblem(event: UndecodableEvent): string {
  return `history event seq ${event.seq} cannot be decoded: ${event.reason}`;
}
