/** A workflow's history as it grows, until the workflow closes. */
import { DeliverPolicy } from "@nats-io/jetstream";
import type { DfutClient } from "../client/client.ts";
import { isTerminal, type HistoryEvent } from "../common/events.ts";
import { decodeEvent } from "../common/history.ts";
import { HISTORY_STREAM, subjects } from "../common/names.ts";

/** Calls `onEvent` for every event after `afterSeq`, in order; resolves after the terminal one. */
export async function followHistory(
  client: DfutClient,
  workflowId: string,
  afterSeq: number,
  onEvent: (event: HistoryEvent) => void,
): Promise<void> {
  // A single filter subject is sent as `filter_subject`, which nats-server 2.9 understands.
  const consumer = await client.connection.js.consumers.get(HISTORY_STREAM, {
    filter_subjects: subjects.history(workflowId),
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterSeq + 1,
  });
  const messages = await consumer.consume({ max_messages: 256 });
  try {
    for await (const msg of messages) {
      const event = decodeEvent({ seq: msg.seq, data: msg.data });
      onEvent(event);
      if (isTerminal(event)) return;
    }
  } finally {
    messages.stop();
    await consumer.delete().catch(() => undefined);
  }
}
