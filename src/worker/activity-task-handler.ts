import type { JsMsg } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { DfutConnection } from "../common/connection.ts";
import { DfutError } from "../common/errors.ts";
import type { HistoryEvent } from "../common/events.ts";
import { storedForm } from "../common/payload.ts";
import { clock } from "../common/clock.ts";
import { decodeActivityTask, headersOf, publishActivityTask, type ActivityTask } from "../common/tasks.ts";
import { intercept, type ActivityAttemptInput, type WorkerInterceptor } from "../common/interceptors.ts";
import type { ActivityFunction } from "../workflow/definitions.ts";
import { runAttempt, type AttemptOutcome } from "./attempt.ts";
import { CancellationWatch } from "./cancellation-watch.ts";
import type { Logger } from "../common/logger.ts";
import type { MissingTypeHandler } from "./missing-type.ts";
import { failureEvent, OutcomeRecorder } from "./outcome-recorder.ts";
import { dfutMetrics } from "../common/metrics.ts";
import { setAside } from "./poison.ts";
import { reconcileRedelivery } from "./redelivery.ts";
import type { EagerActivities } from "./workflow-task-handler.ts";

/** An attempt that failed, carried through the interceptors as a thrown error and back. */
class AttemptFailed extends Error {
  readonly outcome: AttemptOutcome;
  constructor(outcome: Extract<AttemptOutcome, { error: unknown }>) {
    super(`${outcome.error.name}: ${outcome.error.message}`);
    this.name = outcome.error.name;
    this.outcome = outcome;
  }
}

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
  interceptors?: readonly WorkerInterceptor[];
}

/**
 * The activity task protocol: wait for a retry's time, hand over a type this worker lacks,
 * reconcile a redelivery with history, run the attempt (attempt.ts), record it (OutcomeRecorder),
 * then ack. Also runs first attempts eagerly for the workflow worker of the same process.
 */
export class ActivityTaskHandler implements EagerActivities {
  readonly #shutdown = new AbortController();
  readonly #recorder: OutcomeRecorder;
  readonly #cancellation: CancellationWatch;
  readonly #interceptorSteps: ((input: ActivityAttemptInput, next: (input: ActivityAttemptInput) => Promise<AttemptOutcome>) => Promise<AttemptOutcome>)[];

