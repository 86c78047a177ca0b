import type { StatusName } from "../format.ts";

const LABELS: Record<StatusName, string> = {
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  canceled: "Canceled",
  terminated: "Terminated",
  continued: "Continued",
  unknown: "Unknown",
};

export function StatusBadge({ status }: { status: StatusName }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      <span className="badge-dot" aria-hidden="true" />
      {LABELS[status]}
    </span>
  );
}
