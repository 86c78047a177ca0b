import { describe, expect, it } from "vitest";
import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { eventToApi, statusFromApi, statusToApi, workflowToApi } from "../../src/api/convert.ts";
import { HistoryEventSchema, ParentClosePolicy, WorkflowSchema, WorkflowStatus } from "../../src/api/gen/dfut/v1/workflow_pb.ts";
import type { ActivityOptions, EventType, HistoryEvent } from "../../src/common/events.ts";
import { resolveActivityOptions } from "../../src/common/options.ts";

const time = "2030-01-01T00:00:00Z";
const later = "2030-01-01T00:00:01.500Z";
const options: ActivityOptions = resolveActivityOptions("payments", {
  scheduleToCloseTimeout: 90_000,
  retry: { initialInterval: 250, maximumAttempts: 3, nonRetryableErrorTypes: ["CardDeclined"] },
});
const error = { name: "CardDeclined", message: "no funds", stack: "CardDeclined: no funds", nonRetryable: true };
const parent = { workflowId: "order-7", runId: "1", stepId: 4, queue: "orders" };

/** One event of every kind and its fields on the wire (protobuf JSON); a new kind does not compile until it is here. */
const KINDS: { [K in EventType]: { event: Omit<Extract<HistoryEvent, { type: K }>, "seq" | "time">; json: JsonObject } } = {
  WorkflowStarted: {
    event: {
      type: "WorkflowStarted",
      workflowType: "OrderWorkflow",
      args: ["Bob", 2, { gift: true }],
      queue: "orders",
      options: { queue: "orders" },
      firstStep: 9,
      continuedFrom: "12",
      parent,
      signals: [{ name: "approve", payload: { by: "Ann" } }],
    },
    json: {
      workflowType: "OrderWorkflow",
      args: ["Bob", 2, { gift: true }],
      queue: "orders",
      firstStep: 9,
      continuedFrom: "12",
      parent,
      signals: [{ name: "approve", payload: { by: "Ann" } }],
    },
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
  WorkflowCompleted: { event: { type: "WorkflowCompleted", result: [1, "two"] }, json: { result: [1, "two"], openChildren: false } },
  WorkflowFailed: { event: { type: "WorkflowFailed", error, openChildren: true }, json: { error: error, openChildren: true } },
  WorkflowCanceled: { event: { type: "WorkflowCanceled", reason: "changed my mind" }, json: { reason: "changed my mind", openChildren: false } },
  WorkflowTerminated: { event: { type: "WorkflowTerminated", reason: "stuck" }, json: { reason: "stuck" } },
  PatchMarked: { event: { type: "PatchMarked", patchId: "fraud-check", deprecated: true }, json: { patchId: "fraud-check", deprecated: true } },
  WorkflowTaskFailed: { event: { type: "WorkflowTaskFailed", error, worker: "w-2" }, json: { error: error, worker: "w-2" } },
  WorkflowContinuedAsNew: {
    event: {
      type: "WorkflowContinuedAsNew",
      runId: "12",
      workflowType: "OrderWorkflow",
      args: [{ cursor: 100 }],
      queue: "orders",
      firstStep: 21,
      parent,
      signals: [{ name: "approve", payload: null }],
      openChildren: true,
    },
    json: {
      workflowType: "OrderWorkflow",
      args: [{ cursor: 100 }],
      queue: "orders",
      firstStep: 21,
      parent,
      signals: [{ name: "approve", payload: null }],
      openChildren: true,
      runId: "12",
    },
  },
  ChildWorkflowScheduled: {
    event: {
      type: "ChildWorkflowScheduled",
      runId: "1",
      stepId: 5,
      childWorkflowId: "order-7-5",
      workflowType: "ShipWorkflow",
      args: ["widget-1000"],
      queue: "shipping",
      parentClosePolicy: "request-cancel",
    },
    json: {
      stepId: 5,
      childWorkflowId: "order-7-5",
      workflowType: "ShipWorkflow",
      args: ["widget-1000"],
      queue: "shipping",
      parentClosePolicy: "PARENT_CLOSE_POLICY_REQUEST_CANCEL",
      runId: "1",
    },
  },
  ChildWorkflowStarted: {
    event: { type: "ChildWorkflowStarted", stepId: 5, childWorkflowId: "order-7-5", childRunId: "1" },
    json: { stepId: 5, childWorkflowId: "order-7-5", childRunId: "1" },
  },
  ChildWorkflowStartFailed: {
    event: { type: "ChildWorkflowStartFailed", stepId: 5, childWorkflowId: "order-7-5", error },
    json: { stepId: 5, childWorkflowId: "order-7-5", error: error },
  },
  ChildWorkflowClosed: {
    event: { type: "ChildWorkflowClosed", stepId: 5, childWorkflowId: "order-7-5", childRunId: "3", status: "failed", error },
    json: { stepId: 5, childWorkflowId: "order-7-5", childRunId: "3", status: "WORKFLOW_STATUS_FAILED", error: error },
  },
  ChildWorkflowSignaled: {
    event: { type: "ChildWorkflowSignaled", stepId: 6, childWorkflowId: "order-7-5", name: "hurry", payload: { by: "Ann" } },
    json: { stepId: 6, childWorkflowId: "order-7-5", name: "hurry", payload: { by: "Ann" } },
  },
  StepCanceled: { event: { type: "StepCanceled", stepId: 3 }, json: { stepId: 3, childWorkflowId: "" } },
  UpdateAccepted: {
    event: { type: "UpdateAccepted", updateId: "pay-once", name: "checkout", args: [30, { gift: true }] },
    json: { updateId: "pay-once", name: "checkout", args: [30, { gift: true }] },
  },
  UpdateCompleted: {
    event: { type: "UpdateCompleted", updateId: "pay-once", result: { receipt: "r-30" } },
    json: { updateId: "pay-once", result: { receipt: "r-30" } },
  },
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

  it("a WorkflowStarted written before runs existed starts at step 1, with no parent, predecessor or carried signals", () => {
    const old = { seq: 1, time, type: "WorkflowStarted", workflowType: "OrderWorkflow", args: [], queue: "orders", options: {} } as HistoryEvent;
    expect(toJson(HistoryEventSchema, eventToApi(old), { alwaysEmitImplicit: true })).toEqual({
      seq: "1",
      type: "WorkflowStarted",
      time,
      workflowStarted: { workflowType: "OrderWorkflow", args: [], queue: "orders", firstStep: 1, continuedFrom: "", signals: [] },
    });
  });

  it("a child that completed has its result, null when it returned nothing; one that did not has none", () => {
    const closed = { seq: 3, time, type: "ChildWorkflowClosed", stepId: 2, childWorkflowId: "c", childRunId: "1" } as const;
    expect(toJson(HistoryEventSchema, eventToApi({ ...closed, status: "completed", result: { ok: 1 } }))).toMatchObject({
      childWorkflowClosed: { status: "WORKFLOW_STATUS_COMPLETED", result: { ok: 1 } },
    });
    expect(toJson(HistoryEventSchema, eventToApi({ ...closed, status: "completed" }))).toMatchObject({ childWorkflowClosed: { result: null } });
    const canceled = toJson(HistoryEventSchema, eventToApi({ ...closed, status: "canceled" })) as { childWorkflowClosed: object };
    expect(canceled.childWorkflowClosed).toEqual({ stepId: 2, childWorkflowId: "c", childRunId: "1", status: "WORKFLOW_STATUS_CANCELED" });
  });

  it("an update that returned nothing has a null result; one that failed has its error and no result", () => {
    const completed = { seq: 4, time, type: "UpdateCompleted", updateId: "u-1" } as const;
    expect(toJson(HistoryEventSchema, eventToApi(completed))).toMatchObject({ updateCompleted: { updateId: "u-1", result: null } });
    const failed = toJson(HistoryEventSchema, eventToApi({ ...completed, error })) as { updateCompleted: object };
    expect(failed.updateCompleted).toEqual({ updateId: "u-1", error });
  });

  it("a parent close policy dfut does not know is UNSPECIFIED", () => {
    const event = { ...KINDS.ChildWorkflowScheduled.event, parentClosePolicy: "explode", seq: 2, time } as unknown as HistoryEvent;
    expect(eventToApi(event).event.value).toMatchObject({ stepId: 5, parentClosePolicy: ParentClosePolicy.UNSPECIFIED });
  });
});

