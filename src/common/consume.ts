import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";

const PULL_EXPIRES_MS = 5000;

export interface TaskLoop {
  /** Stops taking new messages and waits for the handlers under way. */
  stop(): Promise<void>;
}

export interface TaskLoopOptions {
  /** Messages buffered and handled at once. */
  maxMessages: number;
  onError?: (err: unknown, msg: JsMsg) => void;
}

/**
 * Runs `handle` for every message of a durable consumer, several at a time. The handler acks;
 * a handler that throws leaves the message to be redelivered after a pause that doubles with
 * each delivery (0.5 s up to 30 s), so a failing message costs little while it keeps failing.
 */
export async function runTaskLoop(
  js: JetStreamClient,
  stream: string,
  consumer: string,
  handle: (msg: JsMsg) => Promise<void>,
  options: TaskLoopOptions,
): Promise<TaskLoop> {
  const c = await js.consumers.get(stream, consumer);
  const inFlight = new Set<Promise<void>>();
  let messages: ConsumerMessages | undefined;
  messages = await c.consume({
    max_messages: options.maxMessages,
    // Short pulls: a pull lost to a consumer leader change (a cluster node down) is noticed by
    // its missed heartbeats within seconds instead of half a minute.
    expires: PULL_EXPIRES_MS,
    callback: (msg) => {
      const p = handle(msg)
        .catch((err) => {
          options.onError?.(err, msg);
          try {
            msg.nak(redeliveryDelay(msg.info.deliveryCount));
          } catch {
            // the connection is gone; the message is redelivered after its ack wait
          }
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
  });
  return {
    stop: async () => {
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
