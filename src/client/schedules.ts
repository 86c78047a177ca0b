/**
 * The schedule SDK: create, list, describe, pause, resume, trigger and delete durable
 * schedules, which `dfut server` fires. Each call is a read, or a compare-and-set of the
 * schedule's KV record; `trigger` also starts the workflow itself.
 */
import type { KV } from "@nats-io/kv";
import { clock } from "../common/clock.ts";
import type { DfutConnection } from "../common/connection.ts";
import { DfutError } from "../common/errors.ts";
import { isFinalClose, statusOf, type WorkflowStatus } from "../common/events.ts";
import { getExecution } from "../common/executions.ts";
import { lastEvent } from "../common/history.ts";
import { EXECUTIONS_BUCKET } from "../common/names.ts";
import { retryTransient } from "../common/retry.ts";
import { awaitProvisioned, notProvisioned, openKv } from "../common/resources.ts";
import { addTrigger, confirmStart, pauseSchedule, resumeSchedule } from "../common/schedule-decisions.ts";
import {
  describeSpec,
  dueAt,
  newScheduleRecord,
  nextFires,
  parseAction,
  parsePolicies,
  parseSpec,
  ScheduleNotFoundError,
  validateScheduleId,
  type Duration,
  type OverlapPolicy,
  type PendingFire,
  type RecentRun,
  type ScheduleRecord,
  type ScheduleSpecInput,
} from "../common/schedule-spec.ts";
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  openSchedules,
  startFire,
  updateExistingSchedule,
  updateSchedule,
} from "../common/schedules.ts";
import { nameOf, type WorkflowFunction } from "../workflow/definitions.ts";

/** How long a call waits for dfut to be provisioned before it says it is not. */
const PROVISIONING_GRACE_MS = 5000;
/** Fire times `describe` lists. */
const NEXT_FIRES = 5;

export interface ScheduleOptions {
  /** When it fires: `{ every: "5m" }` or `{ cron: "0 3 * * *", timezone: "Europe/Berlin" }`, optionally with `jitter`. */
  spec: ScheduleSpecInput;
  /** The workflow each fire starts. */
  workflow: WorkflowFunction | string;
  args?: unknown[];
  /** Task queue. Default "default". */
  queue?: string;
  /** What a fire does while the last started workflow still runs. Default "skip". */
  overlap?: OverlapPolicy;
  /** Fires found later than this after their time (dfut server was down) are skipped and counted. Default 1 minute. */
  catchupWindow?: Duration;
  /** Create it paused. Default false. */
  paused?: boolean;
  note?: string;
}

/** A recent run of a schedule with its workflow's status now. */
export interface ScheduleRun extends RecentRun {
  /**
   * From the execution index; "starting" while its start is decided but not seen through,
   * "not started" when the start was refused (see `error`), "removed" when its workflow is no
   * longer kept.
   */
  status: WorkflowStatus | "starting" | "not started" | "removed";
}

export interface ScheduleDescription extends ScheduleRecord {
  /** The spec as one line ("every 5m", "cron 0 3 * * * (Europe/Berlin)"). */
  specText: string;
  /** The next nominal fire times, ISO (each starts up to the jitter later). */
  nextFires: string[];
  /** Pending starts and the last runs, newest first. */
  recentRuns: ScheduleRun[];
}

export interface ScheduleSummary {
  scheduleId: string;
  specText: string;
  workflowType: string;
  queue: string;
  overlap: OverlapPolicy;
  paused: boolean;
  note?: string;
  /** When the next fire is due (jitter included), ISO; absent while paused. */
  nextFire?: string;
  lastRun?: RecentRun;
  /** Set when the stored record cannot be read: why. */
  problem?: string;
}

export interface TriggeredRun {
  workflowId: string;
  /** The run the trigger began; absent when a server started the same pending trigger first. */
  runId?: string;
}

export class ScheduleClient {
  readonly connection: DfutConnection;
  #schedules?: KV;
  #executions?: KV;

  constructor(connection: DfutConnection) {
    this.connection = connection;
  }

