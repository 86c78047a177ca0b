/** Turns dfut's records and events into their API messages, and API values back into JSON. */
import { create, fromJson, toJson, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate, ValueSchema, type Duration, type Value } from "@bufbuild/protobuf/wkt";
import {
  unhandled,
  type ActivityOptions as DfutActivityOptions,
  type CarriedSignal as DfutCarriedSignal,
  type ErrorInfo as DfutErrorInfo,
  type HistoryEvent as DfutEvent,
  type ParentClosePolicy as DfutParentClosePolicy,
  type ParentRef as DfutParentRef,
  type ResetPoint as DfutResetPoint,
  type RetryPolicy as DfutRetryPolicy,
  type WorkflowStatus as DfutStatus,
} from "../common/events.ts";
import { InvalidArgumentError } from "../common/errors.ts";
import type { ExecutionRecord } from "../common/executions.ts";
import type { OverlapPolicy as DfutOverlapPolicy, PendingFire, RecentRun, ScheduleSpec as DfutScheduleSpec } from "../common/schedule-spec.ts";
import type { ScheduleDescription, ScheduleRun as DfutScheduleRun, ScheduleSummary as DfutScheduleSummary } from "../client/schedules.ts";
import {
  ActivityOptionsSchema,
  CarriedSignalSchema,
  ErrorInfoSchema,
  HistoryEventSchema,
  ParentClosePolicy,
  OverlapPolicy,
  ParentRefSchema,
  ResetInfoSchema,
  RetryPolicySchema,
  RunRefSchema,
  ScheduleCountersSchema,
  ScheduleRunSchema,
  ScheduleRunState,
  ScheduleSchema,
  ScheduleSpecSchema,
  ScheduleSummarySchema,
  WorkflowSchema,
  WorkflowStatus,
  type ActivityOptions,
  type CarriedSignal,
  type ErrorInfo,
  type HistoryEvent,
  type ParentRef,
  type ResetInfo,
  type RetryPolicy,
  type Schedule,
  type ScheduleRun,
  type ScheduleSpec,
  type ScheduleSummary,
  type Workflow,
} from "./gen/dfut/v1/workflow_pb.ts";

const STATUS_TO_API: Record<DfutStatus, WorkflowStatus> = {
  running: WorkflowStatus.RUNNING,
  completed: WorkflowStatus.COMPLETED,
  failed: WorkflowStatus.FAILED,
  canceled: WorkflowStatus.CANCELED,
  terminated: WorkflowStatus.TERMINATED,
  continued: WorkflowStatus.CONTINUED,
};

// A stored ChildWorkflowClosed's status is checked only to be a string: one dfut did not write is UNSPECIFIED.
export function statusToApi(status: DfutStatus): WorkflowStatus {
  return Object.hasOwn(STATUS_TO_API, status) ? STATUS_TO_API[status] : WorkflowStatus.UNSPECIFIED;
}

/** The engine's status for an API status; undefined for UNSPECIFIED (any). */
export function statusFromApi(status: WorkflowStatus): DfutStatus | undefined {
  for (const [name, value] of Object.entries(STATUS_TO_API)) {
    if (value === status) return name as DfutStatus;
  }
  return undefined;
}

export function valueToApi(value: unknown): Value {
  return fromJson(ValueSchema, toJsonValue(value));
}

/** `what` names the value in the message when it has no JSON form (NaN, Infinity, unset). */
export function valueFromApi(value: Value | undefined, what: string): JsonValue {
  if (!value) return null;
  try {
    return toJson(ValueSchema, value);
  } catch (err) {
    throw new InvalidArgumentError(`${what} has no JSON form (${(err as Error).message}); send JSON values only`);
  }
}

/** JSON as stored: `undefined` becomes null, Dates their ISO strings. */
function toJsonValue(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value) ?? "null") as JsonValue;
}

function timestamp(iso: string | undefined) {
  if (!iso) return undefined;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : timestampFromDate(date);
}

export function errorToApi(error: DfutErrorInfo | undefined): ErrorInfo | undefined {
  if (!error) return undefined;
  return create(ErrorInfoSchema, {
    name: error.name ?? "Error",
    message: error.message ?? "",
    stack: error.stack ?? "",
    nonRetryable: error.nonRetryable ?? false,
  });
}

