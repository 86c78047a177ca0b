import { useEffect, useState } from "react";
import type { KvWatchEntry } from "@nats-io/kv";
import type { DfutClient } from "../../client/client.ts";
import type { ExecutionRecord } from "../../common/executions.ts";
import { EXECUTIONS_BUCKET } from "../../common/names.ts";
import { decodeJson } from "../../common/payload.ts";
import { openKv } from "../../common/resources.ts";
import { nextReconnect, type NextReconnect } from "./useConnection.ts";

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
    let stopped = false;
    let stopWatch: (() => void) | undefined;
    let reconnect: NextReconnect | undefined;
    let byId = new Map<string, ExecutionRecord>();
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
    const watchIndex = async () => {
      const kv = await openKv(client.connection.nc, EXECUTIONS_BUCKET);
      if (stopped) return;
      // Each watch fills a map of its own, shown once it holds the index's current contents: a
      // watch set up again replaces what an earlier one showed.
      const records = new Map<string, ExecutionRecord>();
      let current = false;
      const ready = () => {
        current = loaded = true;
        byId = records;
        schedule();
      };
      const status = await kv.status();
      // An empty bucket sends nothing to the watcher, so it is loaded as soon as it is open.
      if (status.values === 0) ready();
      const watch = await kv.watch();
      stopWatch = () => watch.stop();
      if (stopped) return;
      for await (const entry of watch) {
        apply(records, entry);
        if (!current && (entry.isUpdate || entry.delta === 0)) ready();
        else if (current) schedule();
      }
      if (!stopped) throw new Error("the execution index watch stopped");
    };
    void (async () => {
      while (!stopped) {
        reconnect = nextReconnect(client.connection.nc);
        try {
          await watchIndex();
          stopWatch?.();
          return;
        } catch (err) {
          stopWatch?.();
          if (stopped) return;
          setFeed((prev) => ({ ...prev, error: err instanceof Error ? err : new Error(String(err)) }));
          if (!(await reconnect.reconnected) || stopped) return;
          setFeed((prev) => ({ ...prev, error: undefined }));
        } finally {
          reconnect.cancel();
        }
      }
    })();
    return () => {
      stopped = true;
      reconnect?.cancel();
      stopWatch?.();
    };
  }, [client]);
  return feed;
}

function apply(records: Map<string, ExecutionRecord>, entry: KvWatchEntry): void {
  if (entry.operation === "PUT" && entry.value.length > 0) {
    try {
      records.set(entry.key, decodeJson<ExecutionRecord>(entry.value));
      return;
    } catch {
      // an unreadable record is left out of the list
    }
  }
  records.delete(entry.key);
}

function newestFirst(a: ExecutionRecord, b: ExecutionRecord): number {
  return (b.startedAt ?? "").localeCompare(a.startedAt ?? "") || a.workflowId.localeCompare(b.workflowId);
}
