/** Whether a schedule fires: Active or Paused. */
export function SchedulePill({ paused }: { paused: boolean }) {
  return (
    <span className={`pill pill-${paused ? "paused" : "active"}`} data-state={paused ? "paused" : "active"}>
      {paused ? "Paused" : "Active"}
    </span>
  );
}
