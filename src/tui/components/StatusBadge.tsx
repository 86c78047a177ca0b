import { Text } from "ink";
import type { WorkflowStatus } from "../../common/events.ts";

export type ShownStatus = WorkflowStatus | "waiting";

const COLORS: Record<ShownStatus, string> = {
  waiting: "gray",
  running: "yellow",
  completed: "green",
  failed: "red",
  canceled: "magenta",
  terminated: "red",
  continued: "cyan",
};

const LABELS: Record<ShownStatus, string> = {
  waiting: "Waiting",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  canceled: "Canceled",
  terminated: "Terminated",
  continued: "Continued",
};

export const statusLabel = (status: ShownStatus) => LABELS[status];
export const statusColor = (status: ShownStatus) => COLORS[status];

/** "● Completed" in the status's colour, padded to `width` when given. */
export function StatusBadge({ status, width }: { status: ShownStatus; width?: number }) {
  const text = `● ${LABELS[status]}`;
  return <Text color={COLORS[status]}>{width ? text.padEnd(width) : text}</Text>;
}
