import { useState } from "react";
import { useApp, useInput, useStdin } from "ink";
import type { DfutClient } from "../client/client.ts";
import { useConnection } from "./hooks/useConnection.ts";
import { ExecutionsScreen } from "./screens/ExecutionsScreen.tsx";
import { WorkflowScreen } from "./screens/WorkflowScreen.tsx";

export interface WatchAppProps {
  client: DfutClient;
  /** Watch this workflow; without it, start at the list of executions. */
  workflowId?: string;
}

/** `dfut watch`: one workflow, or the list of executions with a way into each. `q` quits. */
export function WatchApp({ client, workflowId }: WatchAppProps) {
  const { exit } = useApp();
  const [opened, setOpened] = useState<string | undefined>(undefined);
  const { isRawModeSupported } = useStdin();
  // Held here, above the screens, so opening another screen keeps what is known about the connection.
  const connection = useConnection(client);
  useInput(
    (input) => {
      if (input === "q") exit();
    },
    { isActive: isRawModeSupported },
  );
  if (workflowId) return <WorkflowScreen client={client} workflowId={workflowId} connection={connection} />;
  if (opened) {
    return <WorkflowScreen key={opened} client={client} workflowId={opened} onBack={() => setOpened(undefined)} connection={connection} />;
  }
  return <ExecutionsScreen client={client} onOpen={setOpened} connection={connection} />;
}
