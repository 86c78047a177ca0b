import { useMemo } from "react";
import { useInput, useStdin, useWindowSize } from "ink";
import type { DfutClient } from "../../client/client.ts";
import { executionRowsFor, ExecutionsView } from "../components/ExecutionsView.tsx";
import { isConnected, type ConnectionState } from "../hooks/useConnection.ts";
import { useExecutions } from "../hooks/useExecutions.ts";
import { useNow } from "../hooks/useNow.ts";
import { useSelection } from "../hooks/useSelection.ts";

export interface ExecutionsScreenProps {
  client: DfutClient;
  onOpen: (workflowId: string) => void;
  connection: ConnectionState;
}

/** The live execution list: pick one with the arrows and Enter. */
export function ExecutionsScreen({ client, onOpen, connection }: ExecutionsScreenProps) {
  const { columns, rows } = useWindowSize();
  const { records, loaded, error } = useExecutions(client);
  const keys = useMemo(() => records.map((r) => r.workflowId), [records]);
  const visible = executionRowsFor(rows, connection);
  const selection = useSelection(keys, visible);
  const anyRunning = records.some((r) => r.status === "running");
  const now = useNow(1000, anyRunning || !isConnected(connection));
  const { isRawModeSupported } = useStdin();
  useInput(
    (input, key) => {
      if (key.upArrow || input === "k") selection.by(-1);
      else if (key.downArrow || input === "j") selection.by(1);
      else if (key.pageUp) selection.by(-visible);
      else if (key.pageDown) selection.by(visible);
      else if (key.home || input === "g") selection.first();
      else if (key.end || input === "G") selection.last();
      else if ((key.return || key.rightArrow) && selection.index >= 0) onOpen(keys[selection.index]);
    },
    { isActive: isRawModeSupported },
  );
  return (
    <ExecutionsView
      records={records}
      loaded={loaded}
      error={error}
      selected={selection.index}
      offset={selection.offset}
      now={now}
      columns={columns}
      rows={rows}
      connection={connection}
    />
  );
}
