import { useState } from "react";
import type { HistoryEvent } from "../../api/gen/dfut/v1/workflow_pb.ts";
import { api } from "../api.ts";
import { useStream, type StreamState } from "./useStream.ts";

export interface HistoryFeed extends StreamState {
  events: HistoryEvent[];
  /** Everything recorded before the page opened has arrived. */
  caughtUp: boolean;
  /** The stream ended after the workflow's closing event. */
  complete: boolean;
}

/**
 * A workflow's events as they are appended: WatchHistory, an ordered consumer on the server.
 * From the start of run `runId` (and on through the runs a continue-as-new begins), or of the
 * current run when unset; a new `runId` opens a new stream.
 */
export function useHistory(workflowId: string, runId?: string): HistoryFeed {
  const [events, setEvents] = useState<HistoryEvent[]>([]);
  const [caughtUp, setCaughtUp] = useState(false);
  const [complete, setComplete] = useState(false);
  const stream = useStream(
    async (signal) => {
      let all: HistoryEvent[] = [];
      let first = true;
      setComplete(false);
      for await (const message of api.watchHistory({ workflowId, runId: runId ?? "" }, { signal })) {
        if (first) all = [];
        first = false;
        all = all.concat(message.events);
        setEvents(all);
        if (message.caughtUp) setCaughtUp(true);
      }
      setCaughtUp(true);
      setComplete(true);
    },
    [workflowId, runId],
  );
  return { ...stream, events, caughtUp, complete };
}
