import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { decodeEvent, readCurrentRun } from "../common/history.ts";
import { isFinalClose, needsDispatch, statusOf, unhandled, type HistoryEvent, type ParentRef } from "../common/events.ts";
import { getExecution, updateExecution, type ExecutionRecord } from "../common/executions.ts";
import { KeyedSerializer } from "../common/consume.ts";
import { ChildWorkflows } from "./child-workflows.ts";
import { dfutMetrics } from "../common/metrics.ts";
import { layoutOf } from "../common/layout.ts";
import { isTransient } from "../common/jetstream-errors.ts";
import { publishWorkflowTask } from "../common/tasks.ts";
import { undecodableProblem } from "../common/event-codec.ts";
import type { Logger } from "../common/logger.ts";

const QUEUE_CACHE_SIZE = 50_000;
/** Run ids an execution record lists. */
const MAX_RUNS_LISTED = 50;
/** Deliveries of one event (with backoff between them) before the dispatcher goes on without it. */
const MAX_DISPATCH_TRIES = 10;

/**
 * Follows all history: publishes the workflow tasks of the events clients write (start, signal,
 * cancel), acking each event only after its task is stored (a transactional outbox; the task's
 * message id is derived from the event, so a redelivered event makes no duplicate), and keeps
 * the execution index. Tasks of all other events are published by their writers.
 */
export class Dispatcher {
  readonly #queues = new Map<string, string>();
  /** One event at a time per workflow, in history order: a run's outbox writes follow its events. */
  readonly #serializer = new KeyedSerializer();
  readonly #children: ChildWorkflows;

  private readonly connection: DfutConnection;
  private readonly executions: KV;
  private readonly logger: Logger;
  constructor(connection: DfutConnection, executions: KV, options: { logger: Logger }) {
    this.connection = connection;
    this.executions = executions;
    this.logger = options.logger;
    this.#children = new ChildWorkflows(connection, { logger: options.logger, queueOf: (workflowId) => this.#queueOf(workflowId) });
  }

  handle = async (msg: JsMsg): Promise<void> => {
    const workflowId = layoutOf(this.connection).workflowIdOf(msg.subject);
    const event = decodeEvent(msg);
    try {
      await this.#serializer.run(workflowId, () => this.#dispatch(workflowId, event));
    } catch (err) {
      // Redelivered with backoff a few times; then the event is set aside, so that a failing event
      // cannot fill the consumer's ack-pending limit and stall all dispatch. JetStream not
      // answering (an election) is no reason to give up: that is retried until it answers.
      if (msg.info.deliveryCount < MAX_DISPATCH_TRIES || isTransient(err)) throw err;
      await this.#giveUp(workflowId, event, err);
    }
    msg.ack();
  };

  async #giveUp(workflowId: string, event: HistoryEvent, err: unknown): Promise<void> {
    const problem = `dfut server could not handle history event seq ${event.seq} (${event.type}) after ${MAX_DISPATCH_TRIES} tries: ${(err as Error)?.message ?? err}`;
    this.logger.error(`workflow ${workflowId}: ${problem}; going on without it`, { workflowId });
    await updateExecution(this.executions, workflowId, (current) =>
      current && current.status !== "running" ? undefined : { ...(current ?? newRecord(workflowId, event.seq)), problem },
    ).catch(() => undefined);
  }

  async #dispatch(workflowId: string, event: HistoryEvent): Promise<void> {
    const { js } = this.connection;
    const work: Promise<unknown>[] = [];
    if (event.type === "WorkflowStarted") this.#rememberQueue(workflowId, event.queue);
    if (needsDispatch(event)) {
      const queue = await this.#queueOf(workflowId);
      if (queue) work.push(publishWorkflowTask(js, queue, workflowId, event));
    }
    // The record as it was before a close: whose child the run is, which run closes.
    let before: ExecutionRecord | undefined;
    const projection = project(workflowId, event);
    if (projection) {
      const observed: Mutation = (current) => {
        before = current;
        return projection(current);
      };
      work.push(updateExecution(this.executions, workflowId, observed, { likelyNew: event.type === "WorkflowStarted" }));
    }
    const writes = this.#children.dispatch(workflowId, event);
    if (writes) work.push(writes);
    await Promise.all(work);
    if (event.type === "WorkflowStarted") dfutMetrics.workflowsStarted.inc({ workflow_type: event.workflowType });
    const status = statusOf(event);
    if (status) dfutMetrics.workflowsClosed.inc({ workflow_type: before?.workflowType ?? "unknown", status });
    if (statusOf(event)) {
      this.#queues.delete(workflowId);
      await this.#children.runClosed(workflowId, event, () => this.#closingRun(workflowId, event, before));
    }
  }

  /** The start of the run an event closes: from the index record, or read from history. */
  async #closingRun(workflowId: string, event: HistoryEvent, record: ExecutionRecord | undefined): Promise<{ runId?: string; parent?: ParentRef }> {
    if (record?.runId && Number(record.runId) < event.seq) return { runId: record.runId, parent: record.parent };
    const [started] = await readCurrentRun(this.connection, workflowId, undefined, event.seq);
    return started?.type === "WorkflowStarted" ? { runId: String(started.seq), parent: started.parent } : {};
  }

  #rememberQueue(workflowId: string, queue: string): void {
    if (this.#queues.size >= QUEUE_CACHE_SIZE) {
      const oldest = this.#queues.keys().next().value;
      if (oldest !== undefined) this.#queues.delete(oldest);
    }
    this.#queues.set(workflowId, queue);
  }

  async #queueOf(workflowId: string): Promise<string | undefined> {
    const known = this.#queues.get(workflowId);
    if (known) return known;
    // The index names the current run's queue; reading the run is for a record not there yet.
    const record = await getExecution(this.executions, workflowId);
    const queue = record?.queue ?? (await this.#queueFromHistory(workflowId));
    if (queue) this.#rememberQueue(workflowId, queue);
    return queue;
  }

  async #queueFromHistory(workflowId: string): Promise<string | undefined> {
    const [started] = await readCurrentRun(this.connection, workflowId);
    return started?.type === "WorkflowStarted" ? started.queue : undefined;
  }
}

