// The ack bookkeeping alone: messages are plain records of their sequence and what was acked.
import { describe, expect, it } from "vitest";
import type { JsMsg } from "@nats-io/jetstream";
import { CumulativeAcks } from "../../src/server/cumulative-acks.ts";

function messages(acked: number[]) {
  return (seq: number) => ({ seq, ack: () => acked.push(seq) }) as unknown as JsMsg;
}

describe("cumulative acks", () => {
  it("ack only up to the highest message below which everything is handled", () => {
    const acked: number[] = [];
    const msg = messages(acked);
    const acks = new CumulativeAcks();
    const [one, two, three] = [acks.received(msg(1)), acks.received(msg(2)), acks.received(msg(3))];
    acks.done(two);
    acks.done(three);
    acks.flush();
    expect(acked).toEqual([]); // 1 is still being handled
    acks.done(one);
    acks.flush();
    expect(acked).toEqual([3]);
  });

  it("a failed message holds back later acks until its redelivery is handled", () => {
    const acked: number[] = [];
    const msg = messages(acked);
    const acks = new CumulativeAcks();
    acks.received(msg(10)); // its handling fails: never done
    acks.done(acks.received(msg(11)));
    acks.flush();
    expect(acked).toEqual([]);
    acks.done(acks.received(msg(10))); // the redelivery
    acks.flush();
    expect(acked).toEqual([11]);
  });
});