  private readonly options: ActivityWorkerOptions;
  constructor(options: ActivityWorkerOptions) {
    this.options = options;
    this.#recorder = new OutcomeRecorder(options);
    this.#cancellation = new CancellationWatch(options.connection);
    this.#interceptorSteps = (options.interceptors ?? []).flatMap((i) =>
      i.activityAttempt ? [(input: ActivityAttemptInput, next: (input: ActivityAttemptInput) => Promise<AttemptOutcome>) => i.activityAttempt!(input, () => next(input))] : [],
    );
  }

  /** Aborts every running attempt (worker shutdown); their tasks go to other workers. */
  abortAll(reason: string): void {
    this.#shutdown.abort(new DfutError("unavailable", reason));
  }

  handle = async (msg: JsMsg): Promise<void> => {
    const decoded = decodeActivityTask(msg.data);
    if (!decoded.ok) return setAside(msg, "activity task", decoded.problem, this.options);
    const task = decoded.value;
    const wait = task.notBefore ? Date.parse(task.notBefore) - clock.now() : 0;
    if (wait > 0) {
      msg.nak(clock.wait(wait));
      return;
    }
    const fn = this.options.activities.get(task.activityType);
    if (!fn) {
      await this.options.missingTypes.handle(msg, { workflowId: task.workflowId, queue: task.options.queue, kind: "activity", typeName: task.activityType });
      return;
    }
    if (msg.info.deliveryCount > 1 || task.verify) {
      const settled = await reconcileRedelivery(task, msg, { ...this.options, recorder: this.#recorder });
      if (settled) return;
    }
    const started = this.#recorder.started(task);
    started.then(
      // Something came between the scheduling and this start: perhaps the step's cancellation.
      // (Not for the steps of one batch, each of which has its siblings in between.)
      (at) => !at.fenced && !task.followed && this.#cancellation.recheck(task.workflowId),
      () => undefined,
    );
    // From the task's publication, or from its retry time when it waited for that.
    const published = msg.info.timestampNanos / 1e6;
    dfutMetrics.activityScheduleToStart.observe((Date.now() - Math.max(published, task.notBefore ? Date.parse(task.notBefore) : 0)) / 1000, {
      activity_type: task.activityType,
    });
    const outcome = await this.#measured(task, headersOf(msg), () => this.#attempt(fn, task, () => msg.working()));
    if ("shutdown" in outcome) {
      // Another worker runs this attempt again; an attempt that finished is recorded below.
      msg.nak();
      return;
    }
    await this.#recorder.outcome(task, outcome, await started, { wake: true, headers: headersOf(msg) });
    msg.ack();
  };

  /** Runs an attempt inside the interceptors, recording its duration and outcome in the metrics. */
  async #measured(task: ActivityTask, headers: Readonly<Record<string, string>>, attempt: () => Promise<AttemptOutcome>): Promise<AttemptOutcome> {
    const began = performance.now();
    const steps = this.#interceptorSteps;
    const input: ActivityAttemptInput = { workflowId: task.workflowId, activityType: task.activityType, activityId: task.activityId, attempt: task.attempt, headers };
    const outcome = steps.length === 0 ? await attempt() : await intercept(steps, input, async () => {
      const result = await attempt();
      // A failed attempt fails its interceptors' step too (a span records the error).
      if (!("shutdown" in result) && !result.ok) throw new AttemptFailed(result);
      return result;
    }).catch((err: unknown) => {
      if (err instanceof AttemptFailed) return err.outcome;
      throw err;
    });
    if ("shutdown" in outcome) return outcome;
    const result = outcome.ok ? "completed" : failureEvent(task, outcome.error).willRetry ? "retried" : "failed";
    const labels = { activity_type: task.activityType, outcome: result };
    dfutMetrics.activityStartToClose.observe((performance.now() - began) / 1000, labels);
    dfutMetrics.activityAttempts.inc(labels);
    return outcome;
  }

  /** True when this worker can run the activity itself, right where the workflow scheduled it. */
  canRunEagerly(activityType: string, queue: string): boolean {
    return queue === this.options.queue && this.options.activities.has(activityType);
  }

  /**
   * Runs the first attempt of an activity in the workflow worker that scheduled it, with no
   * task in between (the caller holds its workflow task meanwhile). Returns the stored outcome
   * when it wakes the workflow, in its stored form, for the caller to go on with; undefined when
   * a retry or another worker takes over. A crash is covered by the workflow task's redelivery:
   * whoever rebuilds the run republishes the step's task, and the eager ActivityStarted tells that
   * copy the attempt was lost, not taken by another worker.
   */
  async runEagerly(task: ActivityTask, keepAlive: () => void, headers: Readonly<Record<string, string>> = {}): Promise<HistoryEvent | undefined> {
    const fn = this.options.activities.get(task.activityType);
    if (!fn) {
      await publishActivityTask(this.options.connection.js, task);
      return undefined;
    }
    const started = this.#recorder.started(task, true);
    started.catch(() => undefined);
    dfutMetrics.activityScheduleToStart.observe(0, { activity_type: task.activityType });
    const outcome = await this.#measured(task, headers, () => this.#attempt(fn, task, keepAlive));
    if ("shutdown" in outcome) {
      await started.catch(() => undefined);
      await publishActivityTask(this.options.connection.js, task, headers);
      return undefined;
    }
    const stored = await this.#recorder.outcome(task, outcome, await started, { wake: false, headers });
    return stored && storedForm(stored);
  }

  #attempt(fn: ActivityFunction, task: ActivityTask, keepAlive: () => void): Promise<AttemptOutcome> {
    return runAttempt(fn, task, {
      keepAlive,
      // Keeps the task ours while the attempt runs; stops when this process stops.
      keepAliveMs: Math.max(100, Math.floor(this.options.ackWaitMs / 3)),
      cancellation: this.#cancellation.watch,
      shutdown: this.#shutdown.signal,
    });
  }
}
