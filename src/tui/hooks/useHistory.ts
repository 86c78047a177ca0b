import { useEffect, useState } from "react";
import { DeliverPolicy, type Consumer, type ConsumerMessages } from "@nats-io/jetstream";
import type { DfutClient } from "../../client/client.ts";
import type { HistoryEvent } from "../../common/events.ts";
import { decodeEvent } from "../../common/history.ts";
import { HISTORY_STREAM, subjects } from "../../common/names.ts";
import { notProvisioned } from "../../common/resources.ts";
import { nextReconnect, type NextReconnect } from "./useConnection.ts";

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
    let stopped = false;
    let consumer: Consumer | undefined;
    let messages: ConsumerMessages | undefined;
    let reconnect: NextReconnect | undefined;
    let lastSeq = 0;
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
    const close = () => {
      messages?.stop();
      void consumer?.delete().catch(() => undefined);
      messages = consumer = undefined;
    };
    const follow = async () => {
      // A single filter subject is sent as `filter_subject`, which nats-server 2.9 understands
      // (an array would need 2.10's multi-filter support).
      consumer = await client.connection.js.consumers.get(HISTORY_STREAM, {
        filter_subjects: subjects.history(workflowId),
        ...(lastSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: lastSeq + 1 } : {}),
      });
      if (stopped) return;
      const info = await consumer.info(true);
      if (info.num_pending === 0) caughtUp = true;
      schedule();
      messages = await consumer.consume({ max_messages: 256 });
      if (stopped) return;
      for await (const msg of messages) {
        batch.push(decodeEvent({ seq: msg.seq, data: msg.data }));
        lastSeq = msg.seq;
        if (msg.info.pending === 0) caughtUp = true;
        schedule();
      }
      if (!stopped) throw new Error(`the history feed of ${workflowId} stopped`);
    };
    void (async () => {
      while (!stopped) {
        reconnect = nextReconnect(client.connection.nc);
        try {
          await follow();
          // Stopped while setting up: what was set up after the clean-up ran goes now.
          close();
          return;
        } catch (err) {
          close();
          if (stopped) return;
          const error = notProvisioned(err);
          setFeed((prev) => ({ ...prev, error: error instanceof Error ? error : new Error(String(error)) }));
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
      close();
    };
  }, [client, workflowId]);
  return feed;
}
