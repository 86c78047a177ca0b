import { useState } from "react";
import type { Workflow, WorkflowStatus } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { api } from "../api.ts";
import { useStream, type StreamState } from "./useStream.ts";

export interface WorkflowsFilter {
  status?: WorkflowStatus;
  workflowType?: string;
  idPrefix?: string;
}

export interface WorkflowsFeed extends StreamState {
  workflows: Map<string, Workflow>;
  /** The index's contents have arrived. */
  loaded: boolean;
}

/** The execution index, live: WatchWorkflows sends the contents, then every change. */
export function useWorkflows(filter: WorkflowsFilter = {}): WorkflowsFeed {
  const [workflows, setWorkflows] = useState<Map<string, Workflow>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const stream = useStream(
    async (signal) => {
      let current = new Map<string, Workflow>();
      let first = true;
      for await (const message of api.watchWorkflows(filter, { signal })) {
        // A new stream resends everything: start from an empty map.
        if (first) current = new Map();
        first = false;
        for (const wf of message.upserted) current.set(wf.workflowId, wf);
        for (const id of message.removed) current.delete(id);
        if (message.caughtUp) {
          setWorkflows(new Map(current));
          setLoaded(true);
        }
      }
    },
    [filter.status, filter.workflowType, filter.idPrefix],
  );
  return { ...stream, workflows, loaded };
}