type Mutation = (current: ExecutionRecord | undefined) => ExecutionRecord | undefined;

/** The index's record of a workflow whose WorkflowStarted it has not seen. */
function newRecord(workflowId: string, seq: number): ExecutionRecord {
  return { workflowId, status: "running", statusSeq: seq };
}

/** How an event changes the execution index, if it does. */
export function project(workflowId: string, event: HistoryEvent): Mutation | undefined {
  switch (event.type) {
    case "WorkflowStarted":
      return (current) => {
        // A later run's record stays; an earlier run's fields give way to this run's.
        if (current?.runId && Number(current.runId) > event.seq) return undefined;
        const runId = String(event.seq);
        // Fields of an earlier run go; a record noted before this start was projected stays.
        const sameRun = current?.runId === undefined || current.runId === runId;
        const { result: _r, error: _e, closedAt: _c, problem: _p, parent: _parent, continuedFrom: _f, ...kept } = current ?? { workflowId };
        const next: ExecutionRecord = {
          ...(sameRun ? current : kept),
          workflowId,
          workflowType: event.workflowType,
          queue: event.queue,
          args: event.args,
          startedAt: event.time,
          status: current && current.statusSeq > event.seq ? current.status : "running",
          statusSeq: Math.max(current?.statusSeq ?? 0, event.seq),
          runId,
          runs: [...(current?.runs ?? []).filter((r) => r !== runId), runId].slice(-MAX_RUNS_LISTED),
        };
        if (event.parent) next.parent = event.parent;
        if (event.continuedFrom) next.continuedFrom = event.continuedFrom;
        return next;
      };
    case "WorkflowCompleted":
    case "WorkflowFailed":
    case "WorkflowCanceled":
    case "WorkflowTerminated":
    case "WorkflowContinuedAsNew":
      return (current) => {
        if (current && current.statusSeq >= event.seq) return undefined;
        const next: ExecutionRecord = {
          ...current,
          workflowId,
          status: statusOf(event)!,
          statusSeq: event.seq,
          closedAt: event.time,
          problem: undefined,
        };
        if (event.type === "WorkflowCompleted") next.result = event.result;
        if (event.type === "WorkflowFailed") next.error = event.error;
        if (event.type === "WorkflowCanceled") next.error = { name: "CanceledError", message: event.reason || "canceled" };
        if (event.type === "WorkflowTerminated") next.error = { name: "Terminated", message: event.reason || "terminated" };
        if (event.type === "WorkflowContinuedAsNew") next.closedAt = undefined;
        return next;
      };
    case "Undecodable":
      return (current) =>
        current && current.status !== "running"
          ? undefined
          : { ...(current ?? newRecord(workflowId, event.seq)), problem: undecodableProblem(event) };
    case "WorkflowTaskFailed":
      return (current) =>
        current && current.status === "running"
          ? { ...current, problem: `workflow task failed: ${event.error.name}: ${event.error.message}` }
          : undefined;
    case "ActivityScheduled":
    case "ActivityStarted":
    case "ActivityCompleted":
    case "ActivityFailed":
    case "TimerStarted":
    case "TimerFired":
    case "SignalReceived":
    case "CancelRequested":
    case "PatchMarked":
    case "ChildWorkflowScheduled":
    case "ChildWorkflowStarted":
    case "ChildWorkflowStartFailed":
    case "ChildWorkflowClosed":
    case "ChildWorkflowSignaled":
    case "StepCanceled":
    case "UpdateAccepted":
    case "UpdateCompleted":
      return undefined;
    default:
      return unhandled(event);
  }
}