  /** Creates a schedule; it first fires at its first time after now. Refused when the id is taken. */
  async create(scheduleId: string, options: ScheduleOptions): Promise<ScheduleDescription> {
    validateScheduleId(scheduleId);
    const workflowType = typeof options.workflow === "string" ? options.workflow : nameOf(options.workflow);
    const record = newScheduleRecord(
      scheduleId,
      {
        spec: parseSpec(options.spec),
        action: parseAction({ workflowType, args: options.args, queue: options.queue }),
        policies: parsePolicies({ overlap: options.overlap, catchupWindow: options.catchupWindow }),
        paused: options.paused,
        note: options.note,
      },
      clock.now(),
    );
    await createSchedule(await this.#kv(), record);
    return { ...describeTimes(record), recentRuns: [] };
  }

  /** Every schedule, by id. */
  async list(): Promise<ScheduleSummary[]> {
    await this.#kv();
    const listed = await listSchedules(this.connection).catch((err: unknown) => {
      throw notProvisioned(err);
    });
    return listed.map(({ scheduleId, record }): ScheduleSummary => {
      if (!record) {
        return { scheduleId, specText: "", workflowType: "", queue: "", overlap: "skip", paused: false, problem: "its record cannot be decoded" };
      }
      const next = record.paused ? undefined : nextFires(record.spec, Math.max(clock.now(), Date.parse(record.lastNominalFire)), 1)[0];
      return {
        scheduleId,
        specText: describeSpec(record.spec),
        workflowType: record.action.workflowType,
        queue: record.action.queue,
        overlap: record.policies.overlap,
        paused: record.paused,
        ...(record.note ? { note: record.note } : {}),
        ...(next !== undefined ? { nextFire: new Date(dueAt(record, next)).toISOString() } : {}),
        ...(record.recent.length > 0 ? { lastRun: record.recent.at(-1) } : {}),
      };
    });
  }

  /** The schedule's spec, state, next fire times and recent runs with their workflows' status. */
  async describe(scheduleId: string): Promise<ScheduleDescription> {
    const record = await this.#get(scheduleId);
    const runs: Array<PendingFire & { error?: string; pending?: boolean }> = [
      ...record.pending.map((p) => ({ ...p, pending: true })),
      ...[...record.recent].reverse().filter((r) => !record.pending.some((p) => p.workflowId === r.workflowId)),
    ];
    const recentRuns = await Promise.all(
      runs.map(async ({ pending, ...run }): Promise<ScheduleRun> => {
        if (pending) return { ...run, status: "starting" };
        if (run.error !== undefined) return { ...run, status: "not started" };
        return { ...run, status: await this.#status(run.workflowId) };
      }),
    );
    return { ...describeTimes(record), recentRuns };
  }

  /** Stops the schedule firing (a trigger still starts a run); the note says why. */
  async pause(scheduleId: string, note?: string): Promise<void> {
    const kv = await this.#kv();
    await updateExistingSchedule(kv, validateScheduleId(scheduleId), (current) => pauseSchedule(current, clock.now(), note));
  }

  /** Lets the schedule fire again from now on: fires that fell while it was paused are not caught up. */
  async resume(scheduleId: string, note?: string): Promise<void> {
    const kv = await this.#kv();
    await updateExistingSchedule(kv, validateScheduleId(scheduleId), (current) => {
      const next = resumeSchedule(current, clock.now(), note);
      return next === current ? undefined : next;
    });
  }

  /**
   * Starts one run now, whether the schedule is paused or not and whatever its overlap policy,
   * with the id `<scheduleId>-manual-<time>`. The start is recorded as pending first, so a
   * server finishes it should this process die in between.
   */
  async trigger(scheduleId: string): Promise<TriggeredRun> {
    await this.#ready();
    const kv = await this.#kv();
    let fire: PendingFire | undefined;
    const record = await updateExistingSchedule(kv, validateScheduleId(scheduleId), (current) => {
      const triggered = addTrigger(current, clock.now());
      fire = triggered.fire;
      return triggered.record;
    });
    const started = await startFire(this.connection, record, fire!);
    const error = started.outcome === "refused" ? started.error : undefined;
    await updateSchedule(kv, scheduleId, (current) => confirmStart(current, fire!.workflowId, error));
    if (error !== undefined) throw new DfutError("invalid_argument", `schedule ${scheduleId} could not start ${fire!.workflowId}: ${error}`);
    return { workflowId: fire!.workflowId, ...(started.outcome === "started" ? { runId: started.runId } : {}) };
  }

  /** Removes the schedule; the workflows it started are left as they are. */
  async delete(scheduleId: string): Promise<void> {
    await deleteSchedule(await this.#kv(), validateScheduleId(scheduleId));
  }

  async #get(scheduleId: string): Promise<ScheduleRecord> {
    const stored = await getSchedule(await this.#kv(), validateScheduleId(scheduleId));
    if (!stored) throw new ScheduleNotFoundError(scheduleId);
    return stored.record;
  }

  /** The workflow's status: from the index, else (not projected yet, or removed) from its history. */
  async #status(workflowId: string): Promise<ScheduleRun["status"]> {
    const executions = (this.#executions ??= await openKv(this.connection.nc, EXECUTIONS_BUCKET));
    const record = await retryTransient(`describing ${workflowId}`, () => getExecution(executions, workflowId));
    if (record) return record.status;
    await this.#ready();
    const last = await retryTransient(`reading ${workflowId}`, () => lastEvent(this.connection, workflowId));
    if (!last) return "removed";
    return isFinalClose(last) ? statusOf(last)! : "running";
  }

  async #ready(): Promise<void> {
    if (!this.connection.layout) await awaitProvisioned(this.connection, { timeoutMs: PROVISIONING_GRACE_MS });
  }

  async #kv(): Promise<KV> {
    return (this.#schedules ??= await openSchedules(this.connection));
  }
}

/** The record with its spec as text and its next fire times. */
function describeTimes(record: ScheduleRecord): Omit<ScheduleDescription, "recentRuns"> {
  const from = Math.max(clock.now(), Date.parse(record.lastNominalFire));
  return {
    ...record,
    specText: describeSpec(record.spec),
    nextFires: nextFires(record.spec, from, NEXT_FIRES).map((t) => new Date(t).toISOString()),
  };
}
