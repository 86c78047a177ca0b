import { useMemo } from "react";
import { useInput, useStdin, useWindowSize } from "ink";
import type { DfutClient } from "../../client/client.ts";
import { eventRowsFor, WorkflowView } from "../components/WorkflowView.tsx";
import { activityNames } from "../format.ts";
import { isConnected, type ConnectionState } from "../hooks/useConnection.ts";
import { useHistory } from "../hooks/useHistory.ts";
import { useNow } from "../hooks/useNow.ts";
import { useScroll } from "../hooks/useScroll.ts";
import { summarize } from "../summary.ts";

export interface WorkflowScreenProps {
  client: DfutClient;
  workflowId: string;
  /** Called on Esc; without it Esc does nothing. */
  onBack?: () => void;
  connection: ConnectionState;
}

/** One workflow, live: its history feed, scrolling, and the keys that drive them. */
export function WorkflowScreen({ client, workflowId, onBack, connection }: WorkflowScreenProps) {
  const { columns, rows } = useWindowSize();
  const { events, caughtUp, error } = useHistory(client, workflowId);
  const summary = useMemo(() => summarize(events), [events]);
  const names = useMemo(() => activityNames(events), [events]);
  // A run that continued as new is followed by the next run.
  const live = summary.status === "running" || summary.status === "waiting" || summary.status === "continued";
  // The connection line counts the time since the connection was lost, whatever the status.
  const ticking = live || !isConnected(connection);
  const now = useNow(ticking ? 250 : 1000, ticking);
  const visible = eventRowsFor(summary, columns, rows, connection);
  const scroll = useScroll(events.length, visible);
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (key.upArrow || input === "k") scroll.by(-1);
      else if (key.downArrow || input === "j") scroll.by(1);
      else if (key.pageUp) scroll.by(-visible);
      else if (key.pageDown || input === " ") scroll.by(visible);
      else if (key.home || input === "g") scroll.top();
      else if (key.end || input === "G") scroll.bottom();
      else if ((key.escape || key.backspace || key.leftArrow) && onBack) onBack();
    },
    { isActive: isRawModeSupported },
  );
  return (
    <WorkflowView
      workflowId={workflowId}
      summary={summary}
      events={events}
      names={names}
      caughtUp={caughtUp}
      error={error}
      offset={scroll.offset}
      following={scroll.following}
      now={now}
      columns={columns}
      rows={rows}
      canGoBack={onBack !== undefined}
      connection={connection}
    />
  );
}
