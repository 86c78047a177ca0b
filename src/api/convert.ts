/** Turns dfut's records and events into their API messages, and API values back into JSON. */
import { create, fromJson, toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromDate, ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import type { ErrorInfo as DfutErrorInfo, HistoryEvent as DfutEvent, WorkflowStatus as DfutStatus } from "../common/events.ts";
import { InvalidArgumentError } from "../common/errors.ts";
import type { ExecutionRecord } from "../common/executions.ts";
import {
  ErrorInfoSchema,
  HistoryEventSchema,
  WorkflowSchema,
  WorkflowStatus,
  type ErrorInfo,
  type HistoryEvent,
  type Workflow,
} from "./gen/dfut/v1/workflow_pb.ts";

const STATUS_TO_API: Record<DfutStatus, WorkflowStatus> = {
  running: WorkflowStatus.RUNNING,
  completed: WorkflowStatus.COMPLETED,
  failed: WorkflowStatus.FAILED,
  canceled: WorkflowStatus.CANCELED,
  terminated: WorkflowStatus.TERMINATED,
};

export function statusToApi(status: DfutStatus): WorkflowStatus {
  return STATUS_TO_API[status] ?? WorkflowStatus.UNSPECIFIED;
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
  });
}

export function eventToApi(event: DfutEvent): HistoryEvent {
  const { seq, type, time, ...rest } = event;
  return create(HistoryEventSchema, {
    seq: BigInt(seq),
    type,
    time: timestamp(time),
    attributes: toJsonValue(rest) as JsonObject,
  });
}
