/**
 * Live feeds from JetStream, shared by the terminal UI, the API's server streams and
 * `history --follow`: the execution index through a KV watch, one workflow's history through
 * an ordered consumer on its subject. Both run on nats-server 2.9, carry on by themselves across
 * reconnects once set up, and end when their signal aborts.
 */
import { DeliverPolicy, type Consumer, type ConsumerMessages } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { Channel } from "./channel.ts";
import type { DfutConnection } from "./connection.ts";
import { decodeEvent } from "./event-codec.ts";
import { isFinalClose, type HistoryEvent } from "./events.ts";
import { decodeRecord, type ExecutionRecord } from "./executions.ts";
import { layoutOf } from "./layout.ts";

export type IndexChange = { kind: "put"; record: ExecutionRecord } | { kind: "delete"; workflowId: string };

export interface IndexBatch {
  changes: IndexChange[];
  /** True once the index's contents at the start of the watch have all been delivered. */
  caughtUp: boolean;
}

/**
 * Every record of the index, then each change, until `signal` aborts. The first batch holds the
 * whole current contents; a record that does not decode counts as deleted.
 */
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
      const record = entry.operation === "PUT" && entry.value.length > 0 ? decodeRecord(entry.value) : undefined;
      channel.push(record ? { kind: "put", record } : { kind: "delete", workflowId: entry.key });
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
  /** True once every event stored when the feed opened has arrived (an empty history counts). */
  caughtUp: boolean;
}

export interface HistoryFeedOptions {
  signal: AbortSignal;
  /** Start after this sequence of the stream (default: from the first event). */
  afterSeq?: number;
  /** End after the workflow's closing event. */
  untilClose?: boolean;
}

/**
 * The workflow's events from the first (or after `afterSeq`), then each new one as it is
 * appended. Works for a workflow that has not started yet: the consumer waits for its first
 * event. Until caught up, what was stored before the call comes as one batch.
 */
export async function* watchHistory(connection: DfutConnection, workflowId: string, options: HistoryFeedOptions): AsyncGenerator<HistoryBatch> {
  const { signal, afterSeq = 0 } = options;
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
    const layout = layoutOf(connection);
    consumer = await connection.js.consumers.get(layout.stream(workflowId), {
      filter_subjects: layout.subject(workflowId),
      ...(afterSeq > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSeq + 1 } : {}),
    });
    const info = await consumer.info(true);
    if (info.num_pending === 0) channel.push("caught-up");
    messages = await consumer.consume({ max_messages: 256 });
    if (signal.aborted) stop();
    const source = messages;
    void (async () => {
      for await (const msg of source) {
        const event = decodeEvent(msg);
        channel.push(event);
        if (msg.info.pending === 0) channel.push("caught-up");
        if (options.untilClose && isFinalClose(event)) break;
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
