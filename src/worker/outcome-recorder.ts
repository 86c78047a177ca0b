import type { DfutConnection } from "../common/connection.ts";
import { PayloadError, toErrorInfo } from "../common/errors.ts";
import { wakesWorkflow, type ErrorInfo, type HistoryEvent, type NewEvent } from "../common/events.ts";
import { appendEvent, eventAt, HistoryConflictError, nowIso } from "../common/history.ts";
import { canRetry, retryDelay } from "../common/options.ts";
import { clock } from "../common/clock.ts";
import { eventMsgIds } from "../common/msg-ids.ts";
import { publishActivityTask, publishWorkflowTask, type ActivityTask } from "../common/tasks.ts";

const OUTCOME_APPEND_TRIES = 8;
const RECORDED_STACK_LINES = 12;

type ActivityCompleted = Extract<NewEvent, { type: "ActivityCompleted" }>;
type ActivityFailed = Extract<NewEvent, { type: "ActivityFailed" }>;

/** Where an attempt's ActivityStarted landed. */
export interface StartedAt {
  seq: number;
  /** True when it was appended right after the ActivityScheduled. */
  fenced: boolean;
}

/** An attempt's result to record: it returned, or it failed. */
export type RecordableOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorInfo };

/**
 * Records what happens to an activity attempt, each event exactly once (message ids of workflow,
 * step, attempt and kind): its start, its outcome with the retry decision, and the task of what
 * follows (the next attempt, or the workflow task the outcome wakes).
 */
export class OutcomeRecorder {
  readonly #connection: DfutConnection;
  readonly #identity: string;

  constructor(options: { connection: DfutConnection; identity: string }) {
    this.#connection = options.connection;
    this.#identity = options.identity;
  }

  /**
   * Appends ActivityStarted, fenced on the ActivityScheduled when this is the first attempt, so
   * that the outcome can prove it directly follows (see Contiguity). Without the fence, or when
   * something else was appended meanwhile, it is appended unfenced.
   */
  async started(task: ActivityTask, eager = false): Promise<StartedAt> {
    const event: NewEvent = {
      type: "ActivityStarted",
      time: nowIso(),
      activityId: task.activityId,
      attempt: task.attempt,
      worker: this.#identity,
      ...(eager ? { eager } : {}),
    };
    const msgId = eventMsgIds.activityStarted(task.workflowId, task.activityId, task.attempt);
    const { js } = this.#connection;
    if (task.attempt === 1 && task.scheduledSeq !== undefined && !task.followed) {
      try {
        const { seq, duplicate } = await appendEvent(this.#connection, task.workflowId, event, { msgId, expectLastSeq: task.scheduledSeq });
        return { seq, fenced: !duplicate };
      } catch (err) {
        if (!(err instanceof HistoryConflictError)) throw err;
      }
    }
    const { seq } = await appendEvent(this.#connection, task.workflowId, event, { msgId });
    return { seq, fenced: false };
  }

  /**
   * Records the attempt's outcome and returns it as stored when it wakes the workflow; with
   * `wake` (the default) it also publishes the workflow task for it.
   */
  async outcome(
    task: ActivityTask,
    outcome: RecordableOutcome,
    started?: StartedAt,
    options: { wake: boolean; headers?: Readonly<Record<string, string>> } = { wake: true },
  ): Promise<HistoryEvent | undefined> {
    const base = { time: nowIso(), activityId: task.activityId, attempt: task.attempt };
    if (outcome.ok) {
      try {
        return await this.#appendOutcome(task, { type: "ActivityCompleted", ...base, result: outcome.result }, started, options.wake);
      } catch (err) {
        if (!(err instanceof PayloadError)) throw err;
        outcome = { ok: false, error: { ...toErrorInfo(err), nonRetryable: true } };
      }
    }
    const failed: ActivityFailed = { ...failureEvent(task, outcome.error), ...base };
    const stored = await this.#appendOutcome(task, failed, started, options.wake);
    if (failed.willRetry) await this.retry(task, failed, false, options.headers);
    return stored;
  }

  /** The next attempt is a new task that waits in the stream until its time: durable backoff. */
  /** The next attempt's task goes with the headers of the one that failed (a trace context). */
  async retry(task: ActivityTask, failed: Pick<ActivityFailed, "nextAttemptAt">, republished = false, headers?: Readonly<Record<string, string>>): Promise<void> {
    const next: ActivityTask = { ...task, attempt: task.attempt + 1, notBefore: failed.nextAttemptAt, verify: republished || undefined };
    await publishActivityTask(this.#connection.js, next, headers);
  }

  /** Appends the outcome (fenced on the attempt's start when that start was fenced) and wakes the workflow. */
  async #appendOutcome(
    task: ActivityTask,
    event: ActivityCompleted | ActivityFailed,
    started: StartedAt | undefined,
    wake: boolean,
  ): Promise<HistoryEvent | undefined> {
    const { js, maxPayload } = this.#connection;
    const msgId = eventMsgIds.activityOutcome(task.workflowId, task.activityId, task.attempt);
    let seq: number | undefined;
    if (started?.fenced && task.scheduledSeq !== undefined) {
      try {
        const contiguous = { ...event, contiguousSince: task.scheduledSeq };
        ({ seq } = await appendEvent(this.#connection, task.workflowId, contiguous, { msgId, maxPayload, expectLastSeq: started.seq }));
        event = contiguous;
      } catch (err) {
        if (!(err instanceof HistoryConflictError)) throw err;
      }
    }
    let stored: HistoryEvent | undefined;
    if (seq === undefined) {
      const appended = await this.#appendWithRetry(task, event, { msgId, maxPayload });
      seq = appended.seq;
      // Another delivery of this attempt recorded its outcome first: wake the workflow with that one.
      if (appended.duplicate) stored = await eventAt(this.#connection, task.workflowId, seq);
    }
    stored ??= { ...event, seq } as HistoryEvent;
    if (!wakesWorkflow(stored)) return undefined;
    if (wake) await publishWorkflowTask(js, task.workflowQueue, task.workflowId, stored);
    return stored;
  }

  /**
   * An outcome that cannot be stored would be lost work: the redelivery would take the attempt
   * for a crashed one and run it again. The append is idempotent (its message id), so retry it.
   */
  async #appendWithRetry(task: ActivityTask, event: NewEvent, options: { msgId: string; maxPayload: number }) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await appendEvent(this.#connection, task.workflowId, event, options);
      } catch (err) {
        if (err instanceof PayloadError || attempt >= OUTCOME_APPEND_TRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  }
}

/** The retry decision for a failed attempt, and the error as recorded (its stack cut short). */
export function failureEvent(task: ActivityTask, error: ErrorInfo): Pick<ActivityFailed, "type" | "error" | "willRetry" | "nextAttemptAt"> {
  const { retry, scheduleToCloseTimeout } = task.options;
  let willRetry = canRetry(retry, task.attempt, error.name, error.nonRetryable === true);
  const nextAttemptAt = clock.now() + retryDelay(retry, task.attempt);
  if (willRetry && scheduleToCloseTimeout > 0 && nextAttemptAt >= Date.parse(task.scheduledAt) + scheduleToCloseTimeout) {
    willRetry = false;
  }
  const { stack: _stack, ...rest } = error;
  const recorded: ErrorInfo = error.stack ? { ...rest, stack: error.stack.split("\n").slice(0, RECORDED_STACK_LINES).join("\n") } : rest;
  return willRetry
    ? { type: "ActivityFailed", error: recorded, willRetry, nextAttemptAt: new Date(nextAttemptAt).toISOString() }
    : { type: "ActivityFailed", error: recorded, willRetry };
}
