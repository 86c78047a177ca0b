import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { decodeEvent, firstEvent } from "../common/history.ts";
import { needsDispatch, statusOf, unhandled, type HistoryEvent } from "../common/events.ts";
import { updateExecution, type ExecutionRecord } from "../common/executions.ts";
import { layoutOf } from "../common/layout.ts";
import { isTransient } from "../common/jetstream-errors.ts";
import { publishWorkflowTask } from "../common/tasks.ts";
import { undecodableProblem } from "../common/event-codec.ts";
import type { Logger } from "../common/logger.ts";
import { CumulativeAcks } from "./cumulative-acks.ts";

const QUEUE_CACHE_SIZE = 50_000;
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
  /** Set when the consumers ack cumulatively (AckPolicy.All): most events then need no ack of their own. */
  readonly #cumulative: boolean;
  readonly #partitions: CumulativeAcks[] = [];

  private readonly connection: DfutConnection;
  private readonly executions: KV;
  private readonly logger: Logger;
  constructor(connection: DfutConnection, executions: KV, options: { cumulativeAcks: boolean; logger: Logger }) {
    this.connection = connection;
    this.executions = executions;
    this.logger = options.logger;
    this.#cumulative = options.cumulativeAcks;
  }

  /** The acks of one history partition's consumer (cumulative acks hold within one stream). */
  partition(): CumulativeAcks | undefined {
    if (!this.#cumulative) return undefined;
    const acks = new CumulativeAcks();
    this.#partitions.push(acks);
    return acks;
  }

  handle = async (msg: JsMsg, acks: CumulativeAcks | undefined): Promise<void> => {
    const entry = acks?.received(msg);
    const workflowId = layoutOf(this.connection).workflowIdOf(msg.subject);
    const event = decodeEvent(msg);
    try {
      await this.#dispatch(workflowId, event);
    } catch (err) {
      // Redelivered with backoff a few times; then the event is set aside so that it cannot hold
      // back the acks (and with them all dispatch) of every later event. JetStream not answering
      // (an election) is no reason to give up: that is retried until it answers.
      if (msg.info.deliveryCount < MAX_DISPATCH_TRIES || isTransient(err)) throw err;
      await this.#giveUp(workflowId, event, err);
    }
    if (entry) acks!.done(entry);
    else msg.ack();
  };

  async #giveUp(workflowId: string, event: HistoryEvent, err: unknown): Promise<void> {
    const problem = `dfut server could not handle history event seq ${event.seq} (${event.type}) after ${MAX_DISPATCH_TRIES} tries: ${(err as Error)?.message ?? err}`;
    this.logger.error(`workflow ${workflowId}: ${problem}; going on without it`);
    await updateExecution(this.executions, workflowId, (current) =>
      current && current.status !== "running" ? undefined : { ...(current ?? newRecord(workflowId, event.seq)), problem },
    ).catch(() => undefined);
  }

  /** Sends the acks still held back (on shutdown). */
  flush(): void {
    for (const acks of this.#partitions) acks.flush();
  }

  async #dispatch(workflowId: string, event: HistoryEvent): Promise<void> {
    const { js } = this.connection;
    const work: Promise<unknown>[] = [];
    if (event.type === "WorkflowStarted") this.#rememberQueue(workflowId, event.queue);
    if (needsDispatch(event)) {
      const queue = await this.#queueOf(workflowId);
      if (queue) work.push(publishWorkflowTask(js, queue, workflowId, event));
    }
    const projection = project(workflowId, event);
    if (projection) {
      work.push(updateExecution(this.executions, workflowId, projection, { likelyNew: event.type === "WorkflowStarted" }));
    }
    if (statusOf(event)) this.#queues.delete(workflowId);
    await Promise.all(work);
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
    const started = await firstEvent(this.connection, workflowId);
    if (started?.type !== "WorkflowStarted") return undefined;
    this.#rememberQueue(workflowId, started.queue);
    return started.queue;
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
      return (current) => ({
        ...current,
        workflowId,
        workflowType: event.workflowType,
        queue: event.queue,
        args: event.args,
        startedAt: event.time,
        status: current && current.statusSeq > event.seq ? current.status : "running",
        statusSeq: Math.max(current?.statusSeq ?? 0, event.seq),
      });
    case "WorkflowCompleted":
    case "WorkflowFailed":
    case "WorkflowCanceled":
    case "WorkflowTerminated":
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
      return undefined;
    default:
      return unhandled(event);
  }
}
