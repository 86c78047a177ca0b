import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { dfutMetrics } from "./metrics.ts";
import { isTransient } from "./jetstream-errors.ts";

const PULL_EXPIRES_MS = 5000;
const TRANSIENT_RETRY_MS = 1000;

export interface TaskLoop {
  /** Stops taking new messages and waits for the handlers under way. */
  stop(): Promise<void>;
}

export interface TaskLoopOptions {
  /** Messages buffered and handled at once. */
  maxMessages: number;
  onError?: (err: unknown, msg: JsMsg) => void;
  /** Told when the consumption ended by itself (and is being set up again). */
  onEnd?: (err: Error | undefined) => void;
}

/**
 * Runs `handle` for every message of a durable consumer, several at a time. The handler acks;
 * a handler that throws leaves the message to be redelivered after a pause that doubles with
 * each delivery (0.5 s up to 30 s), so a failing message costs little while it keeps failing.
 * Should the consumption itself end (its consumer lost on a cluster node, a request failing
 * while a leader is elected), it is set up again until the loop is stopped: a worker never
 * stops taking tasks without saying so.
 */
export async function runTaskLoop(
  js: JetStreamClient,
  stream: string,
  consumer: string,
  handle: (msg: JsMsg) => Promise<void>,
  options: TaskLoopOptions,
): Promise<TaskLoop> {
  const inFlight = new Set<Promise<void>>();
  let messages: ConsumerMessages | undefined;
  let stopped = false;
  const callback = (msg: JsMsg) => {
    const p = handle(msg)
      .catch((err) => {
        options.onError?.(err, msg);
        try {
          // JetStream not answering now (an election) says nothing about the message: try again
          // soon, however often; other failures back off, as they would fail the same way again.
          dfutMetrics.taskRedeliveries.inc({ kind: isTransient(err) ? "transient" : "other" });
          msg.nak(isTransient(err) ? TRANSIENT_RETRY_MS : redeliveryDelay(msg.info.deliveryCount));
        } catch {
          // the connection is gone; the message is redelivered after its ack wait
        }
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const consume = async () => {
    const c = await js.consumers.get(stream, consumer);
    return c.consume({
      max_messages: options.maxMessages,
      // Short pulls: a pull lost to a consumer leader change (a cluster node down) is noticed by
      // its missed heartbeats within seconds instead of half a minute.
      expires: PULL_EXPIRES_MS,
      callback,
    });
  };
  messages = await consume();
  const keepConsuming = async (current: ConsumerMessages): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const ended = await current.closed().catch((err: unknown) => err);
      if (stopped) return;
      options.onEnd?.(ended instanceof Error ? ended : undefined);
      await new Promise((resolve) => setTimeout(resolve, redeliveryDelay(attempt)));
      if (stopped) return;
      try {
        current = messages = await consume();
        attempt = 0;
      } catch {
        // Not there yet (an election under way): the next round tries again, a little later.
      }
    }
  };
  void keepConsuming(messages);
  return {
    stop: async () => {
      stopped = true;
      await messages?.close().catch(() => undefined);
      messages = undefined;
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** 0.5 s, 1 s, 2 s … up to 30 s before the next delivery of a message whose handling failed. */
export function redeliveryDelay(deliveryCount: number): number {
  return Math.min(500 * 2 ** Math.max(0, deliveryCount - 1), 30_000);
}

/** 1 s, 2 s, 4 s … up to 30 s between retries of a task that cannot run yet. */
export function taskBackoff(deliveryCount: number): number {
  return Math.min(1000 * 2 ** Math.max(0, deliveryCount - 1), 30_000);
}

/** Runs async work one at a time per key, in arrival order, concurrently across keys. */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}
