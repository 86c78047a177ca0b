/**
 * What dfut server writes for runs that continue as new and for child workflows: the next run's
 * start, a child's start and its close in the parent, signals and cancels from a parent, and the
 * parent close policy. Each is the outbox of a recorded event: the dispatcher acks the event
 * only once this is done, and every write carries a message id derived from that event (or is
 * fenced), so a redelivered event writes nothing twice.
 */
import type { DfutConnection } from "../common/connection.ts";
import { isDfutError, toErrorInfo, WorkflowAlreadyStartedError, WorkflowClosedError, WorkflowNotFoundError } from "../common/errors.ts";
import {
  isFinalClose,
  statusOf,
  type ChildWorkflowClosed,
  type ChildWorkflowScheduled,
  type ErrorInfo,
  type FinalCloseEvent,
  type HistoryEvent,
  type NewEvent,
  type ParentRef,
  type WorkflowContinuedAsNew,
} from "../common/events.ts";
import { appendEvent, HistoryConflictError, lastEvent, nowIso, readCurrentRun } from "../common/history.ts";
import type { Logger } from "../common/logger.ts";
import { eventMsgIds } from "../common/msg-ids.ts";
import { subjects } from "../common/names.ts";
import { encodeJson } from "../common/payload.ts";
import { appendToOpenRun, startRun } from "../common/runs.ts";
import { publishWorkflowTask } from "../common/tasks.ts";

export interface ChildWorkflowsOptions {
  logger: Logger;
  /** The task queue of a workflow's current run. */
  queueOf: (workflowId: string) => Promise<string | undefined>;
}

export class ChildWorkflows {
  readonly #connection: DfutConnection;
  readonly #options: ChildWorkflowsOptions;

  constructor(connection: DfutConnection, options: ChildWorkflowsOptions) {
    this.#connection = connection;
    this.#options = options;
  }