export function workflowToApi(record: ExecutionRecord): Workflow {
  return create(WorkflowSchema, {
    workflowId: record.workflowId,
    workflowType: record.workflowType ?? "",
    queue: record.queue ?? "",
    status: statusToApi(record.status),
    startedAt: timestamp(record.startedAt),
    closedAt: timestamp(record.closedAt),
    args: (record.args ?? []).map(valueToApi),
    result: record.status === "completed" ? valueToApi(record.result) : undefined,
    error: errorToApi(record.error),
    problem: record.problem ?? "",
    statusSeq: BigInt(record.statusSeq ?? 0),
    runId: record.runId ?? "",
    runs: record.runs ?? [],
    continuedFrom: record.continuedFrom ?? "",
    parent: record.parent && create(RunRefSchema, { workflowId: record.parent.workflowId, runId: record.parent.runId }),
  });
}

const PARENT_CLOSE_TO_API: Record<DfutParentClosePolicy, ParentClosePolicy> = {
  terminate: ParentClosePolicy.TERMINATE,
  "request-cancel": ParentClosePolicy.REQUEST_CANCEL,
  abandon: ParentClosePolicy.ABANDON,
};

// The event codec checks only that the policy is a string: one dfut did not write is UNSPECIFIED.
function parentClosePolicyToApi(policy: DfutParentClosePolicy): ParentClosePolicy {
  return Object.hasOwn(PARENT_CLOSE_TO_API, policy) ? PARENT_CLOSE_TO_API[policy] : ParentClosePolicy.UNSPECIFIED;
}

// Partial: the event codec checks only that `parent` is an object.
function parentToApi(parent: Partial<DfutParentRef> | undefined): ParentRef | undefined {
  if (!parent) return undefined;
  return create(ParentRefSchema, {
    workflowId: parent.workflowId ?? "",
    runId: parent.runId ?? "",
    stepId: parent.stepId ?? 0,
    queue: parent.queue ?? "",
  });
}

// Partial: the event codec checks only that `signals` is an array.
function signalsToApi(signals: readonly Partial<DfutCarriedSignal>[] | undefined): CarriedSignal[] {
  return (signals ?? []).map((signal) => create(CarriedSignalSchema, { name: signal.name ?? "", payload: valueToApi(signal.payload) }));
}

// Partial: the event codec checks only that `reset` is an object.
function resetToApi(reset: Partial<DfutResetPoint> | undefined): ResetInfo | undefined {
  if (!reset) return undefined;
  return create(ResetInfoSchema, {
    fromRunId: reset.fromRunId ?? "",
    toSeq: BigInt(Number.isSafeInteger(reset.toSeq) ? reset.toSeq! : 0),
    reason: reset.reason ?? "",
    carriedEvents: Array.isArray(reset.events) ? reset.events.length : 0,
  });
}

export function eventToApi(event: DfutEvent): HistoryEvent {
  return create(HistoryEventSchema, { seq: BigInt(event.seq), type: event.type, time: timestamp(event.time), event: typedEvent(event) });
}

type TypedEvent = MessageInitShape<typeof HistoryEventSchema>["event"];