describe("executions in the API", () => {
  it("a record's run, its earlier runs and its parent (its run; the record's step and queue are dfut's own)", () => {
    const record = {
      workflowId: "order-7-5",
      workflowType: "ShipWorkflow",
      status: "running" as const,
      statusSeq: 30,
      runId: "30",
      runs: ["1", "17", "30"],
      continuedFrom: "17",
      parent,
    };
    expect(toJson(WorkflowSchema, workflowToApi(record))).toEqual({
      workflowId: "order-7-5",
      workflowType: "ShipWorkflow",
      status: "WORKFLOW_STATUS_RUNNING",
      statusSeq: "30",
      runId: "30",
      runs: ["1", "17", "30"],
      continuedFrom: "17",
      parent: { workflowId: "order-7", runId: "1" },
    });
    // A record written before runs existed has none of them.
    expect(toJson(WorkflowSchema, workflowToApi({ workflowId: "w", status: "completed", statusSeq: 4 }))).toEqual({
      workflowId: "w",
      status: "WORKFLOW_STATUS_COMPLETED",
      statusSeq: "4",
      result: null,
    });
  });

  it("every status has its own API value, and back", () => {
    const statuses = ["running", "completed", "failed", "canceled", "terminated", "continued"] as const;
    expect(statuses.map(statusToApi)).toEqual([
      WorkflowStatus.RUNNING,
      WorkflowStatus.COMPLETED,
      WorkflowStatus.FAILED,
      WorkflowStatus.CANCELED,
      WorkflowStatus.TERMINATED,
      WorkflowStatus.CONTINUED,
    ]);
    expect(statuses.map((status) => statusFromApi(statusToApi(status)))).toEqual([...statuses]);
    expect(statusFromApi(WorkflowStatus.UNSPECIFIED)).toBeUndefined();
  });
});