  /** The writes an event asks of dfut server; undefined for the many events that ask none. */
  dispatch(workflowId: string, event: HistoryEvent): Promise<void> | undefined {
    switch (event.type) {
      case "WorkflowContinuedAsNew":
        return this.#startNextRun(workflowId, event);
      case "ChildWorkflowScheduled":
        return this.#startChild(workflowId, event);
      case "ChildWorkflowSignaled":
        return this.#forParent(event.childWorkflowId, workflowId, event.stepId, "signal", {
          type: "SignalReceived",
          time: nowIso(),
          name: event.name,
          payload: event.payload,
        });
      case "StepCanceled":
        if (!event.childWorkflowId) return undefined;
        return this.#forParent(event.childWorkflowId, workflowId, event.stepId, "cancel", {
          type: "CancelRequested",
          time: nowIso(),
          reason: `canceled by its parent ${workflowId}`,
        });
      default:
        return undefined;
    }
  }

  /**
   * After a run closed: a child's final close goes to its parent; children still open get their
   * parent close policy (the worker marks a close with open children; a terminate cannot know).
   */
  async runClosed(workflowId: string, event: HistoryEvent, closingRun: () => Promise<{ runId?: string; parent?: ParentRef }>): Promise<void> {
    const marked = "openChildren" in event && event.openChildren === true;
    const final = isFinalClose(event);
    if (!final && !marked) return;
    const run = await closingRun();
    if (final && run.parent) await this.#tellParent(workflowId, event, run.parent, run.runId ?? "");
    if (marked || event.type === "WorkflowTerminated") await this.#closeChildren(workflowId, event, run.runId);
  }

  /** The next run's start, fenced on the continue-as-new (events that landed after it are an older run's). */
  async #startNextRun(workflowId: string, event: WorkflowContinuedAsNew): Promise<void> {
    const start: NewEvent = {
      ...runStart(event),
      firstStep: event.firstStep,
      continuedFrom: event.runId,
      ...(event.parent ? { parent: event.parent } : {}),
      ...(event.signals ? { signals: event.signals } : {}),
    };
    const msgId = eventMsgIds.nextRun(workflowId, event.runId);
    let expectLastSeq = event.seq;
    for (;;) {
      try {
        await appendEvent(this.#connection, workflowId, start, { expectLastSeq, msgId, ownMsgId: true });
        return;
      } catch (err) {
        if (!(err instanceof HistoryConflictError)) throw err;
      }
      const last = await lastEvent(this.#connection, workflowId);
      if (!last) return;
      // Already begun (this is a redelivery), or the id was ended from outside meanwhile.
      if (last.type === "WorkflowStarted" || (last.seq > event.seq && isFinalClose(last))) return;
      expectLastSeq = last.seq;
    }
  }

  async #startChild(parentId: string, event: ChildWorkflowScheduled): Promise<void> {
    const parentQueue = (await this.#options.queueOf(parentId)) ?? event.queue;
    const parent: ParentRef = { workflowId: parentId, runId: event.runId, stepId: event.stepId, queue: parentQueue };
    const start: NewEvent & { type: "WorkflowStarted" } = { ...runStart(event), parent };
    let answer: NewEvent;
    try {
      const seq = await startRun(this.#connection, event.childWorkflowId, start, {
        msgId: eventMsgIds.childStart(parentId, event.stepId),
        maxPayload: this.#connection.maxPayload,
        isOwn: (started) => started.parent?.workflowId === parentId && started.parent.stepId === event.stepId,
      });
      answer = { type: "ChildWorkflowStarted", time: nowIso(), stepId: event.stepId, childWorkflowId: event.childWorkflowId, childRunId: String(seq) };
    } catch (err) {
      if (!(err instanceof WorkflowAlreadyStartedError)) throw err;
      answer = { type: "ChildWorkflowStartFailed", time: nowIso(), stepId: event.stepId, childWorkflowId: event.childWorkflowId, error: toErrorInfo(err) };
    }
    const msgId =
      answer.type === "ChildWorkflowStarted" ? eventMsgIds.childStarted(parentId, event.stepId) : eventMsgIds.childClosed(parentId, event.stepId);
    await this.#toParent(parentId, parentQueue, answer, msgId);
  }

  async #tellParent(childId: string, close: FinalCloseEvent, parent: ParentRef, childRunId: string): Promise<void> {
    const status = statusOf(close) as ChildWorkflowClosed["status"];
    const closed: NewEvent = {
      type: "ChildWorkflowClosed",
      time: nowIso(),
      stepId: parent.stepId,
      childWorkflowId: childId,
      childRunId,
      status,
      ...outcomeOf(close),
    };
    await this.#toParent(parent.workflowId, parent.queue, closed, eventMsgIds.childClosed(parent.workflowId, parent.stepId));
  }

  /** Records an answer in the parent and wakes it. The parent may have closed: then nothing reads it. */
  async #toParent(parentId: string, queue: string, event: NewEvent, msgId: string): Promise<void> {
    const { seq } = await appendEvent(this.#connection, parentId, event, { msgId, maxPayload: this.#connection.maxPayload });
    await publishWorkflowTask(this.#connection.js, queue, parentId, { ...event, seq } as HistoryEvent);
  }

  /** The parent close policy of every child of the run that has not closed. */
  async #closeChildren(parentId: string, close: HistoryEvent, runId: string | undefined): Promise<void> {
    const run = await readCurrentRun(this.#connection, parentId, runId, close.seq);
    const ended = new Set(run.filter((e) => e.type === "ChildWorkflowClosed" || e.type === "ChildWorkflowStartFailed").map((e) => ("stepId" in e ? e.stepId : 0)));
    const open = run.filter((e): e is ChildWorkflowScheduled & { seq: number } => e.type === "ChildWorkflowScheduled" && !ended.has(e.stepId));
    const reason = `its parent ${parentId} closed (${statusOf(close)})`;
    await Promise.all(
      open.map((child) => {
        switch (child.parentClosePolicy) {
          case "abandon":
            return undefined;
          case "request-cancel":
            return this.#forParent(child.childWorkflowId, parentId, child.stepId, "close-cancel", { type: "CancelRequested", time: nowIso(), reason });
          case "terminate":
            return this.#forParent(child.childWorkflowId, parentId, child.stepId, "close-terminate", { type: "WorkflowTerminated", time: nowIso(), reason });
        }
      }),
    );
  }

  /** Writes into a child on its parent's behalf; a child that is closed (or gone) needs nothing. */
  async #forParent(childId: string, parentId: string, stepId: number, what: string, event: NewEvent): Promise<void> {
    try {
      const stored = await appendToOpenRun(this.#connection, childId, event, {
        msgId: eventMsgIds.forParent(childId, parentId, stepId, what),
        maxPayload: this.#connection.maxPayload,
      });
      if (stored.type === "WorkflowTerminated") this.#connection.nc.publish(subjects.closed(childId), encodeJson(stored));
    } catch (err) {
      if (err instanceof WorkflowClosedError || err instanceof WorkflowNotFoundError) return;
      if (isDfutError(err) && err.code === "unavailable") this.#options.logger.warn(`workflow ${childId}: ${err.message}`, { workflowId: childId });
      throw err;
    }
  }
}

/** A WorkflowStarted of a run of this type, with these arguments, on this queue. */
function runStart(of: { workflowType: string; args: unknown[]; queue: string }): NewEvent & { type: "WorkflowStarted" } {
  return { type: "WorkflowStarted", time: nowIso(), workflowType: of.workflowType, args: of.args, queue: of.queue, options: { queue: of.queue } };
}

function outcomeOf(close: FinalCloseEvent): { result?: unknown; error?: ErrorInfo } {
  switch (close.type) {
    case "WorkflowCompleted":
      return { result: close.result };
    case "WorkflowFailed":
      return { error: close.error };
    case "WorkflowCanceled":
      return { error: { name: "CanceledError", message: close.reason ? `canceled: ${close.reason}` : "canceled" } };
    case "WorkflowTerminated":
      return { error: { name: "Terminated", message: close.reason ? `terminated: ${close.reason}` : "terminated" } };
  }
}
