import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { appendEvent, HistoryConflictError, nowIso, readHistory } from "../common/history.ts";
import { isTerminal as isTerminalEvent, type ActivityScheduled, type HistoryEvent, type TimerStarted } from "../common/events.ts";
import { PayloadError, UndecodableEventError, toErrorInfo } from "../common/errors.ts";
import { clearProblem } from "../common/executions.ts";
import { encodeJson } from "../common/payload.ts";
import { subjects } from "../common/names.ts";
import { activityTaskFor, decodeWorkflowTask, publishStepTask, type ActivityTask, type WorkflowTask } from "../common/tasks.ts";
import { setAside } from "./poison.ts";
import { KeyedSerializer } from "../common/consume.ts";
import { commandMsgId, commandToEvent, type Command, WorkflowExecution } from "../workflow/execution.ts";
import type { WorkflowFunction } from "../workflow/definitions.ts";
import type { Logger } from "./logger.ts";
import { taskBackoff, type MissingTypeHandler } from "./missing-type.ts";

const MAX_CONFLICT_RETRIES = 8;

export interface EagerActivities {
  canRunEagerly(activityType: string, queue: string): boolean;
  runEagerly(task: ActivityTask, keepAlive: () => void): Promise<HistoryEvent | undefined>;
}

export interface WorkflowWorkerOptions {
  connection: DfutConnection;
  executions: KV;
  queue: string;
  identity: string;
  workflows: Map<string, WorkflowFunction>;
  /** Executions kept in memory between tasks. */
  cacheSize: number;
  missingTypes: MissingTypeHandler;
  /** What a replayed activity with other arguments than recorded does: see ExecutionOptions. */
  argumentMismatch?: "warn" | "fail";
  /** Runs activities in place when this worker has them (eager execution); none: always queue them. */
  eager?: EagerActivities;
  logger: Logger;
}

/** Turns workflow tasks into commands: replay (or resume the cached run), then append. */
export class WorkflowTaskHandler {
  readonly #cache = new Map<string, WorkflowExecution>();
  readonly #serializer = new KeyedSerializer();

  private readonly options: WorkflowWorkerOptions;
  constructor(options: WorkflowWorkerOptions) {
    this.options = options;
  }

  get cachedExecutions(): number {
    return this.#cache.size;
  }

  handle = (msg: JsMsg): Promise<void> => {
    const decoded = decodeWorkflowTask(msg.data);
    if (!decoded.ok) return setAside(msg, "workflow task", decoded.problem, this.options);
    const task = decoded.value;
    return this.#serializer.run(task.workflowId, () => this.#process(msg, task));
  };

