import type { JsMsg } from "@nats-io/jetstream";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CumulativeAcks } from "../../src/server/cumulative-acks.ts";

/** The acks sent, by stream sequence of the message acked. */
let acked: number[];

/** A message that knows only what CumulativeAcks uses of it: its sequence and ack(). */
function message(seq: number): JsMsg {
  const fake = { seq, ack: () => acked.push(seq) };
  return fake as unknown as JsMsg;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  acked = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe("CumulativeAcks", () => {
  it("acks the highest handled message once, a few milliseconds later", () => {
    const acks = new CumulativeAcks();
    const entries = [1, 2, 3].map((seq) => acks.received(message(seq)));
    for (const entry of entries) acks.done(entry);
    expect(acked).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(acked).toEqual([3]);
    vi.advanceTimersByTime(1000);
    expect(acked).toEqual([3]);
  });

  it("never acks past a message that is not handled yet", () => {
    const acks = new CumulativeAcks();
    const [one, two, three] = [1, 2, 3].map((seq) => acks.received(message(seq)));
    acks.done(one);
    acks.done(three);
    vi.advanceTimersByTime(10);
    expect(acked).toEqual([1]);
    acks.done(two);
    vi.advanceTimersByTime(10);
    expect(acked).toEqual([1, 3]);
  });

  it("acks the redelivery of a failed message, which then covers the ones after it", () => {
    const acks = new CumulativeAcks();
    acks.received(message(5));
    const later = acks.received(message(6));
    acks.done(later);
    vi.advanceTimersByTime(100);
    expect(acked).toEqual([]);
    const redelivered = message(5);
    const again = acks.received(redelivered);
    acks.done(again);
    vi.advanceTimersByTime(10);
    expect(acked).toEqual([6]);
  });

  it("keeps messages in sequence order, whatever order they arrive in", () => {
    const acks = new CumulativeAcks();
    const four = acks.received(message(4));
    const two = acks.received(message(2));
    acks.done(four);
    vi.advanceTimersByTime(10);
    expect(acked).toEqual([]);
    acks.done(two);
    vi.advanceTimersByTime(10);
    expect(acked).toEqual([4]);
  });

  it("acks at once when 256 messages are covered", () => {
    const acks = new CumulativeAcks();
    for (let seq = 1; seq <= 256; seq++) acks.done(acks.received(message(seq)));
    expect(acked).toEqual([256]);
  });

  it("sends what it holds back on flush, and nothing when it holds nothing", () => {
    const acks = new CumulativeAcks();
    acks.flush();
    expect(acked).toEqual([]);
    acks.done(acks.received(message(1)));
    acks.flush();
    expect(acked).toEqual([1]);
    vi.advanceTimersByTime(10);
    expect(acked).toEqual([1]);
  });
});
