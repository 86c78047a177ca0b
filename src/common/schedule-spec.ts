/**
 * The schedule model: what a schedule is (its spec, action and policies), its durable state,
 * and the pure rules over them: parsing and checking a spec, the next nominal fire times, the
 * jitter of a fire, and the workflow ids of fires. No I/O; `schedule-decisions.ts` decides what
 * a tick does with a record, `schedules.ts` stores records in KV.
 */
import { nextCronFire, parseCron } from "./cron.ts";
import { formatDurationMs, parseDuration } from "./duration.ts";
import { DfutError, InvalidArgumentError } from "./errors.ts";
import { ALLOWED_ID_CHARS, validateQueue } from "./ids.ts";
import { DEFAULT_QUEUE } from "./names.ts";
import { assertJsonSerializable } from "./payload.ts";
import { validateTimeZone } from "./time-zones.ts";

/**
 * What a fire does while the schedule's last started workflow is still running: "skip" it
 * (counted), "buffer-one" (keep at most one fire waiting, started when the running one closes;
 * more are skipped), "allow-all" (start it anyway).
 */
export type OverlapPolicy = "skip" | "buffer-one" | "allow-all";
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ["skip", "buffer-one", "allow-all"];

/** A duration: milliseconds, or text such as "30s", "5m", "1h", "1d". */
export type Duration = number | string;

export const DEFAULT_CATCHUP_WINDOW_MS = 60_000;
export const DEFAULT_OVERLAP: OverlapPolicy = "skip";

/** When a schedule fires: a cron expression or a fixed interval, never both. */
export interface ScheduleSpecInput {
  /** Five-field cron (minute hour day-of-month month day-of-week), in `timezone`. */
  cron?: string;
  /** A fixed interval of whole seconds, aligned to the Unix epoch ("1h" fires on the hour). */
  every?: Duration;
  /** IANA zone the cron fields are read in. Default UTC. Not for `every`. */
  timezone?: string;
  /** Each fire starts up to this much after its nominal time (a fixed offset per fire). Default 0. */
  jitter?: Duration;
}

/** The stored spec: durations in ms, the zone canonical. */
export interface ScheduleSpec {
  cron?: string;
  everyMs?: number;
  timezone?: string;
  jitterMs: number;
}

/** The workflow each fire starts. */
export interface ScheduleAction {
  workflowType: string;
  args: unknown[];
  queue: string;
}

export interface SchedulePolicies {
  overlap: OverlapPolicy;
  /** A fire found later than this after its time (the server was down) is skipped and counted. */
  catchupWindowMs: number;
}

/** A fire whose start is decided (a CAS moved it here) and which is started, idempotently, until confirmed. */
export interface PendingFire {
  /** The nominal time (before jitter), ISO; for a trigger, when it was asked for. */
  nominal: string;
  workflowId: string;
  manual?: boolean;
}

/** A fire that was started (or found started), newest last. */
export interface RecentRun {
  nominal: string;
  workflowId: string;
  manual?: boolean;
  /** Set when the start was refused for good (not a transient failure): why. */
  error?: string;
}

export interface ScheduleCounters {
  /** Workflows the schedule started (fires and triggers). */
  started: number;
  /** Fires found later than the catch-up window after their time: skipped. */
  missedCatchup: number;
  /** Fires skipped because the last started workflow was still running (skip, buffer-one). */
  overlapSkipped: number;
  /** Fires whose start was refused for good (see RecentRun.error). */
  failedStarts: number;
}

/** One schedule's KV record: its definition and its state. Every change is a compare-and-set. */
export interface ScheduleRecord {
  scheduleId: string;
  spec: ScheduleSpec;
  action: ScheduleAction;
  policies: SchedulePolicies;
  paused: boolean;
  note?: string;
  createdAt: string;
  updatedAt: string;
  /**
   * The nominal time of the latest fire the schedule has dealt with (started, buffered or
   * skipped), ISO; fires after it are still to come. Starts as the creation time; a resume
   * moves it to the resume time (fires while paused are not caught up).
   */
  lastNominalFire: string;
  pending: PendingFire[];
  /** buffer-one: the one fire waiting for the running workflow to close. */
  buffered?: PendingFire;
  /** The last RECENT_RUNS started, oldest first. */
  recent: RecentRun[];
  counters: ScheduleCounters;
}

export const RECENT_RUNS = 10;

const SCHEDULE_ID = /^[A-Za-z0-9_-]+$/;
/** Fired workflow ids add up to 27 characters ("-manual-20250101T000000Z-99") to the 200 of a workflow id. */
export const MAX_SCHEDULE_ID_LENGTH = 170;

