/**
 * What a schedule's state becomes: at a tick (which fires are due, caught up, missed, started,
 * buffered or skipped), when a fire's start is confirmed, and on pause, resume and trigger.
 * Pure functions from a record to the next record; the caller writes the result with a
 * compare-and-set on the revision it read, so of racing servers exactly one moves the schedule
 * on, and the others read again and find the fire already decided.
 *
 * A decided start is kept in `pending` until a start of its workflow id was seen to succeed or
 * be refused as already started (the id is derived from the fire, so JetStream itself refuses a
 * second start): a server that dies between the decision and the start leaves it to the next.
 */
import {
  dueAt,
  firedWorkflowId,
  firesBetween,
  manualWorkflowId,
  nextFireAfter,
  RECENT_RUNS,
  type PendingFire,
  type ScheduleRecord,
} from "./schedule-spec.ts";

export interface TickFacts {
  now: number;
  /** Whether the schedule's last started workflow is still running (see `lastStartedWorkflowId`). */
  lastRunning: boolean;
}

export interface TickLimits {
  /** Fires decided per tick and schedule (allow-all after a long stop); the rest at the next tick. */
  maxPending: number;
  /** Cron times stepped through per tick when counting missed fires. */
  maxSteps: number;
}

export const DEFAULT_TICK_LIMITS: TickLimits = { maxPending: 20, maxSteps: 10_000 };

export interface TickDecision {
  record: ScheduleRecord;
  changed: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The due fires in order, through the catch-up window and the overlap policy. Paused: nothing. */
export function decideTick(record: ScheduleRecord, facts: TickFacts, limits: TickLimits = DEFAULT_TICK_LIMITS): TickDecision {
  if (record.paused) return { record, changed: false };
  const { spec, policies } = record;
  const next: ScheduleRecord = { ...record, pending: [...record.pending], recent: [...record.recent], counters: { ...record.counters } };
  let changed = false;
  let active = facts.lastRunning || next.pending.length > 0;
  if (next.buffered && !active) {
    next.pending.push(next.buffered);
    next.buffered = undefined;
    active = true;
    changed = true;
  }
  let cursor = Date.parse(record.lastNominalFire);
  // Fires whose time, jitter and all, is past the catch-up window: counted, not stepped through.
  const missed = firesBetween(spec, cursor, facts.now - policies.catchupWindowMs - spec.jitterMs, limits.maxSteps);
  if (missed.count > 0) {
    next.counters.missedCatchup += missed.count;
    cursor = missed.last!;
    changed = true;
  }
  for (let step = 0; step < limits.maxSteps; step++) {
    const nominal = nextFireAfter(spec, cursor);
    if (nominal === undefined) break;
    const due = dueAt(record, nominal);
    if (due > facts.now) break;
    if (facts.now - due > policies.catchupWindowMs) {
      next.counters.missedCatchup++;
    } else {
      const fire: PendingFire = { nominal: iso(nominal), workflowId: firedWorkflowId(record.scheduleId, nominal) };
      if (policies.overlap === "allow-all" || !active) {
        if (next.pending.length >= limits.maxPending) break;
        next.pending.push(fire);
        active = true;
      } else if (policies.overlap === "buffer-one" && !next.buffered) {
        next.buffered = fire;
      } else {
        next.counters.overlapSkipped++;
      }
    }
    cursor = nominal;
    changed = true;
  }
  if (!changed) return { record, changed: false };
  next.lastNominalFire = iso(cursor);
  if (next.buffered === undefined) delete next.buffered;
  return { record: next, changed: true };
}

/** The workflow whose running makes a fire overlap: the last one started, unless its start failed. */
export function lastStartedWorkflowId(record: ScheduleRecord): string | undefined {
  return record.pending.at(-1)?.workflowId ?? record.recent.findLast((run) => run.error === undefined)?.workflowId;
}

/** Whether a tick would look at whether the last started workflow runs (it decides something then). */
export function needsRunStatus(record: ScheduleRecord, now: number): boolean {
  if (record.paused || record.policies.overlap === "allow-all" || record.pending.length > 0) return false;
  if (lastStartedWorkflowId(record) === undefined) return false;
  return record.buffered !== undefined || (nextDueAt(record) ?? Number.POSITIVE_INFINITY) <= now;
}

/** When the schedule's next fire is due (jitter included); undefined when paused or never again. */
export function nextDueAt(record: ScheduleRecord): number | undefined {
  if (record.paused) return undefined;
  const nominal = nextFireAfter(record.spec, Date.parse(record.lastNominalFire));
  return nominal === undefined ? undefined : dueAt(record, nominal);
}

/** Whether a tick at `now` has something to do for the schedule. */
export function needsLook(record: ScheduleRecord, now: number): boolean {
  if (record.pending.length > 0) return true;
  if (record.paused) return false;
  return record.buffered !== undefined || (nextDueAt(record) ?? Number.POSITIVE_INFINITY) <= now;
}

/**
 * A pending fire's start was seen through: moved to the recent runs (with its error when the
 * start was refused for good). Undefined when someone else confirmed it already.
 */
export function confirmStart(record: ScheduleRecord, workflowId: string, error?: string): ScheduleRecord | undefined {
  const fire = record.pending.find((p) => p.workflowId === workflowId);
  if (!fire) return undefined;
  const run = { ...fire, ...(error !== undefined ? { error } : {}) };
  return {
    ...record,
    pending: record.pending.filter((p) => p !== fire),
    recent: [...record.recent, run].slice(-RECENT_RUNS),
    counters: {
      ...record.counters,
      started: record.counters.started + (error === undefined ? 1 : 0),
      failedStarts: record.counters.failedStarts + (error === undefined ? 0 : 1),
    },
  };
}

/** A trigger: one pending fire now, whatever the pause and the overlap policy say. */
export function addTrigger(record: ScheduleRecord, now: number): { record: ScheduleRecord; fire: PendingFire } {
  const used = new Set([...record.pending, ...record.recent].map((r) => r.workflowId));
  const fire: PendingFire = { nominal: iso(now), workflowId: manualWorkflowId(record.scheduleId, now, (id) => used.has(id)), manual: true };
  return { record: { ...record, pending: [...record.pending, fire] }, fire };
}

export function pauseSchedule(record: ScheduleRecord, now: number, note?: string): ScheduleRecord {
  const next: ScheduleRecord = { ...record, paused: true, updatedAt: iso(now) };
  if (note !== undefined) next.note = note;
  return next;
}

/** Fires that fell while paused are not caught up: the schedule goes on from now. */
export function resumeSchedule(record: ScheduleRecord, now: number, note?: string): ScheduleRecord {
  if (!record.paused) return note === undefined ? record : { ...record, note, updatedAt: iso(now) };
  const next: ScheduleRecord = {
    ...record,
    paused: false,
    updatedAt: iso(now),
    lastNominalFire: iso(Math.max(now, Date.parse(record.lastNominalFire))),
  };
  if (note !== undefined) next.note = note;
  else delete next.note;
  return next;
}
