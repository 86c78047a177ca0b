import { Box, Text } from "ink";
import type { ExecutionRecord } from "../../common/executions.ts";
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
}

/** Rows of the execution table that fit: title, gap, table header, footer and a spare line aside. */
export function executionRowsFor(rows: number): number {
  return Math.max(1, rows - 5);
}

/** The execution list screen, from plain data. */
export function ExecutionsView({ records, loaded, error, selected, offset, now, columns, rows }: ExecutionsViewProps) {
  const width = Math.max(20, columns);
  const visible = executionRowsFor(rows);
  const shown = records.slice(offset, offset + visible);
  const running = records.filter((r) => r.status === "running").length;
  const position = records.length > visible ? `${offset + 1}-${offset + shown.length}/${records.length}` : "";
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold>dfut executions</Text>
        <Text dimColor>{`  ${records.length} in all · ${running} running`}</Text>
      </Text>
      <Box marginTop={1} flexDirection="column">
        {error ? (
          <Text color="red">{error.message}</Text>
        ) : !loaded ? (
          <Text>
            <Spinner /> loading executions…
          </Text>
        ) : records.length === 0 ? (
          <Text dimColor>no executions yet; they appear here as they start</Text>
        ) : (
          <ExecutionTable records={shown} selected={selected - offset} now={now} width={width} columns={executionColumns(records, width)} />
        )}
      </Box>
      <KeyHelp keys="↑↓ select · enter open · q quit" note={position} width={width} />
    </Box>
  );
}