export function validateScheduleId(scheduleId: string): string {
  if (typeof scheduleId !== "string" || scheduleId.length === 0) throw new InvalidArgumentError("schedule id must not be empty");
  if (scheduleId.length > MAX_SCHEDULE_ID_LENGTH) {
    throw new InvalidArgumentError(`schedule id is ${scheduleId.length} characters long; at most ${MAX_SCHEDULE_ID_LENGTH} are allowed`);
  }
  if (!SCHEDULE_ID.test(scheduleId)) {
    const bad = [...new Set([...scheduleId].filter((c) => !/[A-Za-z0-9_-]/.test(c)))].map((c) => (c.trim() === "" ? JSON.stringify(c) : `'${c}'`));
    throw new InvalidArgumentError(`schedule id ${JSON.stringify(scheduleId)} contains ${bad.join(", ")}; only ${ALLOWED_ID_CHARS} are allowed`);
  }
  return scheduleId;
}

/** Checks a spec and brings it to its stored form. */
export function parseSpec(input: ScheduleSpecInput): ScheduleSpec {
  const hasCron = input.cron !== undefined && input.cron !== "";
  const hasEvery = input.every !== undefined && input.every !== "";
  if (hasCron === hasEvery) {
    throw new InvalidArgumentError(
      hasCron ? "a schedule has either a cron expression or an interval (every), not both" : "a schedule needs a cron expression or an interval (every)",
    );
  }
  const jitterMs = input.jitter === undefined ? 0 : parseDuration(input.jitter, "the jitter");
  if (hasEvery) {
    if (input.timezone !== undefined) {
      throw new InvalidArgumentError("a time zone applies to cron schedules only (an interval is the same everywhere); use a cron expression such as \"0 0 * * *\" for local midnight");
    }
    const everyMs = parseDuration(input.every!, "the interval (every)");
    if (everyMs < 1000 || everyMs % 1000 !== 0) {
      throw new InvalidArgumentError(`the interval (every) must be a whole number of seconds, at least 1s; not ${shown(input.every!)}`);
    }
    return { everyMs, jitterMs };
  }
  const cron = parseCron(input.cron!).source;
  const timezone = input.timezone === undefined ? undefined : validateTimeZone(input.timezone);
  return { cron, ...(timezone ? { timezone } : {}), jitterMs };
}

/** A duration as the caller gave it: text quoted, milliseconds spelled with their unit. */
function shown(value: Duration): string {
  return typeof value === "number" ? formatDurationMs(value) : JSON.stringify(value);
}

export function parsePolicies(input: { overlap?: string; catchupWindow?: Duration }): SchedulePolicies {
  const overlap = (input.overlap ?? DEFAULT_OVERLAP) as OverlapPolicy;
  if (!OVERLAP_POLICIES.includes(overlap)) {
    throw new InvalidArgumentError(`the overlap policy must be one of ${OVERLAP_POLICIES.join(", ")}; not ${JSON.stringify(input.overlap)}`);
  }
  const catchupWindowMs = input.catchupWindow === undefined ? DEFAULT_CATCHUP_WINDOW_MS : parseDuration(input.catchupWindow, "the catch-up window");
  if (catchupWindowMs < 1000) throw new InvalidArgumentError(`the catch-up window must be at least 1s; not ${shown(input.catchupWindow!)}`);
  return { overlap, catchupWindowMs };
}

export function parseAction(input: { workflowType: string; args?: unknown[]; queue?: string }): ScheduleAction {
  if (!input.workflowType) throw new InvalidArgumentError("a schedule needs a workflow type to start");
  const args = input.args ?? [];
  if (!Array.isArray(args)) throw new InvalidArgumentError("workflow arguments must be an array");
  assertJsonSerializable(args, `the arguments of workflow ${input.workflowType}`);
  return { workflowType: input.workflowType, args, queue: validateQueue(input.queue ?? DEFAULT_QUEUE) };
}

/** A new schedule's record; `now` is its creation time, after which it first fires. */
export function newScheduleRecord(
  scheduleId: string,
  parts: { spec: ScheduleSpec; action: ScheduleAction; policies: SchedulePolicies; paused?: boolean; note?: string },
  now: number,
): ScheduleRecord {
  const at = new Date(now).toISOString();
  return {
    scheduleId: validateScheduleId(scheduleId),
    spec: parts.spec,
    action: parts.action,
    policies: parts.policies,
    paused: parts.paused ?? false,
    ...(parts.note ? { note: parts.note } : {}),
    createdAt: at,
    updatedAt: at,
    lastNominalFire: at,
    pending: [],
    recent: [],
    counters: { started: 0, missedCatchup: 0, overlapSkipped: 0, failedStarts: 0 },
  };
}

