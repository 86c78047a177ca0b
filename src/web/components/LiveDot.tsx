/** Whether a live stream is open: a pulsing dot, or the reason it is down. */
export function LiveDot({ live, error }: { live: boolean; error?: string }) {
  if (live && !error) {
    return (
      <span className="live" title="Live: updates arrive as they happen">
        <span className="live-dot" aria-hidden="true" /> Live
      </span>
    );
  }
  return (
    <span className="live live-down" title={error ?? "Disconnected"}>
      <span className="live-dot" aria-hidden="true" /> {error ? "Reconnecting…" : "Offline"}
    </span>
  );
}
