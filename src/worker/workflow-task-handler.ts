import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { KeyedSerializer } from "../common/consume.ts";
import { DfutError, WorkflowNotFoundError } from "../common/errors.ts";
import { isTerminal, type HistoryEvent } from "../common/events.ts";
import { clearProblem, getExecution } from "../common/executions.ts";
import { dfutMetrics } from "../common/metrics.ts";
import { intercept, type Headers, type WorkerInterceptor, type WorkflowTaskInput } from "../common/interceptors.ts";
import { HistoryConflictError, lastEvent } from "../common/history.ts";
import { activityTaskFor, decodeWorkflowTask, type ActivityTask, type WorkflowTask } from "../common/tasks.ts";
import type { WorkflowFunction } from "../workflow/definitions.ts";
import type { WorkflowExecution } from "../workflow/execution.ts";
import { CommandPersister } from "./command-persister.ts";
import type { Logger } from "../common/logger.ts";
import type { MissingTypeHandler } from "./missing-type.ts";
import { setAside } from "./poison.ts";
import { RunCache } from "./run-cache.ts";
import { RunLoader } from "./run-loader.ts";
import { TaskFailures } from "./task-failures.ts";

const MAX_CONFLICT_RETRIES = 8;
/** Deliveries of a task whose history read ends before its event, before it is let go. */
const MAX_SHORT_READS = 5;

/** Runs activities in the workflow worker that schedules them (see "Eager activities"). */
export interface EagerActivities {
  canRunEagerly(activityType: string, queue: string): boolean;
  /** Runs the first attempt; resolves with the stored outcome when it wakes the workflow. */
  runEagerly(task: ActivityTask, keepAlive: () => void, headers: Readonly<Headers>): Promise<HistoryEvent | undefined>;
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
  interceptors?: readonly WorkerInterceptor[];
  logger: Logger;
}

type Advance =
  | { kind: "done" }
  | { kind: "conflict" }
  /** The code's next step is an activity this worker runs itself, still holding the task. */
  | { kind: "eager"; execution: WorkflowExecution; task: ActivityTask; eager: EagerActivities };

/**
 * The workflow task protocol: one task at a time per workflow; bring the run up to the task's
 * event (RunLoader), let the code decide, record what it asks for (CommandPersister), then ack.
 */
export class WorkflowTaskHandler {
  readonly #cache: RunCache;
  readonly #serializer = new KeyedSerializer();
  readonly #loader: RunLoader;
  readonly #persister: CommandPersister;
  readonly #failures: TaskFailures;
  readonly #interceptorSteps: ((input: WorkflowTaskInput, next: (input: WorkflowTaskInput) => Promise<void>) => Promise<void>)[];
  /** What each run's current workflow task asked to send with the activity tasks it schedules. */
  readonly #outgoing = new WeakMap<WorkflowExecution, Headers>();

