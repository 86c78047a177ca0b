import { Box, Text } from "ink";
import { elapsedMs, formatDuration, formatTime, shorten } from "../format.ts";
import type { WorkflowSummary } from "../summary.ts";
import { StatusBadge, statusLabel } from "./StatusBadge.tsx";

export interface HeaderProps {
  workflowId: string;
  summary: WorkflowSummary;
  eventCount: number;
  now: number;
  width: number;
}

export const HEADER_HEIGHT = 2;

/** Two lines: type and id with the status on the right; start time, elapsed time, queue, event count. */
export function Header({ workflowId, summary, eventCount, now, width }: HeaderProps) {
  const badgeWidth = statusLabel(summary.status).length + 2;
  const type = summary.workflowType ?? "workflow";
  const title = shorten(`${type}  ${workflowId}`, Math.max(1, width - badgeWidth - 2));
  const elapsed = elapsedMs(summary.startedAt, summary.closedAt, now);
  const facts = [
    summary.startedAt ? `started ${formatTime(summary.startedAt)}` : "not started",
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
          <StatusBadge status={summary.status} />
        </Box>
      </Box>
      <Text dimColor wrap="truncate-end">{shorten(facts.join(" · "), width)}</Text>
    </Box>
  );
}
