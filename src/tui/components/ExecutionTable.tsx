import { Box, Text } from "ink";
import type { ExecutionRecord } from "../../common/executions.ts";
import { elapsedMs, errorText, fit, formatDateTime, formatDuration, shorten } from "../format.ts";
import { StatusBadge } from "./StatusBadge.tsx";

export interface ExecutionTableProps {
  /** The rows to show (already scrolled). */
  records: readonly ExecutionRecord[];
  /** Index within `records` of the highlighted row, or -1. */
  selected: number;
  now: number;
  width: number;
}

const STATUS_WIDTH = 11;
const STARTED_WIDTH = 19;
const DURATION_WIDTH = 9;
const GAP = "  ";

/** The note column: why a workflow is stuck, or how it failed. */
function note(record: ExecutionRecord): string {
  if (record.problem) return `⚠ ${record.problem}`;
  if (record.error) return errorText(record.error);
  return "";
}

/** A header line and one line per execution: status, type, id, started, duration, note. */
export function ExecutionTable({ records, selected, now, width }: ExecutionTableProps) {
  const rest = Math.max(0, width - 2 - STATUS_WIDTH - STARTED_WIDTH - DURATION_WIDTH - GAP.length * 4);
  const typeWidth = Math.min(24, Math.max(6, Math.floor(rest * 0.35)));
  const idWidth = Math.min(40, Math.max(6, Math.floor(rest * 0.45)));
  const noteWidth = Math.max(0, rest - typeWidth - idWidth - GAP.length);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold>
        {"  "}
        {fit("status", STATUS_WIDTH)}
        {GAP}
        {fit("type", typeWidth)}
        {GAP}
        {fit("workflow id", idWidth)}
        {GAP}
        {fit("started", STARTED_WIDTH)}
        {GAP}
        {"duration".padStart(DURATION_WIDTH)}
        {noteWidth > 0 ? GAP + "note" : ""}
      </Text>
      {records.map((record, i) => {
        const isSelected = i === selected;
        const duration = elapsedMs(record.startedAt, record.closedAt, now);
        return (
          <Text key={record.workflowId} inverse={isSelected}>
            {isSelected ? "› " : "  "}
            <StatusBadge status={record.status} width={STATUS_WIDTH} />
            {GAP}
            {fit(record.workflowType ?? "?", typeWidth)}
            {GAP}
            {fit(record.workflowId, idWidth)}
            {GAP}
            <Text dimColor={!isSelected}>{fit(formatDateTime(record.startedAt), STARTED_WIDTH)}</Text>
            {GAP}
            {(duration === undefined ? "" : formatDuration(duration)).padStart(DURATION_WIDTH)}
            {noteWidth > 0 ? <Text color="red">{GAP + shorten(note(record), noteWidth)}</Text> : ""}
          </Text>
        );
      })}
    </Box>
  );
}
