import type { JsMsg } from "@nats-io/jetstream";

const FLUSH_EVERY_MS = 10;
const FLUSH_AFTER = 256;

interface Entry {
  msg: JsMsg;
  done: boolean;
}

/**
 * Acks for a consumer with AckPolicy.All, where one ack covers every message up to it: each
 * message is handled concurrently, and an ack goes out only for the highest message below which
 * everything is handled, at most every few milliseconds. A message whose handling failed holds
 * back the acks of all later ones until its redelivery succeeds, so nothing is acked unhandled.
 */
export class CumulativeAcks {
  /** Messages received and not yet covered by an ack, by stream sequence, ascending. */
  readonly #entries: Entry[] = [];
  #ackable: JsMsg | undefined;
  #covered = 0;
  #timer: NodeJS.Timeout | undefined;

  received(msg: JsMsg): Entry {
    const existing = this.#entries.find((e) => e.msg.seq === msg.seq);
    if (existing) {
      existing.msg = msg;
      return existing;
    }
    const entry = { msg, done: false };
    const at = this.#entries.findLastIndex((e) => e.msg.seq < msg.seq) + 1;
    this.#entries.splice(at, 0, entry);
    return entry;
  }

  done(entry: Entry): void {
    entry.done = true;
    while (this.#entries.length > 0 && this.#entries[0].done) {
      this.#ackable = this.#entries.shift()!.msg;
      this.#covered++;
    }
    if (this.#covered >= FLUSH_AFTER) this.flush();
    else if (this.#ackable && !this.#timer) this.#timer = setTimeout(() => this.flush(), FLUSH_EVERY_MS);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#ackable?.ack();
    this.#ackable = undefined;
    this.#covered = 0;
  }
}
