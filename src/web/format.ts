/** Times, durations, statuses, events and JSON, as the UI shows them. */
import { toJson, type JsonValue } from "@bufbuild/protobuf";
import { timestampDate, ValueSchema, type Timestamp, type Value } from "@bufbuild/protobuf/wkt";
import {
  HistoryEventSchema,
  OverlapPolicy,
  ScheduleRunState,
  WorkflowStatus,
  type HistoryEvent,
  type ScheduleRun,
} from "../api/gen/dfut/v1/workflow_pb.ts";

export type StatusName = "running" | "completed" | "failed" | "canceled" | "terminated" | "continued" | "unknown";

type KnownStatus = (typeof WorkflowStatus)[keyof typeof WorkflowStatus];

/**
 * A new status does not compile until it has a name here, and a filter label or a reason why
 * the dashboard offers no filter for it.
 */
const STATUSES: { readonly [S in KnownStatus]: { name: StatusName; filter: string | undefined } } = {
  [WorkflowStatus.UNSPECIFIED]: { name: "unknown", filter: "All" },
  [WorkflowStatus.RUNNING]: { name: "running", filter: "Running" },
  [WorkflowStatus.COMPLETED]: { name: "completed", filter: "Completed" },
  [WorkflowStatus.FAILED]: { name: "failed", filter: "Failed" },
  [WorkflowStatus.CANCELED]: { name: "canceled", filter: "Canceled" },
  [WorkflowStatus.TERMINATED]: { name: "terminated", filter: "Terminated" },
  // Only for the moment between a run that continued as new and the next run's start, which
  // dfut server records at once: the chip would show 0 nearly always. "All" lists them.
  [WorkflowStatus.CONTINUED]: { name: "continued", filter: undefined },
};

function isKnown(status: WorkflowStatus): status is KnownStatus {
  return Object.hasOwn(STATUSES, status);
}

export function statusName(status: WorkflowStatus): StatusName {
  // A newer server may send a status this page's schema does not know.
  return isKnown(status) ? STATUSES[status].name : "unknown";
}

/** The dashboard's filter chips, in the enum's order; UNSPECIFIED is "All". */
export const STATUS_FILTERS: { label: string; status: WorkflowStatus }[] = Object.values(WorkflowStatus).flatMap((status) => {
  const label = STATUSES[status].filter;
  return label === undefined ? [] : [{ label, status }];
});

export function toMillis(ts: Timestamp | undefined): number | undefined {
  return ts ? timestampDate(ts).getTime() : undefined;
}

export function jsonOf(value: Value | undefined): JsonValue {
  return value ? toJson(ValueSchema, value) : null;
}

/** The fields of an event's kind as JSON, defaults included; null for a kind this page does not know. */
export function eventFields({ event }: HistoryEvent): JsonValue {
  if (event.case === undefined) return null;
  const field = HistoryEventSchema.field[event.case];
  return field.fieldKind === "message" ? toJson(field.message, event.value, { alwaysEmitImplicit: true }) : null;
}

/** "350 ms", "4.2 s", "3 min 05 s", "2 h 07 min". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** Today: time only; otherwise date and time. Local time zone. */
export function formatTime(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined) return "—";
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  if (new Date(now).toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" })} ${time}`;
}

/** Time with milliseconds, for the timeline. */
export function formatClock(ms: number | undefined): string {
  if (ms === undefined) return "—";
  const d = new Date(ms);
  const hms = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  return `${hms}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

export function formatJson(value: JsonValue | undefined, indent = 2): string {
  if (value === undefined) return "";
  return JSON.stringify(value, null, indent);
}

/** A one-line preview of a JSON value. */
export function previewJson(value: JsonValue | undefined, max = 80): string {
  const s = JSON.stringify(value ?? null);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A form field as the CLI reads arguments: JSON where it parses, else the text itself. */
export function parseArgument(text: string): JsonValue {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  try {
    return JSON.parse(trimmed) as JsonValue;
  } catch {
    return text;
  }
}

/** The Query box's arguments field: empty is none, else a JSON array with one element per argument. */
export function parseQueryArgs(text: string): JsonValue[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(trimmed) as JsonValue;
  } catch (err) {
    throw new Error(`The arguments are not JSON (${(err as Error).message}): write a JSON array, e.g. ["a", 2]`);
  }
  if (!Array.isArray(parsed)) throw new Error(`The arguments must be a JSON array, one element per argument, e.g. [${trimmed}]`);
  return parsed;
}

/** How long until `ms`, roughly: "in 4 s", "in 3 min", "in 2 h", "in 5 d"; "now" once due. */
export function formatUntil(ms: number | undefined, now = Date.now()): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  const s = Math.ceil((ms - now) / 1000);
  if (s <= 0) return "now";
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.round(s / 60)} min`;
  if (s < 86_400) return `in ${Math.round(s / 3600)} h`;
  return `in ${Math.round(s / 86_400)} d`;
}

/**
 * When to read a schedule again: soon after its next fire is due (its runs and next times move
 * then), else after `maxMs`; never sooner than a second.
 */
export function refreshDelay(nextFires: readonly (number | undefined)[], maxMs: number, now = Date.now()): number {
  const due = nextFires.filter((t): t is number => t !== undefined && t > now);
  if (due.length === 0) return maxMs;
  return Math.min(maxMs, Math.max(1000, Math.min(...due) - now + 300));
}

/** Where a reset run comes from, as its start card says it: "reset from run 5 after event 9 (bug fixed)". */
export function resetText(reset: { fromRunId: string; toSeq: number; reason: string }): string {
  return `reset from run ${reset.fromRunId} after event ${reset.toSeq}${reset.reason ? ` (${reset.reason})` : ""}`;
}

const OVERLAP_NAMES: Readonly<Record<OverlapPolicy, string>> = {
  [OverlapPolicy.UNSPECIFIED]: "skip",
  [OverlapPolicy.SKIP]: "skip",
  [OverlapPolicy.BUFFER_ONE]: "buffer one",
  [OverlapPolicy.ALLOW_ALL]: "allow all",
};

/** What a schedule does with a fire while its last workflow still runs, in words. */
export function overlapName(policy: OverlapPolicy): string {
  return OVERLAP_NAMES[policy] ?? "unknown";
}

export interface ScheduleRunView {
  /** The workflow's status, when it was started and is still kept. */
  status?: StatusName;
  /** Otherwise what became of the start. */
  label: string;
}

const RUN_STATES: Readonly<Record<ScheduleRunState, string>> = {
  [ScheduleRunState.UNSPECIFIED]: "—",
  [ScheduleRunState.STARTING]: "Starting",
  [ScheduleRunState.STARTED]: "Started",
  [ScheduleRunState.NOT_STARTED]: "Not started",
  [ScheduleRunState.REMOVED]: "Removed",
  [ScheduleRunState.BUFFERED]: "Buffered",
};

/** A schedule's run for a person: its workflow's status once started, else what became of its start. */
export function scheduleRunView(run: ScheduleRun): ScheduleRunView {
  if (run.state === ScheduleRunState.STARTED) return { status: statusName(run.status), label: RUN_STATES[run.state] };
  return { label: RUN_STATES[run.state] ?? "Unknown" };
}
