import { Text } from "ink";
import { formatDuration, formatTime, shorten } from "../format.ts";
import type { ConnectionState } from "../hooks/useConnection.ts";

/** Lines ConnectionLine takes: one while the connection is down, none otherwise. */
export const connectionLineHeight = (connection: ConnectionState) => (connection.state === "connected" ? 0 : 1);

/** What the view can no longer vouch for: shown while the NATS connection is down. */
export function connectionText(connection: ConnectionState, now: number): string {
  if (connection.state === "connected") return "";
  const since = formatTime(new Date(connection.since).toISOString()).slice(0, 8);
  if (connection.state === "closed") return `⚠ NATS connection closed at ${since}; this view no longer updates`;
  return `⚠ NATS connection lost; reconnecting since ${since} (${formatDuration(now - connection.since)}); showing what was known then`;
}

export function ConnectionLine({ connection, now, width }: { connection: ConnectionState; now: number; width: number }) {
  if (connection.state === "connected") return null;
  return (
    <Text color="red" bold wrap="truncate-end">
      {shorten(connectionText(connection, now), width)}
    </Text>
  );
}

/** A feed that failed: in red, or, while the connection is down, as the wait it now is. */
export function FeedError({ error, live }: { error: Error; live: boolean }) {
  if (live) return <Text color="red">{error.message}</Text>;
  return <Text dimColor>{`${error.message}; trying again once NATS is back`}</Text>;
}
