import { describe, expect, it } from "vitest";
import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { eventToApi } from "../../src/api/convert.ts";
import { HistoryEventSchema } from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import type { ActivityOptions, EventType, HistoryEvent } from "../../src/common/events.ts";
import { resolveActivityOptions } from "../../src/common/options.ts";

const time = "2030-01-01T00:00:00Z";
const later = "2030-01-01T00:00:01.500Z";
const options: ActivityOptions = resolveActivityOptions("payments", {
  scheduleToCloseTimeout: 90_000,
  retry: { initialInterval: 250, maximumAttempts: 3, nonRetryableErrorTypes: ["CardDeclined"] },
});
const error = { name: "CardDeclined", message: "no funds", stack: "CardDeclined: no funds", nonRetryable: true };

/** One event of every kind and its fields on the wire (protobuf JSON); a new kind does not compile until it is here. */
const KINDS: { [K in EventType]: { event: Omit<Extract<HistoryEvent, { type: K }>, "seq" | "time">; json: JsonObject } } = {
  WorkflowStarted: {
    event: { type: "WorkflowStarted", workflowType: "OrderWorkflow", args: ["Bob", 2, { gift: true }], queue: "orders", options: { queue: "orders" } },
    json: { workflowType: "OrderWorkflow", args: ["Bob", 2, { gift: true }], queue: "orders" },
  },
  ActivityScheduled: {
    event: { type: "ActivityScheduled", activityId: 1, activityType: "Charge", args: [2000], options },
    json: {
      activityId: 1,
      activityType: "Charge",
      args: [2000],
      options: {
        startToCloseTimeout: "60s",
        scheduleToCloseTimeout: "90s",
        heartbeatTimeout: "0s",
        queue: "payments",
        retry: {
          initialInterval: "0.250s",
          backoffCoefficient: 2,
          maximumInterval: "25s",
          maximumAttempts: 3,
          nonRetryableErrorTypes: ["CardDeclined"],
        },
      },
    },
  },
  ActivityStarted: {
    event: { type: "ActivityStarted", activityId: 1, attempt: 2, worker: "w-1", eager: true },
    json: { activityId: 1, attempt: 2, worker: "w-1", eager: true },
  },
  ActivityCompleted: {
    event: { type: "ActivityCompleted", activityId: 1, attempt: 2, result: { chargeId: "ch_1" }, contiguousSince: 4 },
    json: { activityId: 1, attempt: 2, result: { chargeId: "ch_1" } },
  },
  ActivityFailed: {
    event: { type: "ActivityFailed", activityId: 1, attempt: 1, error, willRetry: true, nextAttemptAt: later },
    json: { activityId: 1, attempt: 1, error: error, willRetry: true, nextAttemptAt: later },
  },
  TimerStarted: { event: { type: "TimerStarted", timerId: 3, fireAt: later }, json: { timerId: 3, fireAt: later } },
  TimerFired: { event: { type: "TimerFired", timerId: 3 }, json: { timerId: 3 } },
  SignalReceived: { event: { type: "SignalReceived", name: "approve", payload: null }, json: { name: "approve", payload: null } },
  CancelRequested: { event: { type: "CancelRequested", reason: "changed my mind" }, json: { reason: "changed my mind" } },
  WorkflowCompleted: { event: { type: "WorkflowCompleted", result: [1, "two"] }, json: { result: [1, "two"] } },
  WorkflowFailed: { event: { type: "WorkflowFailed", error }, json: { error: error } },
  WorkflowCanceled: { event: { type: "WorkflowCanceled", reason: "changed my mind" }, json: { reason: "changed my mind" } },
  WorkflowTerminated: { event: { type: "WorkflowTerminated", reason: "stuck" }, json: { reason: "stuck" } },
  PatchMarked: { event: { type: "PatchMarked", patchId: "fraud-check", deprecated: true }, json: { patchId: "fraud-check", deprecated: true } },
  WorkflowTaskFailed: { event: { type: "WorkflowTaskFailed", error, worker: "w-2" }, json: { error: error, worker: "w-2" } },
  Undecodable: { event: { type: "Undecodable", reason: "it is not JSON", raw: "not {json" }, json: { reason: "it is not JSON", raw: "not {json" } },
};

const caseOf = (type: string) => type[0].toLowerCase() + type.slice(1);

describe("events in the API", () => {
  it("every event kind becomes its own typed message in the event oneof, with seq, time and type", () => {
    for (const [type, { event, json }] of Object.entries(KINDS)) {
      const api = eventToApi({ ...event, seq: 7, time } as HistoryEvent);
      expect(api.event.case, type).toBe(caseOf(type));
      expect(toJson(HistoryEventSchema, api, { alwaysEmitImplicit: true }), type).toEqual({ seq: "7", type, time, [caseOf(type)]: json });
    }
  });

  it("an ActivityScheduled whose options lack fields (not written by dfut) still converts, with those fields unset", () => {
    const partial = { seq: 9, time, type: "ActivityScheduled", activityId: 1, activityType: "Charge", args: [], options: {} } as unknown as HistoryEvent;
    expect(toJson(HistoryEventSchema, eventToApi(partial))).toEqual({
      seq: "9",
      type: "ActivityScheduled",
      time,
      activityScheduled: { activityId: 1, activityType: "Charge", options: {} },
    });
  });
});
