import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { appendEvent, eventAt, HistoryConflictError, nowIso, readHistory } from "../common/history.ts";
import { isTerminal, wakesWorkflow, type ErrorInfo, type HistoryEvent, type NewEvent } from "../common/events.ts";
import { PayloadError, toErrorInfo } from "../common/errors.ts";
import { clearProblem } from "../common/executions.ts";
import { canRetry, retryDelay } from "../common/options.ts";
import { assertJsonSerializable, storedForm } from "../common/payload.ts";
import { decodeEvent } from "../common/event-codec.ts";
import { subjects } from "../common/names.ts";
import { decodeActivityTask, publishActivityTask, publishWorkflowTask, taskMsgIds, type ActivityTask } from "../common/tasks.ts";
import { setAside } from "./poison.ts";
import { runInActivityContext, type ActivityContext } from "../activity/context.ts";
import type { ActivityFunction } from "../workflow/definitions.ts";
import type { Logger } from "./logger.ts";
import type { MissingTypeHandler } from "./missing-type.ts";

export interface ActivityWorkerOptions {
  connection: DfutConnection;
  executions: KV;
  queue: string;
  identity: string;
  activities: Map<string, ActivityFunction>;
  /** The task consumer's ack wait: a task not acked or heartbeated in this time goes to another worker. */
  ackWaitMs: number;
  missingTypes: MissingTypeHandler;
  logger: Logger;
}

const OUTCOME_APPEND_TRIES = 8;

interface StartedAt {
  seq: number;
  /** True when it was appended right after the ActivityScheduled. */
  fenced: boolean;
}

type ActivityCompleted = Omit<Extract<NewEvent, { type: "ActivityCompleted" }>, never>;
type ActivityFailed = Omit<Extract<NewEvent, { type: "ActivityFailed" }>, never>;

/** An attempt cut short by this worker's shutdown: not the activity's failure. */
class WorkerShutdown extends Error {}

type Outcome = { ok: true; result: unknown } | { ok: false; error: ErrorInfo } | { ok: false; shutdown: true };

/** Runs one attempt of an activity per task and records its outcome exactly once. */
export class ActivityTaskHandler {
  readonly #running = new Set<AbortController>();

  private readonly options: ActivityWorkerOptions;
  constructor(options: ActivityWorkerOptions) {
    this.options = options;
  }

