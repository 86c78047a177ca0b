/**
 * Pure text formatting for dfut's terminal views: event details, times, durations and
 * shortening. No I/O and no React, so the history table and the live TUI can share it.
 */
import { unhandled, type CarriedSignal, type ErrorInfo, type HistoryEvent, type ParentRef } from "../common/events.ts";

/** Activity type by activity id, from the ActivityScheduled events of a history. */
export type ActivityNames = ReadonlyMap<number, string>;

export function activityNames(events: readonly HistoryEvent[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const event of events) {
    if (event.type === "ActivityScheduled") names.set(event.activityId, event.activityType);
  }
  return names;
}

/** Adds one event to a name map in place; returns whether it changed anything. */
export function noteActivityName(names: Map<number, string>, event: HistoryEvent): boolean {
  if (event.type !== "ActivityScheduled") return false;
  names.set(event.activityId, event.activityType);
  return true;
}

/** Longest JSON shown inline in a detail cell before it is cut. */
export const DEFAULT_VALUE_WIDTH = 80;

/** One line of what an event says, without its type, seq or time. */
export function eventDetails(event: HistoryEvent, names: ActivityNames = new Map(), valueWidth = DEFAULT_VALUE_WIDTH): string {
  const value = (v: unknown) => shorten(compactJson(v), valueWidth);
  const activity = (id: number) => `#${id} ${names.get(id) ?? "activity"}`;
  const child = (stepId: number, workflowId: string) => `#${stepId} child ${workflowId}`;
  switch (event.type) {
    case "WorkflowStarted":
      return [
        `${event.workflowType}(${argList(event.args, valueWidth)}) queue=${event.queue}`,
        event.continuedFrom ? `continues run ${event.continuedFrom}` : undefined,
        parentText(event.parent),
        carriedText(event.signals),
      ]
        .filter(Boolean)
        .join(", ");
    case "ActivityScheduled":
      return `#${event.activityId} ${event.activityType}(${argList(event.args, valueWidth)})`;
    case "ActivityStarted":
      return `${activity(event.activityId)} attempt ${event.attempt}${event.worker ? ` on ${event.worker}` : ""}`;
    case "ActivityCompleted":
      return `${activity(event.activityId)} attempt ${event.attempt} → ${value(event.result)}`;
    case "ActivityFailed": {
      const next = event.willRetry
        ? `, retry${event.nextAttemptAt ? ` at ${formatTime(event.nextAttemptAt)}` : ""}`
        : ", no retry";
      return `${activity(event.activityId)} attempt ${event.attempt} ✗ ${errorText(event.error, valueWidth)}${next}`;
    }
    case "TimerStarted":
      return `timer #${event.timerId} fires at ${formatTime(event.fireAt)}`;
    case "TimerFired":
      return `timer #${event.timerId}`;
    case "SignalReceived":
      return event.payload === null || event.payload === undefined ? event.name : `${event.name} ${value(event.payload)}`;
    case "CancelRequested":
      return event.reason ? shorten(event.reason, valueWidth) : "";
    case "WorkflowCompleted":
      return `→ ${value(event.result)}`;
    case "WorkflowFailed":
      return errorText(event.error, valueWidth);
    case "WorkflowCanceled":
      return event.reason ? shorten(event.reason, valueWidth) : "";
    case "WorkflowTaskFailed":
      return `${errorText(event.error, valueWidth)}${event.worker ? ` on ${event.worker}` : ""}`;
    case "WorkflowTerminated":
      return event.reason ? shorten(event.reason, valueWidth) : "";
    case "Undecodable":
      return shorten(`${event.reason}: ${event.raw}`, valueWidth);
    case "PatchMarked":
      return `${event.patchId}${event.deprecated ? " (deprecated)" : ""}`;
    case "WorkflowContinuedAsNew":
      return [
        `→ new run ${event.workflowType}(${argList(event.args, valueWidth)}) queue=${event.queue}`,
        carriedText(event.signals),
        event.openChildren ? "children still open" : undefined,
      ]
        .filter(Boolean)
        .join(", ");
    case "ChildWorkflowScheduled": {
      // "terminate" is the default policy: only another one is worth a word.
      const policy = event.parentClosePolicy === "terminate" ? "" : `, on parent close: ${event.parentClosePolicy}`;
      return `${child(event.stepId, event.childWorkflowId)} ${event.workflowType}(${argList(event.args, valueWidth)}) queue=${event.queue}${policy}`;
    }
    case "ChildWorkflowStarted":
      return `${child(event.stepId, event.childWorkflowId)} run ${event.childRunId}`;
    case "ChildWorkflowStartFailed":
      return `${child(event.stepId, event.childWorkflowId)} ✗ ${errorText(event.error, valueWidth)}`;
    case "ChildWorkflowClosed": {
      const outcome =
        event.status === "completed" ? ` → ${value(event.result)}` : event.error ? ` ✗ ${errorText(event.error, valueWidth)}` : "";
      return `${child(event.stepId, event.childWorkflowId)} ${event.status}${outcome}`;
    }
    case "ChildWorkflowSignaled": {
      const payload = event.payload === null || event.payload === undefined ? "" : ` ${value(event.payload)}`;
      return `${child(event.stepId, event.childWorkflowId)} ← ${event.name}${payload}`;
    }
    case "StepCanceled":
      if (event.childWorkflowId) return child(event.stepId, event.childWorkflowId);
      return names.has(event.stepId) ? activity(event.stepId) : `step #${event.stepId}`;
    case "UpdateAccepted":
      return `update ${event.name}(${argList(event.args, valueWidth)}) accepted, id ${event.updateId}`;
    case "UpdateCompleted":
      return event.error ? `update ${event.updateId} ✗ ${errorText(event.error, valueWidth)}` : `update ${event.updateId} → ${value(event.result)}`;
    default:
      return unhandled(event);
  }
}

