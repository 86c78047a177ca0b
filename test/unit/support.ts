/** Builders shared by the unit tests: events, tasks and bytes by hand, no NATS. */
import type {
  ActivityCompleted,
  ActivityFailed,
  ActivityOptions,
  ActivityScheduled,
  ActivityStarted,
  CancelRequested,
  ChildWorkflowClosed,
  ChildWorkflowScheduled,
  ChildWorkflowSignaled,
  ChildWorkflowStartFailed,
  ChildWorkflowStarted,
  ErrorInfo,
  StepCanceled,
  WorkflowContinuedAsNew,
  SignalReceived,
  TimerFired,
  TimerStarted,
  UndecodableEvent,
  PatchMarked,
  WorkflowCanceled,
  WorkflowCompleted,
  WorkflowFailed,
  WorkflowStarted,
  WorkflowTaskFailed,
  WorkflowTerminated,
} from "../../src/common/events.ts";
import { resolveActivityOptions } from "../../src/common/options.ts";
import type { ActivityTask } from "../../src/common/tasks.ts";

export const T0 = Date.parse("2026-01-01T00:00:00.000Z");

/** The ISO time `ms` after T0. */
export const at = (ms: number): string => new Date(T0 + ms).toISOString();

const encoder = new TextEncoder();

/** The bytes of a text, as a message carries them. */
export const bytes = (text: string): Uint8Array => encoder.encode(text);

/** The bytes of a value as JSON. */
export const json = (value: unknown): Uint8Array => bytes(JSON.stringify(value));

/** A function built from its source text, exactly as written (no transform touches it). */
export function fromSource(source: string): Function {
  return new Function(`return (${source});`)() as Function;
}

/**
 * One workflow's history, built event by event: each event gets the next sequence and a time one
 * second per sequence after T0, so `ctx.now()` moves with every event applied.
 */
export class History {
  seq = 0;

  /** The sequence and time of the next event. */
  next(): { seq: number; time: string } {
    this.seq += 1;
    return { seq: this.seq, time: at(this.seq * 1000) };
  }

  started(workflowType: string, args: unknown[] = [], queue = "default"): WorkflowStarted {
    return { ...this.next(), type: "WorkflowStarted", workflowType, args, queue, options: {} };
  }

  scheduled(activityId: number, activityType: string, args: unknown[] = [], options: ActivityOptions = resolveActivityOptions("default")): ActivityScheduled {
    return { ...this.next(), type: "ActivityScheduled", activityId, activityType, args, options };
  }

  activityStarted(activityId: number, attempt = 1, extra: { eager?: boolean } = {}): ActivityStarted {
    return { ...this.next(), type: "ActivityStarted", activityId, attempt, worker: "worker-1", ...extra };
  }

  completed(activityId: number, result: unknown, attempt = 1): ActivityCompleted {
    return { ...this.next(), type: "ActivityCompleted", activityId, attempt, result };
  }

  failed(activityId: number, error: ErrorInfo, options: { attempt?: number; willRetry?: boolean } = {}): ActivityFailed {
    const willRetry = options.willRetry ?? false;
    const base = this.next();
    return {
      ...base,
      type: "ActivityFailed",
      activityId,
      attempt: options.attempt ?? 1,
      error,
      willRetry,
      ...(willRetry ? { nextAttemptAt: at(base.seq * 1000 + 1000) } : {}),
    };
  }

  timerStarted(timerId: number, fireAt: string): TimerStarted {
    return { ...this.next(), type: "TimerStarted", timerId, fireAt };
  }

  timerFired(timerId: number): TimerFired {
    return { ...this.next(), type: "TimerFired", timerId };
  }

  signal(name: string, payload: unknown): SignalReceived {
    return { ...this.next(), type: "SignalReceived", name, payload };
  }

  cancel(reason: string): CancelRequested {
    return { ...this.next(), type: "CancelRequested", reason };
  }

  workflowCompleted(result: unknown): WorkflowCompleted {
    return { ...this.next(), type: "WorkflowCompleted", result };
  }

  workflowFailed(error: ErrorInfo): WorkflowFailed {
    return { ...this.next(), type: "WorkflowFailed", error };
  }

  workflowCanceled(reason: string): WorkflowCanceled {
    return { ...this.next(), type: "WorkflowCanceled", reason };
  }

  taskFailed(error: ErrorInfo): WorkflowTaskFailed {
    return { ...this.next(), type: "WorkflowTaskFailed", error, worker: "worker-1" };
  }

  terminated(reason: string): WorkflowTerminated {
    return { ...this.next(), type: "WorkflowTerminated", reason };
  }

  patch(patchId: string, deprecated = false): PatchMarked {
    return { ...this.next(), type: "PatchMarked", patchId, ...(deprecated ? { deprecated } : {}) };
  }

  undecodable(reason: string, raw = "garbage"): UndecodableEvent {
    return { ...this.next(), type: "Undecodable", reason, raw };
  }

  continuedAsNew(args: unknown[], firstStep: number, runId = "1"): WorkflowContinuedAsNew {
    return { ...this.next(), type: "WorkflowContinuedAsNew", runId, workflowType: "W", args, queue: "default", firstStep };
  }

  childScheduled(stepId: number, childWorkflowId: string, workflowType = "Child", args: unknown[] = []): ChildWorkflowScheduled {
    return { ...this.next(), type: "ChildWorkflowScheduled", runId: "1", stepId, childWorkflowId, workflowType, args, queue: "default", parentClosePolicy: "terminate" };
  }

  childStarted(stepId: number, childWorkflowId: string, childRunId = "1"): ChildWorkflowStarted {
    return { ...this.next(), type: "ChildWorkflowStarted", stepId, childWorkflowId, childRunId };
  }

  childStartFailed(stepId: number, childWorkflowId: string, error: ErrorInfo): ChildWorkflowStartFailed {
    return { ...this.next(), type: "ChildWorkflowStartFailed", stepId, childWorkflowId, error };
  }

  childClosed(stepId: number, childWorkflowId: string, outcome: { status: ChildWorkflowClosed["status"]; result?: unknown; error?: ErrorInfo }): ChildWorkflowClosed {
    return { ...this.next(), type: "ChildWorkflowClosed", stepId, childWorkflowId, childRunId: "1", ...outcome };
  }

  childSignaled(stepId: number, childWorkflowId: string, name: string, payload: unknown): ChildWorkflowSignaled {
    return { ...this.next(), type: "ChildWorkflowSignaled", stepId, childWorkflowId, name, payload };
  }

  stepCanceled(stepId: number, childWorkflowId?: string): StepCanceled {
    return { ...this.next(), type: "StepCanceled", stepId, ...(childWorkflowId ? { childWorkflowId } : {}) };
  }
}

/** An activity task of the first attempt, with what a test changes. */
export function activityTask(overrides: Partial<ActivityTask> = {}): ActivityTask {
  return {
    workflowId: "wf-1",
    activityId: 1,
    activityType: "Charge",
    args: [],
    options: resolveActivityOptions("default"),
    attempt: 1,
    scheduledAt: at(0),
    scheduledSeq: 2,
    workflowQueue: "default",
    ...overrides,
  };
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** A promise the test settles by hand. */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
