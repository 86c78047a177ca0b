import { describe, expect, it } from "vitest";
import type { HistoryEvent } from "../../src/common/events.ts";
import { decideRedelivery } from "../../src/worker/redelivery.ts";
import { activityTask, History } from "./support.ts";

/** A workflow that scheduled activity #1 (seq 2), and what follows. */
function historyOf(more: (h: History) => HistoryEvent[]): HistoryEvent[] {
  const h = new History();
  return [h.started("OrderWorkflow"), h.scheduled(1, "Charge"), ...more(h)];
}

const error = { name: "Flaky", message: "try again" };

describe("decideRedelivery", () => {
  it("runs an attempt that never started", () => {
    expect(decideRedelivery(historyOf(() => []), activityTask(), 2)).toEqual({ kind: "run" });
  });

  it("runs an attempt when only other attempts or other activities have events", () => {
    const events = historyOf((h) => [
      h.activityStarted(1, 1),
      h.failed(1, error, { attempt: 1, willRetry: true }),
      h.scheduled(2, "Ship"),
      h.activityStarted(2, 2),
    ]);
    expect(decideRedelivery(events, activityTask({ attempt: 2 }), 2)).toEqual({ kind: "run" });
  });

  it("runs nothing once the workflow closed, even with the outcome recorded", () => {
    for (const close of [
      (h: History) => h.workflowCompleted(null),
      (h: History) => h.workflowFailed(error),
      (h: History) => h.workflowCanceled("asked"),
      (h: History) => h.terminated("by hand"),
    ]) {
      const events = historyOf((h) => [h.activityStarted(1), h.completed(1, "ok"), close(h)]);
      expect(decideRedelivery(events, activityTask(), 3)).toEqual({ kind: "closed" });
    }
    expect(decideRedelivery(historyOf((h) => [h.terminated("x")]), activityTask(), 2)).toEqual({ kind: "closed" });
  });

  it("hands back the recorded outcome of this attempt, a completion or a failure", () => {
    const completedHistory = historyOf((h) => [h.activityStarted(1), h.completed(1, { chargeId: "ch_1" })]);
    expect(decideRedelivery(completedHistory, activityTask(), 2)).toEqual({ kind: "recorded", outcome: completedHistory[3] });

    const failedHistory = historyOf((h) => [h.activityStarted(1, 2), h.failed(1, error, { attempt: 2, willRetry: true })]);
    expect(decideRedelivery(failedHistory, activityTask({ attempt: 2 }), 2)).toEqual({ kind: "recorded", outcome: failedHistory[3] });
  });

  it("finds an outcome recorded without its start (an eager or lost ActivityStarted)", () => {
    const events = historyOf((h) => [h.completed(1, "ok")]);
    expect(decideRedelivery(events, activityTask(), 2)).toMatchObject({ kind: "recorded" });
  });

  it("takes a started attempt without an outcome on a redelivery for a lost one", () => {
    const events = historyOf((h) => [h.activityStarted(1)]);
    expect(decideRedelivery(events, activityTask(), 2)).toEqual({ kind: "lost" });
    expect(decideRedelivery(events, activityTask({ verify: true }), 2)).toEqual({ kind: "lost" });
  });

  it("leaves a republished copy alone while another worker runs the original", () => {
    const events = historyOf((h) => [h.activityStarted(1)]);
    expect(decideRedelivery(events, activityTask({ verify: true }), 1)).toEqual({ kind: "copy" });
  });

  it("takes an eager start without an outcome for a lost attempt, even in a first-delivered copy", () => {
    // The workflow worker that ran it eagerly holds no activity task: nobody else runs it.
    const events = historyOf((h) => [h.activityStarted(1, 1, { eager: true })]);
    expect(decideRedelivery(events, activityTask({ verify: true }), 1)).toEqual({ kind: "lost" });
    expect(decideRedelivery(events, activityTask(), 2)).toEqual({ kind: "lost" });
  });

  it("does not mistake another attempt's start for this one's", () => {
    const events = historyOf((h) => [h.activityStarted(1, 1)]);
    expect(decideRedelivery(events, activityTask({ attempt: 2 }), 2)).toEqual({ kind: "run" });
  });

  it("ignores events that are not about activities, undecodable ones included", () => {
    const events = historyOf((h) => [h.signal("go", 1), h.undecodable("bad"), h.taskFailed(error)]);
    expect(decideRedelivery(events, activityTask(), 2)).toEqual({ kind: "run" });
  });
});