function parentText(parent: ParentRef | undefined): string | undefined {
  return parent ? `child of ${parent.workflowId}` : undefined;
}

function carriedText(signals: readonly CarriedSignal[] | undefined): string | undefined {
  const n = signals?.length ?? 0;
  return n === 0 ? undefined : `${n} signal${n === 1 ? "" : "s"} carried over`;
}

function argList(args: readonly unknown[] | undefined, width: number): string {
  if (!args || args.length === 0) return "";
  return shorten(args.map((a) => compactJson(a)).join(", "), width);
}

/** "Name: message", first line of the message only. */
export function errorText(error: ErrorInfo | undefined, width = DEFAULT_VALUE_WIDTH): string {
  if (!error) return "";
  const message = (error.message ?? "").split("\n")[0];
  const text = error.name && error.name !== "Error" ? `${error.name}: ${message}` : message || error.name || "error";
  return shorten(text, width);
}

/** JSON on one line; `undefined` (a void result) reads as "undefined". */
export function compactJson(value: unknown): string {
  if (value === undefined) return "undefined";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * JSON on one line with a space after each comma and colon, so long values wrap at word
 * boundaries: `{"a": 1, "b": [1, 2]}`.
 */
export function spacedJson(value: unknown): string {
  if (value === undefined) return "undefined";
  let plain: unknown;
  try {
    const json = JSON.stringify(value);
    if (json === undefined) return String(value);
    plain = JSON.parse(json);
  } catch {
    return String(value);
  }
  const spaced = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(spaced).join(", ")}]`;
    if (v !== null && typeof v === "object") {
      return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${spaced(x)}`).join(", ")}}`;
    }
    return JSON.stringify(v);
  };
  return spaced(plain);
}

/** Cuts text to at most `width` characters, ending with "…" when cut. Newlines become spaces. */
export function shorten(text: string, width: number): string {
  const flat = text.replace(/\s*\n\s*/g, " ");
  if (width <= 0) return "";
  const chars = Array.from(flat);
  if (chars.length <= width) return flat;
  if (width === 1) return "…";
  return chars.slice(0, width - 1).join("") + "…";
}

/** Pads or cuts text to exactly `width` characters. */
export function fit(text: string, width: number): string {
  const cut = shorten(text, width);
  return cut + " ".repeat(Math.max(0, width - Array.from(cut).length));
}

/**
 * Wraps text at spaces into lines of at most `width` characters (words longer than a line are
 * split), at most `maxLines` of them; the last line ends with "…" when text is left over.
 */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  if (width <= 0 || maxLines <= 0) return [];
  const lines: string[] = [];
  let line: string[] = [];
  const push = () => {
    lines.push(line.join(""));
    line = [];
  };
  for (const word of text.replace(/\s+/g, " ").trim().split(" ")) {
    let chars = Array.from(word);
    if (line.length > 0 && line.length + 1 + chars.length > width) push();
    if (line.length > 0) line.push(" ");
    while (line.length + chars.length > width) {
      const room = width - line.length;
      line.push(...chars.slice(0, room));
      chars = chars.slice(room);
      push();
    }
    line.push(...chars);
  }
  if (line.length > 0 || lines.length === 0) push();
  if (lines.length <= maxLines) return lines;
  return [...lines.slice(0, maxLines - 1), shorten(lines.slice(maxLines - 1).join(" "), width)];
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** Local wall-clock time with milliseconds: "14:03:07.120". */
export function formatTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** Local date and time to the second: "2026-03-01 14:03:07". */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** A duration for humans: "850ms", "4.2s", "3m 04s", "2h 05m", "3d 04h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.floor(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad2(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad2(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad2(Math.floor((s % 86_400) / 3600))}h`;
}

/** Milliseconds from `from` to `to` (or to `now` when `to` is missing); undefined without a start. */
export function elapsedMs(from: string | undefined, to: string | undefined, now: number): number | undefined {
  if (!from) return undefined;
  const start = Date.parse(from);
  const end = to ? Date.parse(to) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return undefined;
  return Math.max(0, end - start);
}
