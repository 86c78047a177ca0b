import { Box, Text } from "ink";
import type { EventType, HistoryEvent } from "../../common/events.ts";
import { eventDetails, fit, formatTime, shorten, type ActivityNames } from "../format.ts";

export interface EventTableProps {
  /** The rows to show (already scrolled). */
  events: readonly HistoryEvent[];
  names: ActivityNames;
  width: number;
  /** Width of the seq column; the widest seq of the whole history keeps it steady while scrolling. */
  seqWidth: number;
}

const TIME_WIDTH = 12;
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
  Undecodable: "red",
};

export function eventColor(type: EventType): string | undefined {
  return EVENT_COLORS[type];
}

/** A header line and one line per event: seq, time, event type, details (cut to the width). */
export function EventTable({ events, names, width, seqWidth }: EventTableProps) {
  const sw = Math.max(3, seqWidth);
  const detailsWidth = Math.max(0, width - sw - TIME_WIDTH - TYPE_WIDTH - GAP.length * 3);
  const showDetails = detailsWidth >= 8;
  const typeWidth = showDetails ? TYPE_WIDTH : Math.max(0, width - sw - TIME_WIDTH - GAP.length * 2);
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
          <Text color={eventColor(event.type)}>{showDetails ? fit(event.type, typeWidth) : shorten(event.type, typeWidth)}</Text>
          {showDetails ? GAP + shorten(eventDetails(event, names, detailsWidth), detailsWidth) : ""}
        </Text>
      ))}
    </Box>
  );
}
