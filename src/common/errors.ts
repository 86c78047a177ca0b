import type { ErrorInfo } from "./events.ts";

const DFUT_ERROR = Symbol.for("dfut.error");

/** Base of every error dfut raises on purpose. `code` follows the Connect/gRPC spelling. */
export class DfutError extends Error {
  readonly code: ErrorCode;
  /** Marks dfut's errors across copies of this module (the executable's UI bundles its own). */
  readonly [DFUT_ERROR] = true;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A DfutError from any copy of dfut: `instanceof` sees only errors of its own module copy. */
export function isDfutError(err: unknown): err is DfutError {
  return err instanceof Error && (err as unknown as Record<symbol, unknown>)[DFUT_ERROR] === true;
}

export type ErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "unavailable"
  | "aborted"
  | "deadline_exceeded"
  | "canceled"
  | "internal";

export class InvalidArgumentError extends DfutError {
  constructor(message: string) {
    super("invalid_argument", message);
  }
}

export class WorkflowAlreadyStartedError extends DfutError {
  readonly workflowId: string;
  /** "running", or how its last run closed when the id reuse policy refuses a new run. */
  readonly status: string;
  constructor(workflowId: string, status = "running", policy?: string) {
    super(
      "already_exists",
      status === "running"
        ? `a workflow with id ${JSON.stringify(workflowId)} is already running; choose another id, or wait for it to close`
        : `workflow id ${JSON.stringify(workflowId)} was used by a run that ${status === "completed" ? "completed" : `is ${status}`}, ` +
            `and the id reuse policy "${policy}" refuses a new run; choose another id`,
    );
    this.workflowId = workflowId;
    this.status = status;
  }
}

export class WorkflowNotFoundError extends DfutError {
  readonly workflowId: string;
  constructor(workflowId: string) {
    super("not_found", `no workflow with id ${JSON.stringify(workflowId)}`);
    this.workflowId = workflowId;
  }
}

export class WorkflowClosedError extends DfutError {
  readonly workflowId: string;
  constructor(workflowId: string, status: string) {
    super("failed_precondition", `workflow ${JSON.stringify(workflowId)} is already ${status}`);
    this.workflowId = workflowId;
  }
}

export class PayloadError extends DfutError {
  constructor(message: string) {
    super("invalid_argument", message);
  }
}

export class NatsUnavailableError extends DfutError {
  constructor(message: string, options?: ErrorOptions) {
    super("unavailable", message, options);
  }
}

/** The client's view of a workflow that ended in failure. */
export class WorkflowFailedError extends DfutError {
  readonly workflowId: string;
  readonly failure: ErrorInfo;
  constructor(workflowId: string, failure: ErrorInfo) {
    super("aborted", `workflow ${workflowId} failed: ${failure.name}: ${failure.message}`, { cause: fromErrorInfo(failure) });
    this.workflowId = workflowId;
    this.failure = failure;
  }
}

export class WorkflowCanceledError extends DfutError {
  readonly workflowId: string;
  readonly reason: string;
  constructor(workflowId: string, reason: string) {
    super("canceled", `workflow ${workflowId} was canceled${reason ? `: ${reason}` : ""}`);
    this.workflowId = workflowId;
    this.reason = reason;
  }
}

export class WorkflowTerminatedError extends DfutError {
  readonly workflowId: string;
  readonly reason: string;
  constructor(workflowId: string, reason: string) {
    super("aborted", `workflow ${workflowId} was terminated${reason ? `: ${reason}` : ""}`);
    this.workflowId = workflowId;
    this.reason = reason;
  }
}

/** Thrown by activity code (or dfut) to say how a failure should be treated. */
export class ApplicationFailure extends Error {
  readonly nonRetryable: boolean;
  constructor(message: string, options: { type?: string; nonRetryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = options.type ?? "ApplicationFailure";
    this.nonRetryable = options.nonRetryable ?? false;
  }
  static nonRetryable(message: string, type?: string): ApplicationFailure {
    return new ApplicationFailure(message, { type, nonRetryable: true });
  }
}

/** What a workflow sees when an activity it awaited failed for good. */
export class ActivityFailure extends Error {
  readonly activityType: string;
  readonly activityId: number;
  readonly attempt: number;
  readonly failure: ErrorInfo;
  constructor(
    activityType: string,
    activityId: number,
    attempt: number,
    failure: ErrorInfo) {
    super(`activity ${activityType} (#${activityId}) failed after ${attempt} attempt(s): ${failure.name}: ${failure.message}`, {
      cause: fromErrorInfo(failure),
    });
    this.activityType = activityType;
    this.activityId = activityId;
    this.attempt = attempt;
    this.failure = failure;
    this.name = "ActivityFailure";
  }
}

/** A query's handler threw, or the workflow has no handler of that name. */
export class QueryFailedError extends DfutError {
  constructor(workflowId: string, name: string, failure: ErrorInfo) {
    super("failed_precondition", `query ${name} of workflow ${workflowId} failed: ${failure.name}: ${failure.message}`, { cause: fromErrorInfo(failure) });
  }
}

/** An update was refused before anything was recorded: its validator threw, or there is no handler. */
export class UpdateRejectedError extends DfutError {
  constructor(workflowId: string, name: string, failure: ErrorInfo) {
    super("failed_precondition", `update ${name} of workflow ${workflowId} was rejected: ${failure.name}: ${failure.message}`, { cause: fromErrorInfo(failure) });
  }
}

/** An accepted update's handler failed; its failure is recorded in the history. */
export class UpdateFailedError extends DfutError {
  constructor(workflowId: string, name: string, failure: ErrorInfo) {
    super("aborted", `update ${name} of workflow ${workflowId} failed: ${failure.name}: ${failure.message}`, { cause: fromErrorInfo(failure) });
  }
}

/**
 * A child workflow did not complete: it failed, was canceled or terminated (`cause` is what it
 * failed with), or could not start because its id is in use.
 */
export class ChildWorkflowFailure extends Error {
  readonly workflowType: string;
  readonly childWorkflowId: string;
  /** How the child ended, or "not-started". */
  readonly status: string;
  readonly failure: ErrorInfo;
  constructor(workflowType: string, childWorkflowId: string, status: string, failure: ErrorInfo) {
    const what =
      status === "not-started" ? "could not start" : status === "failed" ? "failed" : `was ${status}`;
    super(`child workflow ${workflowType} (${childWorkflowId}) ${what}: ${failure.name}: ${failure.message}`, {
      cause: fromErrorInfo(failure),
    });
    this.workflowType = workflowType;
    this.childWorkflowId = childWorkflowId;
    this.status = status;
    this.failure = failure;
    this.name = "ChildWorkflowFailure";
  }
}

/**
 * What a workflow sees at its next await after cancellation was requested, and what a running
 * activity's AbortSignal carries when its workflow is canceled or closed. Never retried.
 */
export class CanceledError extends Error {
  readonly reason: string;
  readonly nonRetryable = true;
  constructor(reason: string, message = reason ? `workflow canceled: ${reason}` : "workflow canceled") {
    super(message);
    this.reason = reason;
    this.name = "CanceledError";
  }
}

export type TimeoutType = "startToClose" | "scheduleToClose" | "heartbeat";

/** An activity attempt ran out of one of its time budgets; `timeoutType` says which. */
export class ActivityTimeoutError extends Error {
  readonly timeoutType: TimeoutType;
  constructor(message: string, timeoutType: TimeoutType) {
    super(message);
    this.timeoutType = timeoutType;
    this.name = timeoutType === "heartbeat" ? "HeartbeatTimeout" : "TimeoutError";
  }
}

/** Where code and history part: the event, what it records, what the code does now, and where. */
export interface Divergence {
  /** Sequence of the history event the code disagrees with. */
  seq?: number;
  /** What the history records there ("activity Charge", "the workflow completed"). */
  recorded?: string;
  /** What the code does now instead. */
  produced?: string;
  /** The workflow code's file:line that produced it, when known. */
  location?: string;
}

/** The workflow code no longer produces the commands its history recorded. */
export class NonDeterminismError extends Error {
  readonly divergence: Divergence;
  constructor(message: string, divergence: Divergence = {}) {
    super(divergence.location ? `${message} (at ${divergence.location})` : message);
    this.name = "NonDeterminismError";
    this.divergence = divergence;
  }
}

/** The history holds a message that is not an event: the workflow cannot be replayed past it. */
export class UndecodableEventError extends Error {
  readonly seq: number;
  constructor(message: string, seq: number) {
    super(message);
    this.seq = seq;
    this.name = "UndecodableEvent";
  }
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof Error) {
    const info: ErrorInfo = { name: err.name || "Error", message: err.message };
    if (err.stack) info.stack = err.stack;
    if ((err as { nonRetryable?: unknown }).nonRetryable === true) info.nonRetryable = true;
    if (err instanceof ActivityTimeoutError) info.timeoutType = err.timeoutType;
    return info;
  }
  if (err === null || err === undefined) return { name: "Error", message: `${String(err)} was thrown instead of an Error` };
  return { name: "Error", message: typeof err === "string" ? err : safeStringify(err) };
}

/**
 * The error a recorded failure stands for, as the `cause` of what the workflow or the client
 * sees: an ActivityTimeoutError for a timeout (saying which), otherwise an ApplicationFailure of
 * the recorded type, with the recorded stack.
 */
export function fromErrorInfo(info: ErrorInfo): Error {
  const error = info.timeoutType
    ? new ActivityTimeoutError(info.message, info.timeoutType)
    : new ApplicationFailure(info.message, { type: info.name, nonRetryable: info.nonRetryable });
  if (info.stack) error.stack = info.stack;
  return error;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
