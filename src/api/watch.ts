/**
 * Live feeds from JetStream: the execution index through a KV watch, one workflow's history
 * through an ordered consumer on its subject. Both run on nats-server 2.9.
 */
import type { Consumer, ConsumerMessages } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { isTerminal, type HistoryEvent } from "../common/events.ts";
import type { ExecutionRecord } from "../common/executions.ts";
import { decodeEvent } from "../common/history.ts";
import { HISTORY_STREAM, subjects } from "../common/names.ts";
import { decodeJson } from "../common/payload.ts";
import { Channel } from "./channel.ts";

export type IndexChange = { kind: "put"; record: ExecutionRecord } | { kind: "delete"; workflowId: string };

export interface IndexBatch {
  changes: IndexChange[];
  /** True once the index's contents at the start of the watch have all been delivered. */
  caughtUp: boolean;
}

/** Every record of the index, then each change, until `signal` aborts. */
export async function* watchIndex(kv: KV, signal: AbortSignal): AsyncGenerator<IndexBatch> {
  const channel = new Channel<IndexChange | "caught-up">();
  // An empty bucket sends the watcher nothing, so it is caught up as soon as it opens.
  const empty = (await kv.status()).values === 0;
  const watch = await kv.watch();
  const stop = () => {
    watch.stop();
    channel.close();
  };
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  if (empty) channel.push("caught-up");
  void (async () => {
    for await (const entry of watch) {
      if (entry.operation === "PUT" && entry.value.length > 0) {
        try {
          channel.push({ kind: "put", record: decodeJson<ExecutionRecord>(entry.value) });
        } catch {
          channel.push({ kind: "delete", workflowId: entry.key });
        }
      } else {
        channel.push({ kind: "delete", workflowId: entry.key });
      }
      if (entry.delta === 0) channel.push("caught-up");
    }
    channel.close();
  })().catch((err: unknown) => channel.close(err));
  let caughtUp = false;
  let pending: IndexChange[] = [];
  try {
    for await (const batch of channel.batches()) {
      for (const item of batch) {
        if (item === "caught-up") caughtUp = true;
        else pending.push(item);
      }
      // Until caught up, gather the initial contents into one batch.
      if (!caughtUp) continue;
      yield { changes: pending, caughtUp };
      pending = [];
    }
  } finally {
    signal.removeEventListener("abort", stop);
    watch.stop();
  }
}

export interface HistoryBatch {
  events: HistoryEvent[];
  caughtUp: boolean;
}

/** The workflow's events from the first, then each new one; ends after the closing event. */
export async function* watchHistory(connection: DfutConnection, workflowId: string, signal: AbortSignal): AsyncGenerator<HistoryBatch> {
  const channel = new Channel<HistoryEvent | "caught-up">();
  let consumer: Consumer | undefined;
  let messages: ConsumerMessages | undefined;
  const stop = () => {
    messages?.stop();
    channel.close();
  };
  signal.addEventListener("abort", stop, { once: true });
  try {
    // An ordered consumer; one filter subject goes out as `filter_subject`, which 2.9 knows.
    consumer = await connection.js.consumers.get(HISTORY_STREAM, { filter_subjects: subjects.history(workflowId) });
    const info = await consumer.info(true);
    if (info.num_pending === 0) channel.push("caught-up");
    messages = await consumer.consume({ max_messages: 256 });
    if (signal.aborted) stop();
    const source = messages;
    void (async () => {
      for await (const msg of source) {
        const event = decodeEvent({ seq: msg.seq, data: msg.data, time: msg.time });
        channel.push(event);
        if (msg.info.pending === 0) channel.push("caught-up");
        if (isTerminal(event)) break;
      }
      channel.close();
    })().catch((err: unknown) => channel.close(err));
    let caughtUp = false;
    let events: HistoryEvent[] = [];
    for await (const batch of channel.batches()) {
      for (const item of batch) {
        if (item === "caught-up") caughtUp = true;
        else events.push(item);
      }
      // Until caught up, gather what was recorded before the call into one message.
      if (!caughtUp && !channel.closed) continue;
      yield { events, caughtUp };
      events = [];
    }
    if (events.length > 0) yield { events, caughtUp };
  } finally {
    signal.removeEventListener("abort", stop);
    messages?.stop();
    await consumer?.delete().catch(() => undefined);
  }
}
