/**
 * Fires schedules: about once a second (sooner when a fire is due sooner) the scheduler lists
 * dfut_schedules and, for each schedule with something to do, decides the tick from its record
 * (`schedule-decisions.ts`) and writes the decision with a compare-and-set, then starts the
 * fires the record holds as pending and confirms each with another compare-and-set. Any number
 * of servers run this at once: the one whose write lands moves the schedule on; a fire's
 * workflow id derives from the schedule and the nominal time and is started with id reuse
 * "reject", so however many servers (or a server after a crash) start it, it runs once.
 * Times are dfut's clock (`common/clock.ts`), so a test environment that skips time fires
 * schedules too.
 */
import type { KV } from "@nats-io/kv";
import { clock } from "../common/clock.ts";
import type { DfutConnection } from "../common/connection.ts";
import { isFinalClose } from "../common/events.ts";
import { getExecution } from "../common/executions.ts";
import { lastEvent } from "../common/history.ts";
import type { Logger } from "../common/logger.ts";
import { confirmStart, decideTick, lastStartedWorkflowId, needsLook, needsRunStatus, nextDueAt } from "../common/schedule-decisions.ts";
import type { PendingFire, ScheduleRecord } from "../common/schedule-spec.ts";
import { getSchedule, listSchedules, startFire, updateSchedule } from "../common/schedules.ts";
import { retryTransient } from "../common/retry.ts";

/** The longest pause between two ticks. */
const TICK_MS = 1000;
/** The shortest: a fire due in 3 ms is looked at in 20. */
const MIN_TICK_MS = 20;
/** Schedules handled at once within a tick. */
const PARALLEL = 8;

interface Tick {
  /** Workflows this tick started. */
  started: number;
  /** The pause until the next tick, ms. */
  wait: number;
}

export interface SchedulerOptions {
  logger: Logger;
}

export class Scheduler {
  readonly #connection: DfutConnection;
  readonly #schedules: KV;
  readonly #executions: KV;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #ticking: Promise<unknown> = Promise.resolve();
  /** Schedules whose record does not decode, told once each. */
  readonly #undecodable = new Set<string>();

  constructor(connection: DfutConnection, schedules: KV, executions: KV, options: SchedulerOptions) {
    this.#connection = connection;
    this.#schedules = schedules;
    this.#executions = executions;
    this.#logger = options.logger;
  }

  start(): void {
    this.#running = true;
    const loop = () => {
      let wait = TICK_MS;
      void this.#serialized()
        .then((tick) => (wait = tick.wait))
        .catch((err: unknown) => this.#logger.warn(`schedules: tick failed, will try again: ${(err as Error)?.message ?? err}`))
        .finally(() => {
          if (this.#running) this.#timer = setTimeout(loop, wait);
        });
    };
    this.#timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#ticking.catch(() => undefined);
  }

  /** One tick now (after the one in progress, if any); resolves with how many workflows it started. */
  async tick(): Promise<number> {
    return (await this.#serialized()).started;
  }

  /** Ticks one after another, whoever asks. */
  #serialized(): Promise<Tick> {
    const run = this.#ticking.catch(() => undefined).then(() => this.#tick());
    this.#ticking = run;
    return run;
  }

  /** Handles every schedule that has something to do. */
  async #tick(): Promise<Tick> {
    const now = clock.now();
    const listed = await listSchedules(this.#connection);
    const due: string[] = [];
    let startedTotal = 0;
    let soonest = now + TICK_MS;
    for (const { scheduleId, record } of listed) {
      if (!record) {
        if (!this.#undecodable.has(scheduleId)) this.#logger.warn(`schedules: the record of ${scheduleId} cannot be decoded; it is not fired`);
        this.#undecodable.add(scheduleId);
        continue;
      }
      if (needsLook(record, now)) due.push(scheduleId);
      // A waiting buffered fire is looked at each tick, not sooner.
      const nextDue = nextDueAt(record);
      if (nextDue !== undefined && nextDue > now) soonest = Math.min(soonest, nextDue);
    }
    for (let i = 0; i < due.length; i += PARALLEL) {
      await Promise.all(
        due.slice(i, i + PARALLEL).map((id) =>
          this.#handle(id).then(
            ({ started, nextDue }) => {
              startedTotal += started;
              if (nextDue !== undefined) soonest = Math.min(soonest, nextDue);
            },
            (err: unknown) => this.#logger.warn(`schedules: ${id} failed, will try again: ${(err as Error)?.message ?? err}`),
          ),
        ),
      );
    }
    return { started: startedTotal, wait: Math.max(MIN_TICK_MS, soonest - clock.now()) };
  }

  /**
   * Decides one schedule's tick, then starts what is pending; returns how many workflows it
   * started and when the schedule's next fire is due.
   */
  async #handle(scheduleId: string): Promise<{ started: number; nextDue: number | undefined }> {
    const stored = await getSchedule(this.#schedules, scheduleId);
    if (!stored) return { started: 0, nextDue: undefined };
    const lastId = lastStartedWorkflowId(stored.record);
    const looked = needsRunStatus(stored.record, clock.now()) ? { workflowId: lastId, running: await this.#isRunning(lastId!) } : undefined;
    const decided = await updateSchedule(this.#schedules, scheduleId, (current) => {
      const now = clock.now();
      let lastRunning = false;
      if (needsRunStatus(current, now)) {
        // What was looked at is of the record read first; one moved on since waits for the next tick.
        if (!looked || looked.workflowId !== lastStartedWorkflowId(current)) return undefined;
        lastRunning = looked.running;
      }
      const { record, changed } = decideTick(current, { now, lastRunning });
      return changed ? record : undefined;
    });
    if (!decided) return { started: 0, nextDue: undefined };
    let started = 0;
    for (const fire of decided.record.pending) {
      if (await this.#start(decided.record, fire)) started++;
    }
    return { started, nextDue: nextDueAt(decided.record) };
  }

  /** Starts a pending fire and confirms it; true when this call started the workflow. */
  async #start(record: ScheduleRecord, fire: PendingFire): Promise<boolean> {
    const result = await startFire(this.#connection, record, fire);
    const error = result.outcome === "refused" ? result.error : undefined;
    if (error) this.#logger.warn(`schedules: ${record.scheduleId} could not start ${fire.workflowId}: ${error}`);
    await updateSchedule(this.#schedules, record.scheduleId, (current) => confirmStart(current, fire.workflowId, error));
    if (result.outcome !== "started") return false;
    this.#logger.info(`schedules: ${record.scheduleId} started ${fire.workflowId}${fire.manual ? " (triggered)" : ""}`);
    return true;
  }

  /**
   * Whether the workflow is still running: the execution index says, and a workflow it does
   * not know yet (just started, not projected) is running if it has history that does not end
   * in a close.
   */
  async #isRunning(workflowId: string): Promise<boolean> {
    const record = await retryTransient(`reading ${workflowId}`, () => getExecution(this.#executions, workflowId));
    if (record) return record.status === "running" || record.status === "continued";
    const last = await retryTransient(`reading ${workflowId}`, () => lastEvent(this.#connection, workflowId));
    return last !== undefined && !isFinalClose(last);
  }
}
