import { Box, Text } from "ink";
import type { ExecutionRecord } from "../../common/executions.ts";
import { CONNECTED, isConnected, type ConnectionState } from "../hooks/useConnection.ts";
import { ConnectionLine, connectionLineHeight, FeedError } from "./ConnectionLine.tsx";
import { ExecutionTable, executionColumns } from "./ExecutionTable.tsx";
import { KeyHelp } from "./KeyHelp.tsx";
import { Spinner } from "./Spinner.tsx";

export interface ExecutionsViewProps {
  /** Every execution, newest first. */
  records: readonly ExecutionRecord[];
  loaded: boolean;
  error?: Error;
  selected: number;
  offset: number;
  now: number;
  columns: number;
  rows: number;
  connection?: ConnectionState;
}

/** Rows of the execution table that fit: title, connection line, gap, table header, footer and a spare line aside. */
export function executionRowsFor(rows: number, connection: ConnectionState = CONNECTED): number {
  return Math.max(1, rows - 5 - connectionLineHeight(connection));
}

/** The execution list screen, from plain data. */
export function ExecutionsView({ records, loaded, error, selected, offset, now, columns, rows, connection = CONNECTED }: ExecutionsViewProps) {
  const width = Math.max(20, columns);
  const visible = executionRowsFor(rows, connection);
  const live = isConnected(connection);
  // Without a connection the durations stop where the list was last known.
  const knownAt = connection.state === "connected" ? now : connection.since;
  const shown = records.slice(offset, offset + visible);
  const running = records.filter((r) => r.status === "running").length;
  const position = records.length > visible ? `${offset + 1}-${offset + shown.length}/${records.length}` : "";
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>dfut executions</Text>
        <Text dimColor>{`  ${records.length} in all · ${running} running`}</Text>
      </Text>
      <ConnectionLine connection={connection} now={now} width={width} />
      <Box marginTop={1} flexDirection="column">
        {error ? (
          <FeedError error={error} live={live} />
        ) : !loaded ? (
          <Text>
            <Spinner /> loading executions…
          </Text>
        ) : records.length === 0 ? (
          <Text dimColor>no executions yet; they appear here as they start</Text>
        ) : (
          <ExecutionTable records={shown} selected={selected - offset} now={knownAt} width={width} columns={executionColumns(records, width)} />
        )}
      </Box>
      <KeyHelp keys="↑↓ select · enter open · q quit" note={position} width={width} />
    </Box>
  );
}
