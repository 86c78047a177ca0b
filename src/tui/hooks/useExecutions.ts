import { useEffect, useState } from "react";
import type { DfutClient } from "../../client/client.ts";
import { compareExecutions, type ExecutionRecord } from "../../common/executions.ts";
import { watchIndex } from "../../common/feeds.ts";
import { EXECUTIONS_BUCKET } from "../../common/names.ts";
import { openKv } from "../../common/resources.ts";
import { followAcrossReconnects } from "./useConnection.ts";

export interface ExecutionsFeed {
  /** Executions, newest start first. */
  records: ExecutionRecord[];
  /** True once the index's current contents have arrived. */
  loaded: boolean;
  error?: Error;
}

/**
 * The execution index as it changes: a KV watch (a JetStream consumer on the bucket) that
 * delivers every current record, then each put and delete as it happens. The watch carries on
 * by itself across reconnects; when it cannot be set up at all (the connection was down), the
 * feed watches again after the next reconnect and shows the new contents once they are in.
 */
export function useExecutions(client: DfutClient): ExecutionsFeed {
  const [feed, setFeed] = useState<ExecutionsFeed>({ records: [], loaded: false });
  useEffect(() => {
    const abort = new AbortController();
    const follow = async () => {
      const kv = await openKv(client.connection.nc, EXECUTIONS_BUCKET);
      // Each watch fills a map of its own, shown once it holds the index's current contents: a
      // watch set up again replaces what an earlier one showed.
      const byId = new Map<string, ExecutionRecord>();
      for await (const { changes } of watchIndex(kv, abort.signal)) {
        for (const change of changes) {
          if (change.kind === "put") byId.set(change.record.workflowId, change.record);
          else byId.delete(change.workflowId);
        }
        if (!abort.signal.aborted) setFeed({ records: [...byId.values()].sort(compareExecutions), loaded: true });
      }
    };
    void followAcrossReconnects(client.connection.nc, abort.signal, "the execution index watch", follow, (error) =>
      setFeed((prev) => ({ ...prev, error })),
    );
    return () => abort.abort();
  }, [client]);
  return feed;
}
