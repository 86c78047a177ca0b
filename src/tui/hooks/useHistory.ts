import { useEffect, useState } from "react";
import type { Consumer, ConsumerMessages } from "@nats-io/jetstream";
import type { DfutClient } from "../../client/client.ts";
import type { HistoryEvent } from "../../common/events.ts";
import { decodeEvent } from "../../common/history.ts";
import { HISTORY_STREAM, subjects } from "../../common/names.ts";
import { notProvisioned } from "../../common/resources.ts";

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
 * workflow that has not started yet: the consumer simply waits for its first event.
 */
export function useHistory(client: DfutClient, workflowId: string): HistoryFeed {
  const [feed, setFeed] = useState<HistoryFeed>({ events: [], caughtUp: false });
  useEffect(() => {
    setFeed({ events: [], caughtUp: false });
    let stopped = false;
    let consumer: Consumer | undefined;
    let messages: ConsumerMessages | undefined;
    // Events arrive one message at a time; hand them to React in batches.
    let batch: HistoryEvent[] = [];
    let caughtUp = false;
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      if (stopped) return;
      const arrived = batch;
      batch = [];
      setFeed((prev) => ({ ...prev, events: arrived.length ? [...prev.events, ...arrived] : prev.events, caughtUp }));
    };
    const schedule = () => {
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(flush);
    };
    void (async () => {
      // A single filter subject is sent as `filter_subject`, which nats-server 2.9 understands
      // (an array would need 2.10's multi-filter support).
      consumer = await client.connection.js.consumers.get(HISTORY_STREAM, { filter_subjects: subjects.history(workflowId) });
      if (stopped) return;
      const info = await consumer.info(true);
      caughtUp = info.num_pending === 0;
      schedule();
      messages = await consumer.consume({ max_messages: 256 });
      if (stopped) {
        messages.stop();
        return;
      }
      for await (const msg of messages) {
        batch.push(decodeEvent({ seq: msg.seq, data: msg.data }));
        if (msg.info.pending === 0) caughtUp = true;
        schedule();
      }
    })().catch((err: unknown) => {
      if (stopped) return;
      const error = notProvisioned(err);
      setFeed((prev) => ({ ...prev, error: error instanceof Error ? error : new Error(String(error)) }));
    });
    return () => {
      stopped = true;
      messages?.stop();
      consumer?.delete().catch(() => undefined);
    };
  }, [client, workflowId]);
  return feed;
}