/** The first nominal fire time strictly after `after`, ms; undefined if it never fires again. */
export function nextFireAfter(spec: ScheduleSpec, after: number): number | undefined {
  if (spec.everyMs !== undefined) return Math.floor(after / spec.everyMs) * spec.everyMs + spec.everyMs;
  return nextCronFire(parseCronCached(spec.cron!), after, spec.timezone);
}

/** The next `count` nominal fire times after `after`. */
export function nextFires(spec: ScheduleSpec, after: number, count: number): number[] {
  const times: number[] = [];
  let t: number | undefined = after;
  while (times.length < count && (t = nextFireAfter(spec, t)) !== undefined) times.push(t);
  return times;
}

/**
 * How many nominal fire times lie in (after, until), and the last of them: for fires long
 * missed. An interval is counted at once; cron times are stepped through, at most `limit`.
 */
export function firesBetween(spec: ScheduleSpec, after: number, until: number, limit: number): { count: number; last: number | undefined } {
  if (spec.everyMs !== undefined) {
    const first = Math.floor(after / spec.everyMs) + 1;
    const last = Math.ceil(until / spec.everyMs) - 1;
    return last < first ? { count: 0, last: undefined } : { count: last - first + 1, last: last * spec.everyMs };
  }
  let count = 0;
  let last: number | undefined;
  for (let t = nextFireAfter(spec, after); t !== undefined && t < until && count < limit; t = nextFireAfter(spec, t)) {
    count++;
    last = t;
  }
  return { count, last };
}

const cronCache = new Map<string, ReturnType<typeof parseCron>>();

function parseCronCached(source: string): ReturnType<typeof parseCron> {
  let cron = cronCache.get(source);
  if (!cron) {
    cron = parseCron(source);
    if (cronCache.size > 1000) cronCache.clear();
    cronCache.set(source, cron);
  }
  return cron;
}

/**
 * The fire's offset in [0, jitterMs): an FNV-1a hash of the schedule and the nominal time, so
 * every server (and every retry) puts the same fire at the same moment.
 */
export function jitterOffset(scheduleId: string, nominal: number, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  let hash = 0x811c9dc5;
  for (const ch of `${scheduleId}@${nominal}`) {
    hash ^= ch.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return Math.floor((hash / 0x1_0000_0000) * jitterMs);
}

/** When the fire is due: its nominal time plus its jitter. */
export function dueAt(record: Pick<ScheduleRecord, "scheduleId" | "spec">, nominal: number): number {
  return nominal + jitterOffset(record.scheduleId, nominal, record.spec.jitterMs);
}

/** 20250102T030405Z */
export function compactUtc(time: number): string {
  return new Date(time).toISOString().replace(/\.\d+Z$/, "Z").replaceAll("-", "").replaceAll(":", "");
}

/** The workflow id of a fire: derived from the schedule and the nominal time, so that JetStream refuses a second start of it. */
export function firedWorkflowId(scheduleId: string, nominal: number): string {
  return `${scheduleId}-${compactUtc(nominal)}`;
}

/** The workflow id of a trigger: `<scheduleId>-manual-<time>`, with -2, -3… for more in the same second. */
export function manualWorkflowId(scheduleId: string, at: number, taken: (workflowId: string) => boolean): string {
  const base = `${scheduleId}-manual-${compactUtc(at)}`;
  if (!taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}

/** The spec as one line: "every 5m", "cron 0 3 * * * (Europe/Berlin)", with its jitter. */
export function describeSpec(spec: ScheduleSpec): string {
  const when = spec.everyMs !== undefined ? `every ${formatDurationMs(spec.everyMs)}` : `cron ${spec.cron}${spec.timezone ? ` (${spec.timezone})` : ""}`;
  return spec.jitterMs > 0 ? `${when}, jitter ${formatDurationMs(spec.jitterMs)}` : when;
}

export class ScheduleNotFoundError extends DfutError {
  readonly scheduleId: string;
  constructor(scheduleId: string) {
    super("not_found", `no schedule with id ${JSON.stringify(scheduleId)}`);
    this.scheduleId = scheduleId;
  }
}

export class ScheduleAlreadyExistsError extends DfutError {
  readonly scheduleId: string;
  constructor(scheduleId: string) {
    super("already_exists", `a schedule with id ${JSON.stringify(scheduleId)} already exists; delete it first or choose another id`);
    this.scheduleId = scheduleId;
  }
}
