import { describe, expect, it } from "vitest";
import { create, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { HistoryEventSchema, WorkflowStatus, type HistoryEvent } from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import { buildTimeline, isClosing } from "../../src/web/timeline.ts";
import { formatDuration, parseArgument, statusName } from "../../src/web/format.ts";

let seq = 0;
const t0 = Date.parse("2030-01-01T00:00:00Z");
function event(type: string, atMs: number, attributes: JsonObject = {}): HistoryEvent {
  return create(HistoryEventSchema, { seq: BigInt(++seq), type, time: timestampFromMs(t0 + atMs), attributes });
}

describe("the timeline of a history", () => {
  it("folds an activity's attempts into one entry: failures with retry times, then success", () => {
    const error = { name: "Error", message: "card declined", stack: "Error: card declined\n    at charge" };
    const entries = buildTimeline([
      event("WorkflowStarted", 0, { workflowType: "Pay", args: [30], queue: "default" }),
      event("ActivityScheduled", 5, { activityId: 1, activityType: "Charge", args: [30] }),
      event("ActivityStarted", 10, { activityId: 1, attempt: 1, worker: "w1" }),
      event("ActivityFailed", 20, { activityId: 1, attempt: 1, error, willRetry: true, nextAttemptAt: new Date(t0 + 1020).toISOString() }),
      event("ActivityStarted", 1030, { activityId: 1, attempt: 2, worker: "w2" }),
      event("ActivityCompleted", 1040, { activityId: 1, attempt: 2, result: "ok" }),
      event("SignalReceived", 1100, { name: "go", payload: { a: 1 } }),
      event("WorkflowCompleted", 1200, { result: "done" }),
    ]);
    expect(entries.map((e) => e.kind)).toEqual(["started", "activity", "signal", "completed"]);
    const activity = entries[1];
    if (activity.kind !== "activity") throw new Error("not an activity");
    expect(activity).toMatchObject({ activityType: "Charge", state: "completed", result: "ok", scheduledAt: t0 + 5, closedAt: t0 + 1040 });
    expect(activity.attempts).toEqual([
      { attempt: 1, startedAt: t0 + 10, worker: "w1", endedAt: t0 + 20, state: "failed", error, willRetry: true, nextAttemptAt: t0 + 1020 },
      { attempt: 2, startedAt: t0 + 1030, worker: "w2", endedAt: t0 + 1040, state: "completed" },
    ]);
  });

  it("shows a final failure, an open timer and a workflow task failure", () => {
    const entries = buildTimeline([
      event("WorkflowStarted", 0, { workflowType: "X", args: [], queue: "q" }),
      event("TimerStarted", 1, { timerId: 1, fireAt: new Date(t0 + 60_000).toISOString() }),
      event("WorkflowTaskFailed", 2, { error: { name: "NonDeterminismError", message: "step 2 changed" }, worker: "w" }),
      event("ActivityScheduled", 3, { activityId: 2, activityType: "Refuse", args: [] }),
      event("ActivityFailed", 4, { activityId: 2, attempt: 1, error: { name: "RefusedError", message: "no" }, willRetry: false }),
      event("WorkflowFailed", 5, { error: { name: "ActivityFailure", message: "no" } }),
    ]);
    expect(entries.map((e) => e.kind)).toEqual(["started", "timer", "task-failed", "activity", "failed"]);
    expect(entries[1]).toMatchObject({ kind: "timer", fireAt: t0 + 60_000 });
    expect(entries[1]).not.toHaveProperty("firedAt");
    expect(entries[3]).toMatchObject({ kind: "activity", state: "failed", attempts: [{ attempt: 1, state: "failed", willRetry: false }] });
  });

  it("shows an undecodable message with its seq and reason, and a terminate as the close with its reason", () => {
    const events = [
      event("WorkflowStarted", 0, { workflowType: "X", args: [], queue: "q" }),
      event("Undecodable", 1, { reason: "it is not JSON (Unexpected token)", raw: "not {json" }),
      event("WorkflowTerminated", 2, { reason: "bad message" }),
    ];
    const entries = buildTimeline(events);
    expect(entries.map((e) => e.kind)).toEqual(["started", "undecodable", "terminated"]);
    expect(entries[1]).toEqual({
      kind: "undecodable",
      key: `e${events[1].seq}`,
      at: t0 + 1,
      seq: Number(events[1].seq),
      reason: "it is not JSON (Unexpected token)",
      raw: "not {json",
    });
    expect(entries[2]).toMatchObject({ kind: "terminated", at: t0 + 2, reason: "bad message" });
    expect(entries.filter(isClosing)).toEqual([entries[2]]);
    expect(statusName(WorkflowStatus.TERMINATED)).toBe("terminated");
  });
});

describe("formatting", () => {
  it("reads form fields as JSON where they parse, else as text", () => {
    expect(parseArgument("42")).toBe(42);
    expect(parseArgument('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseArgument("Bob")).toBe("Bob");
    expect(parseArgument('"Bob"')).toBe("Bob");
    expect(parseArgument("true")).toBe(true);
  });

  it("durations", () => {
    expect(formatDuration(7)).toBe("7 ms");
    expect(formatDuration(4200)).toBe("4.20 s");
    expect(formatDuration(185_000)).toBe("3 min 05 s");
    expect(formatDuration(undefined)).toBe("—");
  });
});
