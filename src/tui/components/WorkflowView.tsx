import { Box, Text } from "ink";
import type { HistoryEvent } from "../../common/events.ts";
import type { ActivityNames } from "../format.ts";
import { CONNECTED, isConnected, type ConnectionState } from "../hooks/useConnection.ts";
import type { WorkflowSummary } from "../summary.ts";
import { ConnectionLine, connectionLineHeight, FeedError } from "./ConnectionLine.tsx";
import { EventTable, typeWidthOf } from "./EventTable.tsx";
import { Header, HEADER_HEIGHT } from "./Header.tsx";
import { KeyHelp } from "./KeyHelp.tsx";
import { OpenWork, openWorkHeight } from "./OpenWork.tsx";
import { OutcomeView, outcomeHeight, TaskFailure } from "./OutcomeView.tsx";
import { Waiting } from "./Waiting.tsx";

export interface WorkflowViewProps {
  workflowId: string;
  summary: WorkflowSummary;
  /** The whole history so far. */
  events: readonly HistoryEvent[];
  names: ActivityNames;
  /** False while the stored history is still arriving. */
  caughtUp: boolean;
  error?: Error;
  /** Index of the first event row shown. */
  offset: number;
  following: boolean;
  now: number;
  columns: number;
  rows: number;
  /** Whether Esc leads back somewhere (the execution list). */
  canGoBack: boolean;
  connection?: ConnectionState;
}

const MAX_OPEN_ITEMS = 5;

function openItemCount(summary: WorkflowSummary): number {
  return summary.activities.length + summary.timers.length + summary.children.length + summary.updates.length;
}

/** How many event rows fit, given everything else the view shows. */
export function eventRowsFor(summary: WorkflowSummary, columns: number, rows: number, connection: ConnectionState = CONNECTED): number {
  const openItems = openItemCount(summary);
  const open = openWorkHeight(openItems, MAX_OPEN_ITEMS);
  const outcome = outcomeHeight(summary.outcome, columns);
  const fixed =
    HEADER_HEIGHT +
    connectionLineHeight(connection) +
    1 + // gap
    1 + // table header
    (open ? open + 1 : 0) +
    (outcome ? outcome + 1 : 0) +
    (summary.taskFailure ? 2 : 0) +
    1 + // footer
    1; // spare line so the frame never fills the screen
  return Math.max(1, rows - fixed);
}

/** The whole workflow screen, from plain data. */
export function WorkflowView(props: WorkflowViewProps) {
  const { workflowId, summary, events, names, caughtUp, error, offset, following, now, columns, rows, canGoBack } = props;
  const connection = props.connection ?? CONNECTED;
  const live = isConnected(connection);
  // Without a connection the clocks stop where the view last knew the workflow.
  const knownAt = connection.state === "connected" ? now : connection.since;
  const width = Math.max(20, columns);
  const visible = eventRowsFor(summary, width, rows, connection);
  const shown = events.slice(offset, offset + visible);
  const seqWidth = String(events.at(-1)?.seq ?? 0).length;
  const typeWidth = typeWidthOf(events);
  const keys = `↑↓ PgUp/PgDn scroll · g/G top/end${canGoBack ? " · esc back" : ""} · q quit`;
  const position = events.length > visible ? `${offset + 1}-${offset + shown.length}/${events.length}${following && live ? " live" : ""}` : "";
  return (
    <Box flexDirection="column">
      <Header workflowId={workflowId} summary={summary} eventCount={events.length} now={knownAt} width={width} connection={connection} />
      <ConnectionLine connection={connection} now={now} width={width} />
      <Box marginTop={1} flexDirection="column">
        {error ? (
          <FeedError error={error} live={live} />
        ) : events.length === 0 ? (
          caughtUp ? (
            <Waiting workflowId={workflowId} width={width} />
          ) : (
            <Text dimColor>loading history…</Text>
          )
        ) : (
          <EventTable events={shown} names={names} width={width} seqWidth={seqWidth} typeWidth={typeWidth} />
        )}
      </Box>
      {openItemCount(summary) > 0 ? (
        <Box marginTop={1}>
          <OpenWork
            activities={summary.activities}
            timers={summary.timers}
            children={summary.children}
            updates={summary.updates}
            now={knownAt}
            width={width}
            maxItems={MAX_OPEN_ITEMS}
            live={live}
          />
        </Box>
      ) : null}
      {summary.taskFailure && !summary.outcome ? (
        <Box marginTop={1}>
          <TaskFailure error={summary.taskFailure} width={width} />
        </Box>
      ) : null}
      {summary.outcome ? (
        <Box marginTop={1}>
          <OutcomeView outcome={summary.outcome} width={width} />
        </Box>
      ) : null}
      <KeyHelp keys={keys} note={position} width={width} />
    </Box>
  );
}
