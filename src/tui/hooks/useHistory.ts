import { useEffect, useState } from "react";
import type { DfutClient } from "../../client/client.ts";
import type { HistoryEvent } from "../../common/events.ts";
import { watchHistory } from "../../common/feeds.ts";
import { followAcrossReconnects } from "./useConnection.ts";

export interface HistoryFeed {
  /** Events so far, in stream order. */
  events: HistoryEvent[];
  /** True once every event stored when the feed opened has arrived (an empty history counts). */
  caughtUp: boolean;
  error?: Error;
}

/**
 * The workflow's history as it grows: an ordered JetStream consumer on its history subject,
 * from the first event on, that keeps delivering new events as they are appended. Works for a
 * workflow that has not started yet: the consumer simply waits for its first event. The
 * ordered consumer carries on by itself across reconnects; when it cannot be set up at all (the
 * connection was down), the feed tries again after the next reconnect, from the event after
 * the last one it has.
 */
export function useHistory(client: DfutClient, workflowId: string): HistoryFeed {
  const [feed, setFeed] = useState<HistoryFeed>({ events: [], caughtUp: false });
  useEffect(() => {
    setFeed({ events: [], caughtUp: false });
    const abort = new AbortController();
    let lastSeq = 0;
    const follow = async () => {
      for await (const { events, caughtUp } of watchHistory(client.connection, workflowId, { signal: abort.signal, afterSeq: lastSeq })) {
        if (abort.signal.aborted) return;
        lastSeq = events.at(-1)?.seq ?? lastSeq;
        setFeed((prev) => ({ ...prev, events: events.length ? [...prev.events, ...events] : prev.events, caughtUp: prev.caughtUp || caughtUp }));
      }
    };
    void followAcrossReconnects(client.connection.nc, abort.signal, `the history feed of ${workflowId}`, follow, (error) =>
      setFeed((prev) => ({ ...prev, error })),
    );
    return () => abort.abort();
  }, [client, workflowId]);
  return feed;
}
