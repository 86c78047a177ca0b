/** A workflow's history as it grows, until the workflow closes. */
import { DeliverPolicy } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { DfutClient } from "../client/client.ts";
import { isTerminal, type HistoryEvent } from "../common/events.ts";
import { decodeEvent } from "../common/history.ts";
import { HISTORY_STREAM, subjects } from "../common/names.ts";

/**
 * Calls `onEvent` for every event after `afterSeq`, in order; resolves after the terminal one.
 * The ordered consumer picks up after the last event it delivered when the connection comes
 * back, so nothing is missed or repeated; meanwhile stderr says the connection is down.
 */
export async function followHistory(
  client: DfutClient,
  workflowId: string,
  afterSeq: number,
  onEvent: (event: HistoryEvent) => void,
): Promise<void> {
  const stopNotices = reportConnection(client.connection.nc);
  try {
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
  } finally {
    stopNotices();
  }
}

/** Says on stderr when the connection drops and when it is back: a quiet follow looks the same either way. */
function reportConnection(nc: NatsConnection): () => void {
  const statuses = nc.status()[Symbol.asyncIterator]();
  let stopped = false;
  void (async () => {
    let lost = false;
    for (;;) {
      const next = await statuses.next();
      if (next.done || stopped) return;
      if (next.value.type === "disconnect" && !lost) {
        lost = true;
        process.stderr.write("dfut: NATS connection lost; reconnecting…\n");
      } else if (next.value.type === "reconnect" && lost) {
        lost = false;
        process.stderr.write("dfut: NATS connection back; following again\n");
      }
    }
  })().catch(() => undefined);
  return () => {
    stopped = true;
    void statuses.return?.(undefined);
  };
}