/** The event's own fields, as its message in the `event` oneof. */
function typedEvent(event: DfutEvent): TypedEvent {
  switch (event.type) {
    case "WorkflowStarted":
      return {
        case: "workflowStarted",
        value: {
          workflowType: event.workflowType,
          args: event.args.map(valueToApi),
          queue: event.queue,
          firstStep: event.firstStep ?? 1,
          continuedFrom: event.continuedFrom ?? "",
          parent: parentToApi(event.parent),
          signals: signalsToApi(event.signals),
          reset: resetToApi(event.reset),
        },
      };
    case "ActivityScheduled":
      return {
        case: "activityScheduled",
        value: {
          activityId: event.activityId,
          activityType: event.activityType,
          args: event.args.map(valueToApi),
          options: activityOptionsToApi(event.options),
        },
      };
    case "ActivityStarted":
      return {
        case: "activityStarted",
        value: { activityId: event.activityId, attempt: event.attempt, worker: event.worker, eager: event.eager ?? false },
      };
    case "ActivityCompleted":
      return { case: "activityCompleted", value: { activityId: event.activityId, attempt: event.attempt, result: valueToApi(event.result) } };
    case "ActivityFailed":
      return {
        case: "activityFailed",
        value: {
          activityId: event.activityId,
          attempt: event.attempt,
          error: errorToApi(event.error),
          willRetry: event.willRetry,
          nextAttemptAt: timestamp(event.nextAttemptAt),
        },
      };
    case "TimerStarted":
      return { case: "timerStarted", value: { timerId: event.timerId, fireAt: timestamp(event.fireAt) } };
    case "TimerFired":
      return { case: "timerFired", value: { timerId: event.timerId } };
    case "SignalReceived":
      return { case: "signalReceived", value: { name: event.name, payload: valueToApi(event.payload) } };
    case "CancelRequested":
      return { case: "cancelRequested", value: { reason: event.reason } };
    case "WorkflowCompleted":
      return { case: "workflowCompleted", value: { result: valueToApi(event.result), openChildren: event.openChildren === true } };
    case "WorkflowFailed":
      return { case: "workflowFailed", value: { error: errorToApi(event.error), openChildren: event.openChildren === true } };
    case "WorkflowCanceled":
      return { case: "workflowCanceled", value: { reason: event.reason, openChildren: event.openChildren === true } };
    case "WorkflowTerminated":
      return { case: "workflowTerminated", value: { reason: event.reason } };
    case "WorkflowTaskFailed":
      return { case: "workflowTaskFailed", value: { error: errorToApi(event.error), worker: event.worker } };
    case "Undecodable":
      return { case: "undecodable", value: { reason: event.reason, raw: event.raw } };
    case "PatchMarked":
      return { case: "patchMarked", value: { patchId: event.patchId, deprecated: event.deprecated === true } };
    case "WorkflowContinuedAsNew":
      return {
        case: "workflowContinuedAsNew",
        value: {
          workflowType: event.workflowType,
          args: event.args.map(valueToApi),
          queue: event.queue,
          firstStep: event.firstStep,
          parent: parentToApi(event.parent),
          signals: signalsToApi(event.signals),
          openChildren: event.openChildren === true,
          runId: event.runId,
        },
      };
    case "ChildWorkflowScheduled":
      return {
        case: "childWorkflowScheduled",
        value: {
          stepId: event.stepId,
          childWorkflowId: event.childWorkflowId,
          workflowType: event.workflowType,
          args: event.args.map(valueToApi),
          queue: event.queue,
          parentClosePolicy: parentClosePolicyToApi(event.parentClosePolicy),
          runId: event.runId,
        },
      };
    case "ChildWorkflowStarted":
      return { case: "childWorkflowStarted", value: { stepId: event.stepId, childWorkflowId: event.childWorkflowId, childRunId: event.childRunId } };
    case "ChildWorkflowStartFailed":
      return {
        case: "childWorkflowStartFailed",
        value: { stepId: event.stepId, childWorkflowId: event.childWorkflowId, error: errorToApi(event.error) },
      };
    case "ChildWorkflowClosed":
      return {
        case: "childWorkflowClosed",
        value: {
          stepId: event.stepId,
          childWorkflowId: event.childWorkflowId,
          childRunId: event.childRunId,
          status: statusToApi(event.status),
          // A void result is not stored: it is null, as the result of a completed workflow is.
          result: event.status === "completed" ? valueToApi(event.result) : undefined,
          error: errorToApi(event.error),
        },
      };
    case "ChildWorkflowSignaled":
      return {
        case: "childWorkflowSignaled",
        value: { stepId: event.stepId, childWorkflowId: event.childWorkflowId, name: event.name, payload: valueToApi(event.payload) },
      };
    case "StepCanceled":
      return { case: "stepCanceled", value: { stepId: event.stepId, childWorkflowId: event.childWorkflowId ?? "" } };
    case "UpdateAccepted":
      return { case: "updateAccepted", value: { updateId: event.updateId, name: event.name, args: event.args.map(valueToApi) } };
    case "UpdateCompleted":
      return {
        case: "updateCompleted",
        value: {
          updateId: event.updateId,
          // A void result is not stored: it is null, as a workflow's is. A failed update has none.
          result: event.error ? undefined : valueToApi(event.result),
          error: errorToApi(event.error),
        },
      };
    default:
      return unhandled(event);
  }
}

/** Milliseconds as a Duration, rounded to whole milliseconds; unset when not a number. */
function duration(ms: number | undefined): Duration | undefined {
  return typeof ms === "number" && Number.isFinite(ms) ? durationFromMs(Math.round(ms)) : undefined;
}

// Partial: the event codec checks only that `options` is an object, so a message dfut did not
// write may lack any of its fields.
function activityOptionsToApi(options: Partial<DfutActivityOptions>): ActivityOptions {
  return create(ActivityOptionsSchema, {
    startToCloseTimeout: duration(options.startToCloseTimeout),
    scheduleToCloseTimeout: duration(options.scheduleToCloseTimeout),
    heartbeatTimeout: duration(options.heartbeatTimeout),
    queue: options.queue ?? "",
    retry: options.retry && retryPolicyToApi(options.retry),
  });
}

function retryPolicyToApi(retry: Partial<DfutRetryPolicy>): RetryPolicy {
  return create(RetryPolicySchema, {
    initialInterval: duration(retry.initialInterval),
    backoffCoefficient: retry.backoffCoefficient ?? 0,
    maximumInterval: duration(retry.maximumInterval),
    maximumAttempts: retry.maximumAttempts ?? 0,
    nonRetryableErrorTypes: retry.nonRetryableErrorTypes ?? [],
  });
}

