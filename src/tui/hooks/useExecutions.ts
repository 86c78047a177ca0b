import { useEffect, useState } from "react";
import type { DfutClient } from "../../client/client.ts";
import type { ExecutionRecord } from "../../common/executions.ts";
import { EXECUTIONS_BUCKET } from "../../common/names.ts";
import { decodeJson } from "../../common/payload.ts";
import { openKv } from "../../common/resources.ts";

export interface ExecutionsFeed {
  /** Executions, newest start first. */
  records: ExecutionRecord[];
  /** True once the index's current contents have arrived. */
  loaded: boolean;
  error?: Error;
}

/**
 * The execution index as it changes: a KV watch (a JetStream consumer on the bucket) that
 * delivers every current record, then each put and delete as it happens.
 */
export function useExecutions(client: DfutClient): ExecutionsFeed {
  const [feed, setFeed] = useState<ExecutionsFeed>({ records: [], loaded: false });
  useEffect(() => {
    let stopped = false;
    let stopWatch: (() => void) | undefined;
    const byId = new Map<string, ExecutionRecord>();
    let loaded = false;
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      if (stopped) return;
      const records = [...byId.values()].sort(newestFirst);
      setFeed({ records, loaded });
    };
    const schedule = () => {
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(flush);
    };
    void (async () => {
      const kv = await openKv(client.connection.nc, EXECUTIONS_BUCKET);
      if (stopped) return;
      const status = await kv.status();
      // An empty bucket sends nothing to the watcher, so it is loaded as soon as it is open.
      if (status.values === 0) {
        loaded = true;
        schedule();
      }
      const watch = await kv.watch();
      stopWatch = () => watch.stop();
      if (stopped) {
        watch.stop();
        return;
      }
      for await (const entry of watch) {
        if (entry.operation === "PUT" && entry.value.length > 0) {
          try {
            byId.set(entry.key, decodeJson<ExecutionRecord>(entry.value));
          } catch {
            byId.delete(entry.key);
          }
        } else {
          byId.delete(entry.key);
        }
        if (entry.isUpdate || entry.delta === 0) loaded = true;
        schedule();
      }
    })().catch((err: unknown) => {
      if (stopped) return;
      setFeed((prev) => ({ ...prev, error: err instanceof Error ? err : new Error(String(err)) }));
    });
    return () => {
      stopped = true;
      stopWatch?.();
    };
  }, [client]);
  return feed;
}

function newestFirst(a: ExecutionRecord, b: ExecutionRecord): number {
  return (b.startedAt ?? "").localeCompare(a.startedAt ?? "") || a.workflowId.localeCompare(b.workflowId);
}