  async #process(msg: JsMsg, task: WorkflowTask): Promise<void> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      const cached = this.#cache.get(task.workflowId);
      if (cached && (cached.closed || task.seq <= cached.lastSeq)) {
        msg.ack();
        return;
      }
      let outcome: "done" | "conflict";
      try {
        // After a conflict, start over from history alone: neither the cache nor the task's event.
        outcome = await this.#step(attempt === 0 ? task : { workflowId: task.workflowId, seq: task.seq }, attempt === 0 ? cached : undefined, msg);
      } catch (err) {
        // The cached run may hold commands whose append never landed: only history can tell.
        this.#evict(task.workflowId);
        throw err;
      }
      if (outcome !== "conflict") return;
      this.#evict(task.workflowId);
    }
    throw new Error(`workflow ${task.workflowId}: history kept moving under this worker; retrying later`);
  }

  /**
   * Brings the run up to the task's event and records what the code asks for next. When that is
   * one activity this worker can run, it runs it right here (eager execution: no task, no queue)
   * and goes on with its outcome, still holding the workflow task.
   */
  async #step(task: WorkflowTask, cached: WorkflowExecution | undefined, msg: JsMsg): Promise<"done" | "conflict"> {
    let next: WorkflowTask | undefined = task;
    let current = cached;
    while (next) {
      const progress = await this.#advance(next, current, msg, next === task);
      if (progress === "done" || progress === "conflict") return progress;
      const outcome = await this.options.eager!.runEagerly(progress.task, () => msg.working());
      current = progress.execution;
      next = outcome && { workflowId: task.workflowId, seq: outcome.seq, event: outcome };
    }
    this.#finishTask(current!, msg);
    if (msg.info.deliveryCount > 1) await clearProblem(this.options.executions, task.workflowId);
    return "done";
  }

  async #advance(
    task: WorkflowTask,
    cached: WorkflowExecution | undefined,
    msg: JsMsg,
    first: boolean,
  ): Promise<"done" | "conflict" | { execution: WorkflowExecution; task: ActivityTask }> {
    const { workflowId } = task;
    const events = await this.#newEvents(task, cached);
    let execution = cached;
    if (!execution) {
      const started = events[0];
      if (!started || started.type !== "WorkflowStarted") {
        // A task for a history we cannot read (deleted stream data): nothing to run.
        this.options.logger.warn(`workflow ${workflowId}: no WorkflowStarted in history; dropping task`);
        msg.term();
        return "done";
      }
      const fn = this.options.workflows.get(started.workflowType);
      if (!fn) {
        await this.options.missingTypes.handle(msg, {
          workflowId,
          queue: this.options.queue,
          kind: "workflow",
          typeName: started.workflowType,
        });
        return "done";
      }
      const created = new WorkflowExecution(workflowId, fn, started, {
        maxPayload: this.options.connection.maxPayload,
        onStray: (error) => void this.#stray(created, error),
        argumentMismatch: this.options.argumentMismatch,
        onWarning: (message) => this.options.logger.warn(message),
      });
      execution = created;
    }

    let commands: Command[];
    try {
      commands = await execution.apply(events);
    } catch (err) {
      this.#evict(workflowId);
      await this.#failTask(workflowId, events, err, msg);
      return "done";
    }
    if (first && (!cached || msg.info.redelivered)) await this.#republish(execution);
    // A worker that died between storing the close and announcing it: announce it again.
    const close = events.find(isTerminalEvent);
    if (close) this.#announceClose(execution.workflowId, close);
    let eager: ActivityScheduled | undefined;
    if (commands.length > 0) {
      try {
        eager = await this.#append(execution, commands);
      } catch (err) {
        if (err instanceof HistoryConflictError) return "conflict";
        throw err;
      }
    }
    if (eager) return { execution, task: activityTaskFor(workflowId, execution.queue, eager) };
    this.#finishTask(execution, msg);
    // A task that had to be retried may have left a problem note on the execution.
    if (msg.info.deliveryCount > 1) await clearProblem(this.options.executions, workflowId);
    return "done";
  }

  /** Waiting clients learn of a close from this notice, sent only once the close is stored. */
  #announceClose(workflowId: string, close: HistoryEvent): void {
    this.options.connection.nc.publish(subjects.closed(workflowId), encodeJson(close));
  }

  #finishTask(execution: WorkflowExecution, msg: JsMsg): void {
    if (execution.closed) this.#evict(execution.workflowId);
    else this.#remember(execution);
    msg.ack();
  }

  /**
   * The events the execution has not seen, up to the task's. A new workflow's first task carries
   * its WorkflowStarted, which nothing can precede, and an outcome that proves its contiguity
   * needs nothing else: no read at all. Otherwise read the tail; an event after the task's is
   * caught by the fence when the commands are appended.
   */
  async #newEvents(task: WorkflowTask, cached: WorkflowExecution | undefined): Promise<HistoryEvent[]> {
    const { event } = task;
    if (!cached && event?.type === "WorkflowStarted") return [event];
    // The activity worker proved nothing but its ActivityStarted lies between: nothing to read.
    if (cached && event && "contiguousSince" in event && event.contiguousSince === cached.lastSeq) return [event];
    const afterSeq = cached?.lastSeq ?? 0;
    return readHistory(this.options.connection.jsm, task.workflowId, afterSeq, cached ? task.seq : undefined);
  }

  /**
   * Appends the commands one after another, each fenced on the event before it, then publishes
   * the tasks of the steps they record. Returns the step this worker should run eagerly instead
   * of publishing it: only a lone activity it has.
   *
   * The tasks go out only once the whole batch is stored: a step started meanwhile would break
   * the fence of the next append (a wide Promise.all would conflict with itself). When another
   * writer breaks a fence all the same (a signal, an outcome of an earlier step), the run reads
   * just what was added, applies it as a replay would, and goes on with what is still unrecorded.
   */
  async #append(execution: WorkflowExecution, commands: Command[]): Promise<ActivityScheduled | undefined> {
    const { js } = this.options.connection;
    const [only] = commands;
    let runHere =
      commands.length === 1 && only.kind === "ScheduleActivity" && this.options.eager?.canRunEagerly(only.activityType, only.options.queue);
    const steps: (ActivityScheduled | TimerStarted)[] = [];
    try {
      let pending = commands;
      while (pending.length > 0 && !execution.closed) {
        let recorded: HistoryEvent;
        try {
          recorded = await this.#appendOne(execution, pending[0]);
        } catch (err) {
          if (!(err instanceof HistoryConflictError)) throw err;
          pending = await this.#catchUp(execution, pending, err);
          runHere = false;
          continue;
        }
        pending = pending.slice(1);
        if (execution.closed) this.#announceClose(execution.workflowId, recorded);
        if (runHere && recorded.type === "ActivityScheduled") return recorded;
        if (recorded.type === "ActivityScheduled" || recorded.type === "TimerStarted") steps.push(recorded);
      }
    } finally {
      // The workflow task is acked only after every step's task is stored, so a crash in between
      // redelivers it (see #republish).
      await Promise.all(steps.map((step) => publishStepTask(js, execution.workflowId, execution.queue, step)));
    }
    return undefined;
  }

  /**
   * After a broken fence: applies the events another writer added and returns the commands still
   * to record (those not recorded meanwhile, and what the new events made the code ask for). A
   * fence broken with nothing new to read (a stale cache) is left to a replay from history.
   * Steps recorded by another writer get their tasks published again, as after any rebuild: that
   * writer may have died before it published them.
   */
  async #catchUp(execution: WorkflowExecution, pending: Command[], conflict: HistoryConflictError): Promise<Command[]> {
    const added = await readHistory(this.options.connection.jsm, execution.workflowId, execution.lastSeq);
    if (added.length === 0) throw conflict;
    const more = await execution.apply(added);
    const foreignSteps = new Set(added.filter((e) => e.type === "ActivityScheduled" || e.type === "TimerStarted").map((e) => e.seq));
    if (foreignSteps.size > 0) {
      const { js } = this.options.connection;
      const orphans = execution.pendingSteps().filter((step) => foreignSteps.has(step.seq));
      await Promise.all(orphans.map((step) => publishStepTask(js, execution.workflowId, execution.queue, step, { verify: true })));
    }
    const unrecorded = pending.filter((command) => !isTerminal(command) && !execution.isRecorded(command));
    return [...unrecorded, ...more];
  }

  async #appendOne(execution: WorkflowExecution, command: Command): Promise<HistoryEvent> {
    const { js, maxPayload } = this.options.connection;
    const msgId = commandMsgId(execution.workflowId, command);
    let event = commandToEvent(command, nowIso());
    let appended;
    try {
      appended = await appendEvent(js, execution.workflowId, event, { expectLastSeq: execution.lastSeq, msgId, maxPayload });
    } catch (err) {
      if (!(err instanceof PayloadError) || !isTerminal(command)) throw err;
      // The workflow's own result is too large to record: that is the workflow's failure.
      event = commandToEvent({ kind: "FailWorkflow", error: toErrorInfo(err) }, nowIso());
      appended = await appendEvent(js, execution.workflowId, event, { expectLastSeq: execution.lastSeq, msgId });
    }
    const recorded = { ...event, seq: appended.seq } as HistoryEvent;
    await execution.apply([recorded]);
    return recorded;
  }

  /**
   * A worker that recorded steps may have died before it published their tasks; whoever rebuilds
   * the run from history (a redelivery, or a cold cache) publishes them again. That costs little:
   * JetStream drops the copies it has seen, and activity workers check history before running a
   * copy marked `verify`.
   */
  async #republish(execution: WorkflowExecution): Promise<void> {
    const { js } = this.options.connection;
    await Promise.all(
      execution.pendingSteps().map((step) => publishStepTask(js, execution.workflowId, execution.queue, step, { verify: true })),
    );
  }

  /** Code that went on after its task ended: drop the run and make the failure visible. */
  async #stray(execution: WorkflowExecution, error: Error): Promise<void> {
    if (this.#cache.get(execution.workflowId) === execution) this.#evict(execution.workflowId);
    this.options.logger.error(`workflow ${execution.workflowId}: ${error.message}`);
    await appendEvent(
      this.options.connection.js,
      execution.workflowId,
      { type: "WorkflowTaskFailed", time: nowIso(), error: toErrorInfo(error), worker: this.options.identity },
      { expectLastSeq: execution.lastSeq },
    ).catch(() => undefined);
  }

  async #failTask(workflowId: string, events: HistoryEvent[], err: unknown, msg: JsMsg): Promise<void> {
    const error = toErrorInfo(err);
    const last = events.at(-1);
    const alreadyRecorded = last?.type === "WorkflowTaskFailed" && last.error.message === error.message;
    this.options.logger.error(`workflow ${workflowId}: task failed: ${error.name}: ${error.message}`);
    if (!alreadyRecorded && last) {
      await appendEvent(
        this.options.connection.js,
        workflowId,
        { type: "WorkflowTaskFailed", time: nowIso(), error, worker: this.options.identity },
        { expectLastSeq: last.seq },
      ).catch((e) => {
        if (!(e instanceof HistoryConflictError)) throw e;
      });
    }
    // A message that is not an event fails every replay the same way: retrying cannot help until
    // someone repairs the history, and the next event they add (a signal) brings a new task.
    if (err instanceof UndecodableEventError) msg.term();
    // Retried with backoff: a fixed deployment picks it up, and history shows each failure once.
    else msg.nak(taskBackoff(msg.info.deliveryCount));
  }

  #remember(execution: WorkflowExecution): void {
    this.#cache.delete(execution.workflowId);
    this.#cache.set(execution.workflowId, execution);
    if (this.#cache.size > this.options.cacheSize) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }

  #evict(workflowId: string): void {
    this.#cache.delete(workflowId);
  }
}


function isTerminal(command: Command): boolean {
  return command.kind === "CompleteWorkflow" || command.kind === "FailWorkflow" || command.kind === "CancelWorkflow";
}
