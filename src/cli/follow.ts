/** A workflow's history as it grows, until the workflow closes. */
import type { NatsConnection } from "@nats-io/nats-core";
import type { DfutClient } from "../client/client.ts";
import type { HistoryEvent } from "../common/events.ts";
import { watchHistory } from "../common/feeds.ts";

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
  const abort = new AbortController();
  try {
    for await (const batch of watchHistory(client.connection, workflowId, { signal: abort.signal, afterSeq, untilClose: true })) {
      for (const event of batch.events) onEvent(event);
    }
  } finally {
    abort.abort();
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
