// The web UI's pure parts for resets and schedules: the reset points and the reset run's start
// card, the schedule formatting helpers and the routes.
import { describe, expect, it } from "vitest";
import { create, fromJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import {
  HistoryEventSchema,
  OverlapPolicy,
  ScheduleRunSchema,
  ScheduleRunState,
  WorkflowStatus,
  type HistoryEvent,
} from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import { formatUntil, overlapName, refreshDelay, resetText, scheduleRunView } from "../../src/web/format.ts";
import { hrefOf, parseRoute } from "../../src/web/route.ts";
import { buildTimeline, resetPoints } from "../../src/web/timeline.ts";

type TypedEvent = Extract<NonNullable<MessageInitShape<typeof HistoryEventSchema>["event"]>, { case: string }>;

const t0 = Date.parse("2030-01-01T00:00:00Z");
const json = (value: JsonValue): Value => fromJson(ValueSchema, value);
function event(seq: number, typed: TypedEvent): HistoryEvent {
  const type = typed.case[0].toUpperCase() + typed.case.slice(1);
  return create(HistoryEventSchema, { seq: BigInt(seq), type, time: timestampFromMs(t0 + seq), event: typed });
}

describe("resets in the web UI", () => {
  const firstRun = [
    event(1, { case: "workflowStarted", value: { workflowType: "Buggy", args: [json("ann")], queue: "default" } }),
    event(2, { case: "activityScheduled", value: { activityId: 1, activityType: "Charge" } }),
    event(3, { case: "activityStarted", value: { activityId: 1, attempt: 1, worker: "w" } }),
    event(4, { case: "activityCompleted", value: { activityId: 1, attempt: 1, result: json("ok") } }),
    event(5, { case: "workflowFailed", value: { error: { name: "Error", message: "a bug" } } }),
  ];

  it("offers every event of the last run but its close as a reset point, each with its kind and step", () => {
    expect(resetPoints(firstRun)).toEqual([
      { seq: 1n, label: "1 · WorkflowStarted" },
      { seq: 2n, label: "2 · ActivityScheduled #1 Charge" },
      { seq: 3n, label: "3 · ActivityStarted #1" },
      { seq: 4n, label: "4 · ActivityCompleted #1" },
    ]);
    // With a later run in the events (a continue-as-new), only that run's events.
    const next = [
      ...firstRun.slice(0, 4),
      event(5, { case: "workflowContinuedAsNew", value: { workflowType: "Buggy", runId: "1" } }),
      event(6, { case: "workflowStarted", value: { workflowType: "Buggy", continuedFrom: "1" } }),
      event(7, { case: "signalReceived", value: { name: "go" } }),
    ];
    expect(resetPoints(next).map((p) => p.label)).toEqual(["6 · WorkflowStarted", "7 · SignalReceived go"]);
    expect(resetPoints([])).toEqual([]);
  });

  it("a reset run's start entry says where it comes from; other starts have no reset", () => {
    const reset = { fromRunId: "1", toSeq: 4n, reason: "bug fixed", carriedEvents: 3 };
    const entries = buildTimeline([
      ...firstRun,
      event(6, { case: "workflowStarted", value: { workflowType: "Buggy", args: [json("ann")], queue: "default", reset } }),
    ]);
    const starts = entries.filter((e) => e.kind === "started");
    expect(starts[0]).not.toHaveProperty("reset");
    expect(starts[1]).toMatchObject({ runId: "6", reset: { fromRunId: "1", toSeq: 4, reason: "bug fixed", carriedEvents: 3 } });
    expect(resetText({ fromRunId: "1", toSeq: 4, reason: "bug fixed" })).toBe("reset from run 1 after event 4 (bug fixed)");
    expect(resetText({ fromRunId: "12", toSeq: 30, reason: "" })).toBe("reset from run 12 after event 30");
  });
});

describe("schedules in the web UI", () => {
  it("says how long until a fire, and when to read a schedule again", () => {
    const now = t0;
    expect(formatUntil(now + 1, now)).toBe("in 1 s");
    expect(formatUntil(now + 59_000, now)).toBe("in 59 s");
    expect(formatUntil(now + 5 * 60_000, now)).toBe("in 5 min");
    expect(formatUntil(now + 3 * 3_600_000, now)).toBe("in 3 h");
    expect(formatUntil(now + 2 * 86_400_000, now)).toBe("in 2 d");
    expect(formatUntil(now, now)).toBe("now");
    expect(formatUntil(now - 5000, now)).toBe("now");
    expect(formatUntil(undefined, now)).toBe("—");

    // Soon after the next fire, never more often than every second, at most the given pause.
    expect(refreshDelay([now + 2000, now + 9000], 5000, now)).toBe(2300);
    expect(refreshDelay([now + 100], 5000, now)).toBe(1000);
    expect(refreshDelay([now + 60_000], 5000, now)).toBe(5000);
    expect(refreshDelay([undefined, now - 10], 5000, now)).toBe(5000);
    expect(refreshDelay([], 2000, now)).toBe(2000);
  });

  it("names overlap policies and what became of a fire", () => {
    expect([OverlapPolicy.UNSPECIFIED, OverlapPolicy.SKIP, OverlapPolicy.BUFFER_ONE, OverlapPolicy.ALLOW_ALL].map(overlapName)).toEqual([
      "skip",
      "skip",
      "buffer one",
      "allow all",
    ]);
    const run = (state: ScheduleRunState, status: WorkflowStatus = WorkflowStatus.UNSPECIFIED) => create(ScheduleRunSchema, { workflowId: "s-1", state, status });
    expect(scheduleRunView(run(ScheduleRunState.STARTED, WorkflowStatus.COMPLETED))).toEqual({ status: "completed", label: "Started" });
    expect(scheduleRunView(run(ScheduleRunState.STARTED, WorkflowStatus.RUNNING))).toEqual({ status: "running", label: "Started" });
    expect(scheduleRunView(run(ScheduleRunState.STARTING))).toEqual({ label: "Starting" });
    expect(scheduleRunView(run(ScheduleRunState.NOT_STARTED))).toEqual({ label: "Not started" });
    expect(scheduleRunView(run(ScheduleRunState.REMOVED))).toEqual({ label: "Removed" });
    expect(scheduleRunView(run(99 as ScheduleRunState))).toEqual({ label: "Unknown" });
  });

  it("routes #/schedules and #/schedules/<id>, both ways", () => {
    expect(parseRoute("#/schedules")).toEqual({ page: "schedules" });
    expect(parseRoute("#/schedules/")).toEqual({ page: "schedules" });
    expect(parseRoute("#/schedules/night%20ly")).toEqual({ page: "schedule", scheduleId: "night ly" });
    expect(hrefOf({ page: "schedules" })).toBe("#/schedules");
    expect(hrefOf({ page: "schedule", scheduleId: "night ly" })).toBe("#/schedules/night%20ly");
    expect(parseRoute(hrefOf({ page: "schedule", scheduleId: "a-b_c" }))).toEqual({ page: "schedule", scheduleId: "a-b_c" });
  });
});
