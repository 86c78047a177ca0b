import { useEffect, useState } from "react";
import type { NatsConnection } from "@nats-io/nats-core";
import type { DfutClient } from "../../client/client.ts";
import { DfutError } from "../../common/errors.ts";
import { notProvisioned } from "../../common/resources.ts";

/** The view's NATS connection: up, lost and being re-established, or closed for good. */
export type ConnectionState =
  | { state: "connected" }
  /** `since`: when the connection was lost, in ms. */
  | { state: "reconnecting"; since: number }
  | { state: "closed"; since: number };

export const CONNECTED: ConnectionState = { state: "connected" };

export const isConnected = (connection: ConnectionState) => connection.state === "connected";

/**
 * The client's NATS connection as it drops and comes back, from the connection's status
 * events. It starts out connected: the view opens on a client that has just connected.
 */
export function useConnection(client: DfutClient): ConnectionState {
  const [connection, setConnection] = useState<ConnectionState>(CONNECTED);
  useEffect(() => {
    const nc = client.connection.nc;
    let stopped = false;
    const lostSince = (prev: ConnectionState) => (prev.state === "connected" ? Date.now() : prev.since);
    if (nc.isClosed()) setConnection((prev) => ({ state: "closed", since: lostSince(prev) }));
    const statuses = nc.status()[Symbol.asyncIterator]();
    void (async () => {
      for (;;) {
        const next = await statuses.next();
        if (next.done || stopped) return;
        switch (next.value.type) {
          case "disconnect":
            setConnection((prev) => (prev.state === "connected" ? { state: "reconnecting", since: Date.now() } : prev));
            break;
          case "reconnect":
            setConnection(CONNECTED);
            break;
          case "close":
            setConnection((prev) => ({ state: "closed", since: lostSince(prev) }));
            return;
        }
      }
    })().catch(() => undefined);
    return () => {
      stopped = true;
      void statuses.return?.(undefined);
    };
  }, [client]);
  return connection;
}

export interface NextReconnect {
  /** True at the connection's next reconnect; false once it closes or the wait is canceled. */
  reconnected: Promise<boolean>;
  cancel(): void;
}

/**
 * Waits for the connection to come back, for a feed whose consumer failed. Start waiting before
 * the attempt that may fail: a reconnect during the attempt then counts, and is not missed.
 */
export function nextReconnect(nc: NatsConnection): NextReconnect {
  const statuses = nc.status()[Symbol.asyncIterator]();
  let cancel!: () => void;
  const canceled = new Promise<boolean>((resolve) => (cancel = () => resolve(false)));
  const reconnected = (async () => {
    for (;;) {
      const next = await statuses.next();
      if (next.done || next.value.type === "close") return false;
      if (next.value.type === "reconnect") return true;
    }
  })().catch(() => false);
  const settled = Promise.race([reconnected, canceled]);
  void settled.finally(() => statuses.return?.(undefined));
  return { reconnected: settled, cancel };
}

/**
 * Runs a feed until `signal` aborts: when it fails or ends (its consumer could not be set up,
 * the connection was down), reports the error and runs it again after the next reconnect; a
 * closed connection ends it for good. `report(undefined)` clears the error on the way back.
 */
export async function followAcrossReconnects(
  nc: NatsConnection,
  signal: AbortSignal,
  what: string,
  feed: () => Promise<void>,
  report: (error: Error | undefined) => void,
): Promise<void> {
  while (!signal.aborted) {
    const reconnect = nextReconnect(nc);
    const cancel = () => reconnect.cancel();
    signal.addEventListener("abort", cancel, { once: true });
    try {
      await feed();
      if (signal.aborted) return;
      throw new DfutError("unavailable", `${what} stopped`);
    } catch (err) {
      if (signal.aborted) return;
      report(notProvisioned(err));
      if (!(await reconnect.reconnected) || signal.aborted) return;
      report(undefined);
    } finally {
      signal.removeEventListener("abort", cancel);
      reconnect.cancel();
    }
  }
}
