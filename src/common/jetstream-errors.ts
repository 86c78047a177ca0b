/**
 * What a JetStream error means, decided in one place by the server's error codes (nats.js's
 * `JetStreamApiError.code`), so no caller matches message text.
 */
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { ClosedConnectionError, ConnectionError, NoRespondersError, RequestError, TimeoutError } from "@nats-io/nats-core";

/** Codes nats.js does not name. */
const CONSUMER_NAME_EXISTS = 10013;
const CONSUMER_ALREADY_EXISTS = 10148;
const STREAM_NAME_IN_USE = 10058;
const INSUFFICIENT_RESOURCES = 10023;
const REPLICAS_NOT_SUPPORTED = 10074;
const NO_SUITABLE_PEERS = 10005;

function apiCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

/** A fenced publish whose expected last (subject) sequence no longer holds. */
export function isWrongLastSequence(err: unknown): boolean {
  const code = apiCode(err);
  if (code !== undefined) return code === JetStreamApiCodes.StreamWrongLastSequence || code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
  // The KV client reports a failed create/update as a plain error with the server's description.
  return /wrong last sequence|key exists/i.test(String((err as Error | undefined)?.message ?? err));
}

/** A stream or consumer that does not exist (dfut not provisioned, or deleted). */
export function isNotFound(err: unknown): boolean {
  const code = apiCode(err);
  if (err instanceof JetStreamApiError) {
    return err.status === 404 || code === JetStreamApiCodes.StreamNotFound || code === JetStreamApiCodes.ConsumerNotFound;
  }
  return /not found/i.test(String((err as Error | undefined)?.message ?? err));
}

/** A stream or consumer another process created first, with the same name. */
export function isAlreadyExists(err: unknown): boolean {
  const code = apiCode(err);
  if (code !== undefined) return code === CONSUMER_ALREADY_EXISTS || code === CONSUMER_NAME_EXISTS || code === STREAM_NAME_IN_USE;
  return /already (exists|in use)/i.test(String((err as Error | undefined)?.message ?? err));
}

/**
 * An error that says nothing about the request itself, only that JetStream could not answer it
 * now: a timeout, no responders (a stream or the meta group without a leader during an
 * election), a 503, a dropped connection. Worth trying again within a deadline.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    // 10008: JetStream not ready / cluster not available; 503 statuses during elections.
    return err.status === 503 || err.code === 10008 || err.code === JETSTREAM_NOT_CURRENT;
  }
  return (
    err instanceof TimeoutError ||
    err instanceof NoRespondersError ||
    err instanceof RequestError ||
    err instanceof ClosedConnectionError ||
    err instanceof ConnectionError ||
    // What nats.js reports for a publish nobody answered (its class is not exported): on a
    // working cluster, a stream between leaders.
    (err instanceof Error && err.name === "JetStreamNotEnabled")
  );
}

const JETSTREAM_NOT_CURRENT = 10076;

/** A core request that nobody subscribes to (nats.js wraps it in a RequestError). */
export function isNoResponders(err: unknown): boolean {
  return err instanceof NoRespondersError || (err instanceof RequestError && err.isNoResponders());
}

/** A core request that nobody answered in time. */
export function isRequestTimeout(err: unknown): boolean {
  return err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError);
}

/** A stream the cluster cannot place: more replicas than JetStream servers, or no room. */
export function isInsufficientResources(err: unknown): boolean {
  const code = apiCode(err);
  if (code !== undefined) return code === INSUFFICIENT_RESOURCES || code === REPLICAS_NOT_SUPPORTED || code === NO_SUITABLE_PEERS;
  return /insufficient resources|replicas > 1 not supported|no suitable peers/i.test(String((err as Error | undefined)?.message ?? err));
}
