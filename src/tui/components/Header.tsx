import { Box, Text } from "ink";
import { elapsedMs, formatDuration, formatTime, shorten } from "../format.ts";
import { CONNECTED, type ConnectionState } from "../hooks/useConnection.ts";
import type { WorkflowSummary } from "../summary.ts";
import { StatusBadge, statusLabel } from "./StatusBadge.tsx";

export interface HeaderProps {
  workflowId: string;
  summary: WorkflowSummary;
  eventCount: number;
  /** The time to measure the elapsed time to; the moment the connection was lost while it is down. */
  now: number;
  width: number;
  connection?: ConnectionState;
}

export const HEADER_HEIGHT = 2;

/**
 * Two lines: type and id (and the parent, for a child) with the status on the right; start
 * time, run, elapsed time, queue, event count.
 */
export function Header({ workflowId, summary, eventCount, now, width, connection = CONNECTED }: HeaderProps) {
  // A workflow that has closed stays closed; any other status (a run that continued as new is
  // followed by the next) may be out of date without NATS.
  const mayBeStale = summary.status === "running" || summary.status === "waiting" || summary.status === "continued";
  const offline = !mayBeStale || connection.state === "connected" ? undefined : connection.state === "closed" ? "⚠ Disconnected" : "⚠ Reconnecting";
  const badgeWidth = (offline ?? `● ${statusLabel(summary.status)}`).length;
  const type = summary.workflowType ?? "workflow";
  const parent = summary.parent ? `  child of ${summary.parent.workflowId}` : "";
  const title = shorten(`${type}  ${workflowId}${parent}`, Math.max(1, width - badgeWidth - 2));
  const elapsed = elapsedMs(summary.startedAt, summary.closedAt, now);
  const facts = [
    summary.startedAt ? `started ${formatTime(summary.startedAt)}` : "not started",
    summary.runId ? `run ${summary.runId}${summary.continuedFrom ? `, continued from ${summary.continuedFrom}` : ""}` : undefined,
    elapsed === undefined ? undefined : `elapsed ${formatDuration(elapsed)}`,
    summary.queue ? `queue ${summary.queue}` : undefined,
    `${eventCount} event${eventCount === 1 ? "" : "s"}`,
    summary.cancelRequested && !summary.outcome ? "cancel requested" : undefined,
  ].filter(Boolean);
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between">
        <Text bold wrap="truncate-end">
          {title}
        </Text>
        <Box flexShrink={0} marginLeft={1}>
          {offline ? <Text color="red">{offline}</Text> : <StatusBadge status={summary.status} />}
        </Box>
      </Box>
      <Text dimColor wrap="truncate-end">{shorten(facts.join(" · "), width)}</Text>
    </Box>
  );
}
