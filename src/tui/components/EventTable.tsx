import { Box, Text } from "ink";
import type { EventType, HistoryEvent } from "../../common/events.ts";
import { eventDetails, fit, formatTime, shorten, type ActivityNames } from "../format.ts";
import { statusColor } from "./StatusBadge.tsx";

export interface EventTableProps {
  /** The rows to show (already scrolled). */
  events: readonly HistoryEvent[];
  names: ActivityNames;
  width: number;
  /** Width of the seq column; the widest seq of the whole history keeps it steady while scrolling. */
  seqWidth: number;
  /** Width of the event column, at least TYPE_WIDTH; typeWidthOf the whole history keeps it steady while scrolling. */
  typeWidth?: number;
}

const TIME_WIDTH = 12;
/** Fits every kind but the longest few (child workflows, continue-as-new), which widen the column when present. */
const TYPE_WIDTH = 18;
const GAP = "  ";

const EVENT_COLORS: Readonly<Record<EventType, string | undefined>> = {
  WorkflowStarted: "cyan",
  ActivityScheduled: "blue",
  ActivityStarted: undefined,
  ActivityCompleted: "green",
  ActivityFailed: "red",
  TimerStarted: "blue",
  TimerFired: undefined,
  SignalReceived: undefined,
  CancelRequested: "magenta",
  WorkflowCompleted: "green",
  WorkflowFailed: "red",
  WorkflowCanceled: "magenta",
  WorkflowTerminated: "red",
  PatchMarked: undefined,
  WorkflowTaskFailed: "red",
  WorkflowContinuedAsNew: "cyan",
  ChildWorkflowScheduled: "blue",
  ChildWorkflowStarted: undefined,
  ChildWorkflowStartFailed: "red",
  // When the child completed; eventColor gives its other closes the colour of their status.
  ChildWorkflowClosed: "green",
  ChildWorkflowSignaled: undefined,
  StepCanceled: "magenta",
  UpdateAccepted: "blue",
  // When the handler returned; eventColor makes a failed one red.
  UpdateCompleted: "green",
  Undecodable: "red",
};

export function eventColor(event: HistoryEvent): string | undefined {
  if (event.type === "ChildWorkflowClosed" && event.status !== "completed") return statusColor(event.status);
  if (event.type === "UpdateCompleted" && event.error) return "red";
  return EVENT_COLORS[event.type];
}

/** The event column's width for these events: TYPE_WIDTH, or the longest type among them. */
export function typeWidthOf(events: readonly HistoryEvent[]): number {
  let width = TYPE_WIDTH;
  for (const event of events) width = Math.max(width, event.type.length);
  return width;
}

/** A header line and one line per event: seq, time, event type, details (cut to the width). */
export function EventTable({ events, names, width, seqWidth, typeWidth: wanted = typeWidthOf(events) }: EventTableProps) {
  const sw = Math.max(3, seqWidth);
  const detailsWidth = Math.max(0, width - sw - TIME_WIDTH - wanted - GAP.length * 3);
  const showDetails = detailsWidth >= 8;
  const typeWidth = showDetails ? wanted : Math.max(0, width - sw - TIME_WIDTH - GAP.length * 2);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {"seq".padStart(sw)}
        {GAP}
        {fit("time", TIME_WIDTH)}
        {GAP}
        {showDetails ? fit("event", typeWidth) + GAP + "details" : shorten("event", typeWidth)}
      </Text>
      {events.map((event) => (
        <Text key={event.seq} wrap="truncate-end">
          {String(event.seq).padStart(sw)}
          {GAP}
          <Text dimColor>{fit(formatTime(event.time), TIME_WIDTH)}</Text>
          {GAP}
          <Text color={eventColor(event)}>{showDetails ? fit(event.type, typeWidth) : shorten(event.type, typeWidth)}</Text>
          {showDetails ? GAP + shorten(eventDetails(event, names, detailsWidth), detailsWidth) : ""}
        </Text>
      ))}
    </Box>
  );
}