  /** Aborts every running attempt (worker shutdown); their tasks go to other workers. */
  abortAll(reason: string): void {
    for (const controller of this.#running) controller.abort(new WorkerShutdown(reason));
  }

  handle = async (msg: JsMsg): Promise<void> => {
    const decoded = decodeActivityTask(msg.data);
    if (!decoded.ok) return setAside(msg, "activity task", decoded.problem, this.options);
    const task = decoded.value;
    const wait = task.notBefore ? Date.parse(task.notBefore) - Date.now() : 0;
    if (wait > 0) {
      msg.nak(wait);
      return;
    }
    const fn = this.options.activities.get(task.activityType);
    if (!fn) {
      await this.options.missingTypes.handle(msg, {
        workflowId: task.workflowId,
        queue: task.options.queue,
        kind: "activity",
        typeName: task.activityType,
      });
      return;
    }
    // A first delivery cannot have run before; only a redelivery needs the history.
    if (msg.info.deliveryCount > 1 || task.verify) {
      const settled = await this.#settleFromHistory(task, msg);
      if (settled) return;
    }
    const started = this.#appendStarted(task);
    started.catch(() => undefined);
    const outcome = await this.#run(fn, task, () => msg.working());
    if ("shutdown" in outcome) {
      // Another worker runs this attempt again; an attempt that finished is recorded below.
      msg.nak();
      return;
    }
    await this.#record(task, outcome, await started);
    msg.ack();
  };

  /** True when this worker can run the activity itself, right where the workflow scheduled it. */
  canRunEagerly(activityType: string, queue: string): boolean {
    return queue === this.options.queue && this.options.activities.has(activityType);
  }

  /**
   * Runs the first attempt of an activity in the workflow worker that scheduled it, with no
   * task in between (the caller holds its workflow task meanwhile). Returns the stored outcome
   * when it wakes the workflow, for the caller to go on with; undefined when a retry or another
   * worker takes over. A crash is covered by the workflow task's redelivery: whoever rebuilds the
   * run republishes the step's task, and the eager ActivityStarted tells that copy the attempt
   * was lost, not taken by another worker.
   */
  async runEagerly(task: ActivityTask, keepAlive: () => void): Promise<HistoryEvent | undefined> {
    const fn = this.options.activities.get(task.activityType)!;
    const started = this.#appendStarted(task, true);
    started.catch(() => undefined);
    const outcome = await this.#run(fn, task, keepAlive);
    if ("shutdown" in outcome) {
      await started.catch(() => undefined);
      await publishActivityTask(this.options.connection.js, task);
      return undefined;
    }
    const stored = await this.#record(task, outcome, await started, { wake: false });
    return stored && storedForm(stored);
  }

  /**
   * Looks at what history says about this attempt after a redelivery. Returns true when the
   * task needs no run: the attempt already has an outcome, or the workflow is closed, or the
   * attempt was started by a worker that died (recorded here as a failed attempt).
   */
  async #settleFromHistory(task: ActivityTask, msg: JsMsg): Promise<boolean> {
    const events = await readHistory(this.options.connection.jsm, task.workflowId);
    if (events.some(isTerminal)) {
      msg.ack();
      return true;
    }
    const mine = events.filter(
      (e): e is Extract<HistoryEvent, { activityId: number; attempt: number }> =>
        "activityId" in e && "attempt" in e && e.activityId === task.activityId && e.attempt === task.attempt,
    );
    const outcome = mine.find((e) => e.type === "ActivityCompleted" || e.type === "ActivityFailed");
    if (outcome) {
      if (outcome.type === "ActivityFailed" && outcome.willRetry) await this.#scheduleRetry(task, outcome, true);
      else await publishWorkflowTask(this.options.connection.js, task.workflowQueue, task.workflowId, outcome);
      msg.ack();
      await clearProblem(this.options.executions, task.workflowId);
      return true;
    }
    if (mine.some((e) => e.type === "ActivityStarted")) {
      const start = mine.find((e) => e.type === "ActivityStarted");
      if (task.verify && msg.info.deliveryCount === 1 && !(start?.type === "ActivityStarted" && start.eager)) {
        // A copy republished after a redelivery, while the original is with another worker.
        msg.ack();
        return true;
      }
      const seconds = Math.round(this.options.ackWaitMs / 100) / 10;
      await this.#record(task, {
        ok: false,
        error: {
          name: "WorkerLost",
          message: `the worker running attempt ${task.attempt} stopped responding for ${seconds}s (crashed or was killed)`,
        },
      });
      msg.ack();
      return true;
    }
    await clearProblem(this.options.executions, task.workflowId);
    return false;
  }

  async #run(fn: ActivityFunction, task: ActivityTask, keepAlive: () => void): Promise<Outcome> {
    const controller = new AbortController();
    this.#running.add(controller);
    const { options } = task;
    const timers: NodeJS.Timeout[] = [];
    let lastHeartbeat = Date.now();
    let rejectTimeout!: (error: Error) => void;
    const timedOut = new Promise<never>((_, reject) => (rejectTimeout = reject));
    timedOut.catch(() => undefined);
    const fail = (name: string, message: string, nonRetryable = false) => {
      const error = Object.assign(new Error(message), { name, nonRetryable });
      controller.abort(error);
      rejectTimeout(error);
    };

    let budget = options.startToCloseTimeout;
    if (options.scheduleToCloseTimeout > 0) {
      budget = Math.min(budget, Date.parse(task.scheduledAt) + options.scheduleToCloseTimeout - Date.now());
    }
    timers.push(setTimeout(() => fail("TimeoutError", `activity ${task.activityType} timed out after ${budget} ms (start-to-close / schedule-to-close)`), Math.max(0, budget)));
    if (options.heartbeatTimeout > 0) {
      timers.push(
        setInterval(() => {
          if (Date.now() - lastHeartbeat > options.heartbeatTimeout) {
            fail("HeartbeatTimeout", `activity ${task.activityType} sent no heartbeat for ${options.heartbeatTimeout} ms`);
          }
        }, Math.max(10, Math.floor(options.heartbeatTimeout / 4))),
      );
    }
    // Keeps the task ours while the attempt runs; stops when this process stops.
    timers.push(setInterval(keepAlive, Math.max(100, Math.floor(this.options.ackWaitMs / 3))));
    // A cancellation or close of the workflow reaches the running attempt through its AbortSignal.
    // The subscription also sees publishes the stream refused, so the history confirms it.
    const watch = this.options.connection.nc.subscribe(subjects.history(task.workflowId), {
      callback: (err, m) => {
        if (err) return;
        const { type } = decodeEvent({ seq: 0, data: m.data });
        if (type !== "CancelRequested" && !isTerminal({ type })) return;
        void readHistory(this.options.connection.jsm, task.workflowId, task.scheduledSeq ?? 0)
          .then((events) => {
            const ended = events.find((e) => e.type === "CancelRequested" || isTerminal(e));
            if (ended) fail("CancelledError", `workflow ${task.workflowId} was ${ended.type === "CancelRequested" ? "canceled" : "closed"}`, true);
          })
          .catch(() => undefined);
      },
    });

    const ctx: ActivityContext = {
      workflowId: task.workflowId,
      activityId: task.activityId,
      activityType: task.activityType,
      attempt: task.attempt,
      signal: controller.signal,
      heartbeat: () => {
        lastHeartbeat = Date.now();
      },
    };
    let result: unknown;
    try {
      result = await Promise.race([runInActivityContext(ctx, () => Promise.resolve().then(() => fn(...(task.args as never[])))), timedOut]);
    } catch (err) {
      if (controller.signal.reason instanceof WorkerShutdown) return { ok: false, shutdown: true };
      return { ok: false, error: toErrorInfo(err) };
    } finally {
      for (const t of timers) clearTimeout(t);
      watch.unsubscribe();
      this.#running.delete(controller);
    }
    try {
      assertJsonSerializable(result, `the result of activity ${task.activityType}`);
    } catch (err) {
      // The same code would return the same value again: retrying cannot help.
      return { ok: false, error: { ...toErrorInfo(err), nonRetryable: true } };
    }
    return { ok: true, result: result ?? null };
  }

  /**
   * Appends ActivityStarted, fenced on the ActivityScheduled when this is the first attempt, so
   * that the outcome can prove it directly follows (see Contiguity). Without the fence, or
   * when something else was appended meanwhile, it is appended unfenced.
   */
  async #appendStarted(task: ActivityTask, eager = false): Promise<StartedAt> {
    const event: NewEvent = {
      type: "ActivityStarted",
      time: nowIso(),
      activityId: task.activityId,
      attempt: task.attempt,
      worker: this.options.identity,
      ...(eager ? { eager } : {}),
    };
    const msgId = taskMsgIds.activityStarted(task.workflowId, task.activityId, task.attempt);
    const { js } = this.options.connection;
    if (task.attempt === 1 && task.scheduledSeq !== undefined) {
      try {
        const { seq, duplicate } = await appendEvent(js, task.workflowId, event, { msgId, expectLastSeq: task.scheduledSeq });
        return { seq, fenced: !duplicate };
      } catch (err) {
        if (!(err instanceof HistoryConflictError)) throw err;
      }
    }
    const { seq } = await appendEvent(js, task.workflowId, event, { msgId });
    return { seq, fenced: false };
  }

  /**
   * Records the attempt's outcome and returns it as stored when it wakes the workflow; with
   * `wake` (the default) it also publishes the workflow task for it.
   */
  async #record(
    task: ActivityTask,
    outcome: Exclude<Outcome, { shutdown: true }>,
    started?: StartedAt,
    options: { wake: boolean } = { wake: true },
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
    const failed = { ...this.#failureEvent(task, outcome.error), ...base };
    const stored = await this.#appendOutcome(task, failed, started, options.wake);
    if (failed.willRetry) await this.#scheduleRetry(task, failed);
    return stored;
  }

  /** Appends the outcome (fenced on the attempt's start when that start was fenced) and wakes the workflow. */
  async #appendOutcome(
    task: ActivityTask,
    event: ActivityCompleted | ActivityFailed,
    started: StartedAt | undefined,
    wake: boolean,
  ): Promise<HistoryEvent | undefined> {
    const { js, maxPayload } = this.options.connection;
    const msgId = taskMsgIds.activityOutcome(task.workflowId, task.activityId, task.attempt);
    let seq: number | undefined;
    if (started?.fenced && task.scheduledSeq !== undefined) {
      try {
        const contiguous = { ...event, contiguousSince: task.scheduledSeq };
        ({ seq } = await appendEvent(js, task.workflowId, contiguous, { msgId, maxPayload, expectLastSeq: started.seq }));
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
      if (appended.duplicate) stored = await eventAt(this.options.connection.jsm, seq);
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
        return await appendEvent(this.options.connection.js, task.workflowId, event, options);
      } catch (err) {
        if (err instanceof PayloadError || attempt >= OUTCOME_APPEND_TRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
      }
    }
  }

  #failureEvent(task: ActivityTask, error: ErrorInfo): Pick<ActivityFailed, "type" | "error" | "willRetry" | "nextAttemptAt"> {
    const { retry, scheduleToCloseTimeout } = task.options;
    let willRetry = canRetry(retry, task.attempt, error.name, error.nonRetryable === true);
    const nextAttemptAt = Date.now() + retryDelay(retry, task.attempt);
    if (willRetry && scheduleToCloseTimeout > 0 && nextAttemptAt >= Date.parse(task.scheduledAt) + scheduleToCloseTimeout) {
      willRetry = false;
    }
    const { stack: _stack, ...rest } = error;
    const recorded: ErrorInfo = error.stack ? { ...rest, stack: error.stack.split("\n").slice(0, 12).join("\n") } : rest;
    return willRetry
      ? { type: "ActivityFailed", error: recorded, willRetry, nextAttemptAt: new Date(nextAttemptAt).toISOString() }
      : { type: "ActivityFailed", error: recorded, willRetry };
  }

  /** The next attempt is a new task that waits in the stream until its time: durable backoff. */
  async #scheduleRetry(task: ActivityTask, failed: Pick<ActivityFailed, "nextAttemptAt">, republished = false): Promise<void> {
    const next: ActivityTask = { ...task, attempt: task.attempt + 1, notBefore: failed.nextAttemptAt, verify: republished || undefined };
    await publishActivityTask(this.options.connection.js, next);
  }
}
