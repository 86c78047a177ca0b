import { Box, Text } from "ink";
import type { ExecutionRecord } from "../../common/executions.ts";
import { elapsedMs, errorText, fit, formatDateTime, formatDuration, formatTime, shorten } from "../format.ts";
import { StatusBadge } from "./StatusBadge.tsx";

export interface ExecutionTableProps {
  /** The rows to show (already scrolled). */
  records: readonly ExecutionRecord[];
  /** Index within `records` of the highlighted row, or -1. */
  selected: number;
  now: number;
  width: number;
  /** Column widths; by default fitted to `records`. Pass widths fitted to every row to keep them steady while scrolling. */
  columns?: ExecutionColumns;
}

const STATUS_WIDTH = 11;
const DURATION_WIDTH = 9;
const GAP = "  ";

export interface ExecutionColumns {
  type: number;
  id: number;
  started: number;
  /** 0 when there is no room for notes. */
  note: number;
}

/** Column widths for a terminal `width` wide: the id first, then the type, then notes. */
export function executionColumns(records: readonly ExecutionRecord[], width: number): ExecutionColumns {
  const started = width >= 100 ? 19 : 8;
  const rest = Math.max(0, width - 2 - STATUS_WIDTH - started - DURATION_WIDTH - GAP.length * 4);
  const longest = (values: string[], min: number) => Math.max(min, ...values.map((v) => v.length));
  const id = Math.max(4, Math.min(longest(records.map((r) => r.workflowId), 11), 40, Math.ceil(rest * 0.55)));
  const type = Math.max(4, Math.min(longest(records.map((r) => r.workflowType ?? "?"), 4), 24, rest - id));
  const left = rest - id - type - GAP.length;
  return { type, id, started, note: left >= 10 ? left : 0 };
}

/** The note column: why a workflow is stuck, or how it failed. */
function note(record: ExecutionRecord): string {
  if (record.problem) return `⚠ ${record.problem}`;
  if (record.error) return errorText(record.error);
  return "";
}

/** A header line and one line per execution: status, type, id, started, duration, note. */
export function ExecutionTable({ records, selected, now, width, columns = executionColumns(records, width) }: ExecutionTableProps) {
  const { type: typeWidth, id: idWidth, note: noteWidth } = columns;
  const started = (iso: string | undefined) => (columns.started === 8 ? formatTime(iso).slice(0, 8) : formatDateTime(iso));
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate-end">
        {"  "}
        {fit("status", STATUS_WIDTH)}
        {GAP}
        {fit("type", typeWidth)}
        {GAP}
        {fit("workflow id", idWidth)}
        {GAP}
        {fit("started", columns.started)}
        {GAP}
        {"duration".padStart(DURATION_WIDTH)}
        {noteWidth > 0 ? GAP + "note" : ""}
      </Text>
      {records.map((record, i) => {
        const isSelected = i === selected;
        const duration = elapsedMs(record.startedAt, record.closedAt, now);
        return (
          <Text key={record.workflowId} inverse={isSelected} wrap="truncate-end">
            {isSelected ? "› " : "  "}
            <StatusBadge status={record.status} width={STATUS_WIDTH} />
            {GAP}
            {fit(record.workflowType ?? "?", typeWidth)}
            {GAP}
            {fit(record.workflowId, idWidth)}
            {GAP}
            <Text dimColor={!isSelected}>{fit(started(record.startedAt), columns.started)}</Text>
            {GAP}
            {(duration === undefined ? "" : formatDuration(duration)).padStart(DURATION_WIDTH)}
            {noteWidth > 0 ? <Text color="red">{GAP + shorten(note(record), noteWidth)}</Text> : ""}
          </Text>
        );
      })}
    </Box>
  );
}