  private readonly options: WorkflowWorkerOptions;
  constructor(options: WorkflowWorkerOptions) {
    this.options = options;
    this.#cache = new RunCache(options.cacheSize);
    this.#failures = new TaskFailures(options);
    this.#loader = new RunLoader({
      access: options.connection,
      runHint: async (workflowId) => (await getExecution(options.executions, workflowId))?.runId,
      workflows: options.workflows,
      execution: {
        maxPayload: options.connection.maxPayload,
        argumentMismatch: options.argumentMismatch,
        onWarning: (message) => options.logger.warn(message),
        onStray: (execution, error) => {
          this.#cache.evict(execution.workflowId, execution);
          void this.#failures.strayed(execution.workflowId, execution.lastSeq, error);
        },
      },
    });
    const { eager } = options;
    this.#interceptorSteps = (options.interceptors ?? []).flatMap((i) =>
      i.workflowTask ? [(input: WorkflowTaskInput, next: (input: WorkflowTaskInput) => Promise<void>) => i.workflowTask!(input, () => next(input))] : [],
    );
    this.#persister = new CommandPersister({
      connection: options.connection,
      headersFor: (execution) => this.#outgoing.get(execution) ?? execution.headers,
      runsEagerly: eager && ((type, queue) => eager.canRunEagerly(type, queue)),
    });
  }

  get cachedExecutions(): number {
    return this.#cache.size;
  }

  /**
   * Runs `fn` with the workflow's run as of its last stored event, between this worker's tasks
   * of that workflow: the cached run when it is that far, else a read-only replay (not cached).
   */
  withCurrentRun<T>(workflowId: string, fn: (execution: WorkflowExecution) => Promise<T> | T): Promise<T> {
    return this.#serializer.run(workflowId, async () => {
      const last = await lastEvent(this.options.connection, workflowId);
      if (!last) throw new WorkflowNotFoundError(workflowId);
      const cached = this.#cache.get(workflowId);
      if (cached && !cached.closed && cached.lastSeq >= last.seq) return fn(cached);
      const replayed = await this.#loader.replay(workflowId);
      if (replayed.kind === "no-history") throw new WorkflowNotFoundError(workflowId);
      if (replayed.kind === "missing-type") {
        throw new DfutError("failed_precondition", `workflow ${workflowId} is a ${replayed.workflowType}, which this worker does not have`);
      }
      return fn(replayed.execution);
    });
  }

  /** Read-only replays (no append, no publish) for this worker's workflow types. */
  get loader(): RunLoader {
    return this.#loader;
  }

  handle = (msg: JsMsg): Promise<void> => {
    const decoded = decodeWorkflowTask(msg.data);
    if (!decoded.ok) return setAside(msg, "workflow task", decoded.problem, this.options);
    const task = decoded.value;
    const labels = { queue: this.options.queue };
    dfutMetrics.workflowTaskScheduleToStart.observe((Date.now() - msg.info.timestampNanos / 1e6) / 1000, labels);
    return this.#serializer.run(task.workflowId, async () => {
      const began = performance.now();
      try {
        await this.#process(msg, task);
      } finally {
        dfutMetrics.workflowTaskDuration.observe((performance.now() - began) / 1000, labels);
      }
    });
  };

  async #process(msg: JsMsg, task: WorkflowTask): Promise<void> {
    for (let attempt = 0; attempt < MAX_CONFLICT_RETRIES; attempt++) {
      let cached = this.#cache.get(task.workflowId);
      if (attempt === 0) (cached ? dfutMetrics.cacheHits : dfutMetrics.cacheMisses).inc();
      if (cached && task.seq <= cached.lastSeq) {
        msg.ack();
        return;
      }
      // A closed run's workflow id may have started again (continue-as-new, a new start).
      if (cached?.closed) {
        this.#cache.evict(task.workflowId, cached);
        cached = undefined;
      }
      let outcome: "done" | "conflict";
      try {
        // After a conflict, start over from history alone: neither the cache nor the task's event.
        outcome = attempt === 0 ? await this.#run(task, cached, msg) : await this.#run({ workflowId: task.workflowId, seq: task.seq }, undefined, msg);
      } catch (err) {
        // The cached run may hold commands whose append never landed: only history can tell.
        this.#cache.evict(task.workflowId);
        throw err;
      }
      if (outcome !== "conflict") return;
      this.#cache.evict(task.workflowId);
    }
    throw new DfutError("aborted", `workflow ${task.workflowId}: history kept moving under this worker; retrying later`);
  }

  /**
   * Advances the run for the task; while the code's next step is one activity this worker runs
   * itself, runs it right here (eager execution: no task, no queue) and goes on with its outcome.
   */
  async #run(task: WorkflowTask, cached: WorkflowExecution | undefined, msg: JsMsg): Promise<"done" | "conflict"> {
    let advance = await this.#advance(task, cached, msg, true);
    while (advance.kind === "eager") {
      const { execution } = advance;
      const outcome = await advance.eager.runEagerly(advance.task, () => msg.working(), this.#outgoing.get(execution) ?? execution.headers);
      if (!outcome) {
        await this.#complete(execution, msg);
        return "done";
      }
      advance = await this.#advance({ workflowId: task.workflowId, seq: outcome.seq, event: outcome }, execution, msg, false);
    }
    return advance.kind;
  }

  async #advance(task: WorkflowTask, cached: WorkflowExecution | undefined, msg: JsMsg, first: boolean): Promise<Advance> {
    const { workflowId } = task;
    const events = await this.#loader.newEvents(task, cached);
    await this.#checkReached(task, events, cached, msg);
    const run = this.#loader.run(workflowId, cached, events);
    if (run.kind === "no-history") {
      // A task for a history we cannot read (deleted stream data): nothing to run.
      this.options.logger.warn(`workflow ${workflowId}: no WorkflowStarted in history; dropping task`, { workflowId });
      msg.term();
      return { kind: "done" };
    }
    if (run.kind === "missing-type") {
      await this.options.missingTypes.handle(msg, { workflowId, queue: this.options.queue, kind: "workflow", typeName: run.workflowType });
      return { kind: "done" };
    }
    const { execution } = run;
    const steps = this.#interceptorSteps;
    if (steps.length === 0) return this.#activate(task, execution, run, events, msg, first);
    let advance: Advance = { kind: "done" };
    const input: WorkflowTaskInput = { workflowId, workflowType: execution.workflowType, runId: execution.runId, headers: execution.headers, outgoing: {} };
    await intercept(steps, input, async () => {
      this.#outgoing.set(execution, input.outgoing);
      advance = await this.#activate(task, execution, run, events, msg, first);
    });
    return advance;
  }

  /**
   * The task's event is stored (its writer stored it before publishing the task), so a read that
   * ends before it was cut short (an election under way): acking now would lose the wake-up.
   * Tried again instead, a few times; an event deleted from the stream by hand is let go.
   */
  async #checkReached(task: WorkflowTask, events: readonly HistoryEvent[], cached: WorkflowExecution | undefined, msg: JsMsg): Promise<void> {
    const reached = events.at(-1)?.seq ?? cached?.lastSeq ?? 0;
    if (reached >= task.seq || msg.info.deliveryCount > MAX_SHORT_READS) return;
    const last = await lastEvent(this.options.connection, task.workflowId);
    if (!last || last.seq < task.seq) return;
    throw new DfutError(
      "unavailable",
      `workflow ${task.workflowId}: its history read ended at seq ${reached}, before the task's event at seq ${task.seq}; reading again`,
    );
  }

  /** What happens in a workflow task once its run is known: apply, record, publish, ack. */
  async #activate(task: WorkflowTask, execution: WorkflowExecution, run: { fresh: boolean; events: HistoryEvent[] }, events: HistoryEvent[], msg: JsMsg, first: boolean): Promise<Advance> {
    const { workflowId } = task;
    let commands;
    try {
      commands = await execution.apply(run.events);
    } catch (err) {
      this.#cache.evict(workflowId);
      await this.#failures.failed(workflowId, events, err, msg);
      return { kind: "done" };
    }
    if (first && (run.fresh || msg.info.redelivered)) await this.#persister.republish(execution);
    // A worker that died between storing the close and announcing it: announce it again.
    const close = events.find(isTerminal);
    if (close) this.#persister.announceClose(workflowId, close);
    if (commands.length > 0) {
      try {
        const eagerStep = await this.#persister.persist(execution, commands);
        if (eagerStep && this.options.eager) {
          return { kind: "eager", execution, task: activityTaskFor(workflowId, execution.queue, eagerStep), eager: this.options.eager };
        }
      } catch (err) {
        if (err instanceof HistoryConflictError) return { kind: "conflict" };
        throw err;
      }
    }
    await this.#complete(execution, msg);
    return { kind: "done" };
  }

  /** Keeps the run for the next task (unless it closed) and acks this one. */
  async #complete(execution: WorkflowExecution, msg: JsMsg): Promise<void> {
    if (execution.closed) this.#cache.evict(execution.workflowId);
    else this.#cache.remember(execution);
    msg.ack();
    // A task that had to be retried may have left a problem note on the execution.
    if (msg.info.deliveryCount > 1) await clearProblem(this.options.executions, execution.workflowId);
  }
}
