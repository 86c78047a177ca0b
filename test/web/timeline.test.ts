import { describe, expect, it } from "vitest";
import { create, fromJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { HistoryEventSchema, WorkflowSchema, WorkflowStatus, type HistoryEvent } from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import { buildTimeline, isClosing } from "../../src/web/timeline.ts";
import { eventFields, formatDuration, parseArgument, parseQueryArgs, STATUS_FILTERS, statusName } from "../../src/web/format.ts";

type TypedEvent = NonNullable<MessageInitShape<typeof HistoryEventSchema>["event"]>;

let seq = 0;
const t0 = Date.parse("2030-01-01T00:00:00Z");
/** An event as the API sends it: `type` is the kind's name, the fields are its typed message. */
function event(atMs: number, typed: TypedEvent | { case: undefined }): HistoryEvent {
  const type = typed.case ? typed.case[0].toUpperCase() + typed.case.slice(1) : "SomethingNew";
  return create(HistoryEventSchema, { seq: BigInt(++seq), type, time: timestampFromMs(t0 + atMs), event: typed });
}
const json = (value: JsonValue): Value => fromJson(ValueSchema, value);
const at = (atMs: number) => timestampFromMs(t0 + atMs);

describe("the timeline of a history", () => {
  it("folds an activity's attempts into one entry: failures with retry times, then success", () => {
    const error = { name: "Error", message: "card declined", stack: "Error: card declined\n    at charge" };
    const entries = buildTimeline([
      event(0, { case: "workflowStarted", value: { workflowType: "Pay", args: [json(30)], queue: "default" } }),
      event(5, { case: "activityScheduled", value: { activityId: 1, activityType: "Charge", args: [json(30)] } }),
      event(10, { case: "activityStarted", value: { activityId: 1, attempt: 1, worker: "w1" } }),
      event(20, { case: "activityFailed", value: { activityId: 1, attempt: 1, error, willRetry: true, nextAttemptAt: at(1020) } }),
      event(1030, { case: "activityStarted", value: { activityId: 1, attempt: 2, worker: "w2" } }),
      event(1040, { case: "activityCompleted", value: { activityId: 1, attempt: 2, result: json("ok") } }),
      event(1100, { case: "signalReceived", value: { name: "go", payload: json({ a: 1 }) } }),
      event(1200, { case: "workflowCompleted", value: { result: json("done") } }),
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
      event(0, { case: "workflowStarted", value: { workflowType: "X", args: [], queue: "q" } }),
      event(1, { case: "timerStarted", value: { timerId: 1, fireAt: at(60_000) } }),
      event(2, { case: "workflowTaskFailed", value: { error: { name: "NonDeterminismError", message: "step 2 changed" }, worker: "w" } }),
      event(3, { case: "activityScheduled", value: { activityId: 2, activityType: "Refuse", args: [] } }),
      event(4, { case: "activityFailed", value: { activityId: 2, attempt: 1, error: { name: "RefusedError", message: "no" }, willRetry: false } }),
      event(5, { case: "workflowFailed", value: { error: { name: "ActivityFailure", message: "no" } } }),
    ]);
    expect(entries.map((e) => e.kind)).toEqual(["started", "timer", "task-failed", "activity", "failed"]);
    expect(entries[1]).toMatchObject({ kind: "timer", fireAt: t0 + 60_000 });
    expect(entries[1]).not.toHaveProperty("firedAt");
    expect(entries[3]).toMatchObject({ kind: "activity", state: "failed", attempts: [{ attempt: 1, state: "failed", willRetry: false }] });
  });

  it("shows an undecodable message with its seq and reason, and a terminate as the close with its reason", () => {
    const events = [
      event(0, { case: "workflowStarted", value: { workflowType: "X", args: [], queue: "q" } }),
      event(1, { case: "undecodable", value: { reason: "it is not JSON (Unexpected token)", raw: "not {json" } }),
      event(2, { case: "workflowTerminated", value: { reason: "bad message" } }),
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

  it("reads every kind from its typed fields: a fired timer, a null payload, a failure with no start, a cancel", () => {
    const events = [
      event(0, { case: "workflowStarted", value: { workflowType: "Trip", args: [json({ to: "Oslo" }), json(null)], queue: "travel" } }),
      event(1, { case: "timerStarted", value: { timerId: 1, fireAt: at(500) } }),
      event(501, { case: "timerFired", value: { timerId: 1 } }),
      event(502, { case: "signalReceived", value: { name: "nudge" } }),
      event(503, { case: "activityScheduled", value: { activityId: 2, activityType: "Book", args: [json("Oslo")] } }),
      // The attempt's worker died before it recorded a start.
      event(600, { case: "activityFailed", value: { activityId: 2, attempt: 1, error: { name: "TimeoutError", message: "late" }, willRetry: false } }),
      event(601, { case: "cancelRequested", value: { reason: "trip off" } }),
      event(602, { case: undefined }),
      event(603, { case: "workflowCanceled", value: { reason: "trip off" } }),
    ];
    const entries = buildTimeline(events);
    expect(entries.map((e) => e.kind)).toEqual(["started", "timer", "signal", "activity", "cancel-requested", "canceled"]);
    expect(entries[0]).toMatchObject({ workflowType: "Trip", args: [{ to: "Oslo" }, null], queue: "travel", at: t0 });
    expect(entries[1]).toEqual({ kind: "timer", key: `e${events[1].seq}`, timerId: 1, at: t0 + 1, fireAt: t0 + 500, firedAt: t0 + 501 });
    expect(entries[2]).toMatchObject({ kind: "signal", name: "nudge", payload: null });
    expect(entries[3]).toMatchObject({
      kind: "activity",
      activityId: 2,
      args: ["Oslo"],
      state: "failed",
      closedAt: t0 + 600,
      attempts: [{ attempt: 1, endedAt: t0 + 600, state: "failed", error: { name: "TimeoutError", message: "late" }, willRetry: false }],
    });
    expect(entries[3]).not.toHaveProperty("result");
    expect(entries.filter(isClosing)).toEqual([{ kind: "canceled", key: `e${events[8].seq}`, at: t0 + 603, reason: "trip off" }]);

    // The event table shows each event's own fields, defaults included, and nothing for an unknown kind.
    expect(eventFields(events[5])).toEqual({
      activityId: 2,
      attempt: 1,
      error: { name: "TimeoutError", message: "late", stack: "", nonRetryable: false },
      willRetry: false,
    });
    expect(eventFields(events[7])).toBeNull();
  });

  it("folds an update's outcome into its card: a result, a failure, one still running", () => {
    const events = [
      event(0, { case: "workflowStarted", value: { workflowType: "Cart", args: [], queue: "default" } }),
      event(10, { case: "updateAccepted", value: { updateId: "u1", name: "checkout", args: [json(30)] } }),
      event(20, { case: "updateAccepted", value: { updateId: "u2", name: "explode", args: [] } }),
      event(30, { case: "updateCompleted", value: { updateId: "u2", error: { name: "Exploded", message: "boom" } } }),
      event(40, { case: "updateCompleted", value: { updateId: "u1", result: json({ receipt: "r-30" }) } }),
      event(50, { case: "updateAccepted", value: { updateId: "u3", name: "checkout", args: [json(5)] } }),
      // Its acceptance is not among these events (an earlier run's).
      event(60, { case: "updateCompleted", value: { updateId: "u0", result: json(null) } }),
    ];
    const entries = buildTimeline(events);
    expect(entries.map((e) => e.kind)).toEqual(["started", "update", "update", "update", "update"]);
    expect(entries[1]).toEqual({
      kind: "update",
      key: `e${events[1].seq}`,
      updateId: "u1",
      name: "checkout",
      args: [30],
      acceptedAt: t0 + 10,
      state: "completed",
      result: { receipt: "r-30" },
      closedAt: t0 + 40,
    });
    expect(entries[2]).toMatchObject({ name: "explode", state: "failed", error: { name: "Exploded", message: "boom" }, closedAt: t0 + 30 });
    expect(entries[2]).not.toHaveProperty("result");
    expect(entries[3]).toMatchObject({ updateId: "u3", state: "running" });
    expect(entries[3]).not.toHaveProperty("closedAt");
    expect(entries[4]).toMatchObject({ updateId: "u0", name: "", state: "completed", result: null });
    expect(entries.some(isClosing)).toBe(false);
  });
});

describe("formatting", () => {
  it("reads a query's arguments as a JSON array, and says what is wrong with anything else", () => {
    expect(parseQueryArgs("  ")).toEqual([]);
    expect(parseQueryArgs('[9, "a", {"b": null}]')).toEqual([9, "a", { b: null }]);
    expect(() => parseQueryArgs("9")).toThrow("The arguments must be a JSON array, one element per argument, e.g. [9]");
    expect(() => parseQueryArgs("[9")).toThrow(/^The arguments are not JSON \(.+\): write a JSON array, e\.g\. \["a", 2\]$/);
  });

  it("reads form fields as JSON where they parse, else as text", () => {
    expect(parseArgument("42")).toBe(42);
    expect(parseArgument('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseArgument("Bob")).toBe("Bob");
    expect(parseArgument('"Bob"')).toBe("Bob");
    expect(parseArgument("true")).toBe(true);
  });

  it("names every status, an unknown one too, and offers a filter for each", () => {
    expect(STATUS_FILTERS.map((f) => f.label)).toEqual(["All", "Running", "Completed", "Failed", "Canceled", "Terminated"]);
    expect(statusName(WorkflowStatus.CANCELED)).toBe("canceled");
    expect(statusName(WorkflowStatus.UNSPECIFIED)).toBe("unknown");
    // A status from a newer server, which this schema does not know.
    expect(statusName(fromJson(WorkflowSchema, { status: 99 }).status)).toBe("unknown");
  });

  it("durations", () => {
    expect(formatDuration(7)).toBe("7 ms");
    expect(formatDuration(4200)).toBe("4.20 s");
    expect(formatDuration(185_000)).toBe("3 min 05 s");
    expect(formatDuration(undefined)).toBe("—");
  });
});