const OVERLAP_TO_API: Record<DfutOverlapPolicy, OverlapPolicy> = {
  skip: OverlapPolicy.SKIP,
  "buffer-one": OverlapPolicy.BUFFER_ONE,
  "allow-all": OverlapPolicy.ALLOW_ALL,
};

export function overlapToApi(policy: DfutOverlapPolicy): OverlapPolicy {
  return Object.hasOwn(OVERLAP_TO_API, policy) ? OVERLAP_TO_API[policy] : OverlapPolicy.UNSPECIFIED;
}

/** The SDK's policy for an API policy; undefined for UNSPECIFIED (the default). */
export function overlapFromApi(policy: OverlapPolicy): DfutOverlapPolicy | undefined {
  for (const [name, value] of Object.entries(OVERLAP_TO_API)) {
    if (value === policy) return name as DfutOverlapPolicy;
  }
  if (policy === OverlapPolicy.UNSPECIFIED) return undefined;
  throw new InvalidArgumentError(`overlap ${policy} is not an overlap policy this server knows; use OVERLAP_POLICY_SKIP, OVERLAP_POLICY_BUFFER_ONE or OVERLAP_POLICY_ALLOW_ALL`);
}

/** A schedule's run as described: its workflow's status now, or why it has none. */
function scheduleRunToApi(run: DfutScheduleRun): ScheduleRun {
  const fire = fireToApi(run);
  switch (run.status) {
    case "starting":
      fire.state = ScheduleRunState.STARTING;
      break;
    case "not started":
      fire.state = ScheduleRunState.NOT_STARTED;
      break;
    case "removed":
      fire.state = ScheduleRunState.REMOVED;
      break;
    default:
      fire.state = ScheduleRunState.STARTED;
      fire.status = statusToApi(run.status);
  }
  return fire;
}

/** A fire as recorded, its state not looked up. */
function fireToApi(fire: PendingFire | RecentRun, state: ScheduleRunState = ScheduleRunState.UNSPECIFIED): ScheduleRun {
  return create(ScheduleRunSchema, {
    nominalTime: timestamp(fire.nominal),
    workflowId: fire.workflowId,
    manual: fire.manual === true,
    state,
    error: "error" in fire ? (fire.error ?? "") : "",
  });
}

function scheduleSpecToApi(spec: DfutScheduleSpec): ScheduleSpec {
  return create(ScheduleSpecSchema, {
    cron: spec.cron ?? "",
    every: duration(spec.everyMs),
    timezone: spec.timezone ?? "",
    jitter: spec.jitterMs > 0 ? duration(spec.jitterMs) : undefined,
  });
}

// The record codec checks only that `counters` is an object.
function count(n: number | undefined): bigint {
  return BigInt(Number.isSafeInteger(n) ? n! : 0);
}

export function scheduleToApi(d: ScheduleDescription): Schedule {
  return create(ScheduleSchema, {
    scheduleId: d.scheduleId,
    spec: scheduleSpecToApi(d.spec),
    specText: d.specText,
    workflowType: d.action.workflowType,
    args: d.action.args.map(valueToApi),
    queue: d.action.queue,
    overlap: overlapToApi(d.policies.overlap),
    catchupWindow: duration(d.policies.catchupWindowMs),
    paused: d.paused,
    note: d.note ?? "",
    createdAt: timestamp(d.createdAt),
    updatedAt: timestamp(d.updatedAt),
    nextFires: d.nextFires.flatMap((t) => timestamp(t) ?? []),
    recentRuns: d.recentRuns.map(scheduleRunToApi),
    buffered: d.buffered && fireToApi(d.buffered, ScheduleRunState.BUFFERED),
    counters: create(ScheduleCountersSchema, {
      started: count(d.counters.started),
      missedCatchup: count(d.counters.missedCatchup),
      overlapSkipped: count(d.counters.overlapSkipped),
      failedStarts: count(d.counters.failedStarts),
    }),
  });
}

export function scheduleSummaryToApi(s: DfutScheduleSummary): ScheduleSummary {
  return create(ScheduleSummarySchema, {
    scheduleId: s.scheduleId,
    specText: s.specText,
    workflowType: s.workflowType,
    queue: s.queue,
    overlap: s.problem ? OverlapPolicy.UNSPECIFIED : overlapToApi(s.overlap),
    paused: s.paused,
    note: s.note ?? "",
    nextFire: timestamp(s.nextFire),
    lastRun: s.lastRun && fireToApi(s.lastRun),
    problem: s.problem ?? "",
  });
}
