/**
 * Schedules in JetStream: one record per schedule in the KV bucket dfut_schedules, every change
 * a compare-and-set on the revision read (`updateSchedule`), and the start of a fire's
 * workflow, whose id derives from the fire so that a second start is refused by JetStream.
 * Listings read the bucket without a consumer (`kv-keys.ts`).
 */
import type { KV, KvEntry } from "@nats-io/kv";
import type { DfutConnection } from "./connection.ts";
import { DfutError, isDfutError, WorkflowAlreadyStartedError } from "./errors.ts";
import { nowIso } from "./history.ts";
import { isNotFound, isTransient, isWrongLastSequence } from "./jetstream-errors.ts";
import { readBucket } from "./kv-keys.ts";
import { eventMsgIds } from "./msg-ids.ts";
import { SCHEDULES_BUCKET } from "./names.ts";
import { decodeJson, encodeJson } from "./payload.ts";
import { openKv } from "./resources.ts";
import { retryTransient } from "./retry.ts";
import { startRun } from "./runs.ts";
import { parseCron } from "./cron.ts";
import { ScheduleAlreadyExistsError, ScheduleNotFoundError, type PendingFire, type ScheduleRecord, type ScheduleSpec } from "./schedule-spec.ts";
import { validateTimeZone } from "./time-zones.ts";

export async function openSchedules(connection: DfutConnection): Promise<KV> {
  try {
    return await openKv(connection.nc, SCHEDULES_BUCKET);
  } catch (err) {
    if (isDfutError(err) && err.code === "failed_precondition") {
      throw new DfutError(
        "failed_precondition",
        `schedules are not set up on this NATS server yet (no KV ${SCHEDULES_BUCKET}); start 'dfut server' of this version once against it`,
        { cause: err },
      );
    }
    throw err;
  }
}

export interface StoredSchedule {
  record: ScheduleRecord;
  revision: number;
}

/** The record and its revision; undefined when there is none (or it was deleted). */
export async function getSchedule(kv: KV, scheduleId: string): Promise<StoredSchedule | undefined> {
  const entry = await retryTransient(`reading schedule ${scheduleId}`, () => kv.get(scheduleId));
  if (!live(entry)) return undefined;
  const record = decodeSchedule(entry.value);
  if (!record) throw new DfutError("internal", `the record of schedule ${scheduleId} cannot be decoded; delete the schedule and create it again`);
  return { record, revision: entry.revision };
}

function live(entry: KvEntry | null): entry is KvEntry {
  return entry !== null && entry.operation === "PUT" && entry.value.length > 0;
}

/** Stores a new schedule; ScheduleAlreadyExistsError when the id is taken. */
export async function createSchedule(kv: KV, record: ScheduleRecord): Promise<void> {
  try {
    // A deleted schedule's key is created again (kv.create takes a delete marker's place).
    await retryTransient(`creating schedule ${record.scheduleId}`, () => kv.create(record.scheduleId, encodeJson(record)));
  } catch (err) {
    if (isWrongLastSequence(err)) throw new ScheduleAlreadyExistsError(record.scheduleId);
    throw err;
  }
}

const MAX_CAS_TRIES = 20;

/**
 * Read-modify-write with a compare-and-set: `mutate` returns the next record, or undefined to
 * leave it. Undefined when the schedule does not exist; else the record now stored and whether
 * this call changed it.
 */
export async function updateSchedule(
  kv: KV,
  scheduleId: string,
  mutate: (current: ScheduleRecord) => ScheduleRecord | undefined,
): Promise<{ record: ScheduleRecord; changed: boolean } | undefined> {
  for (let i = 0; i < MAX_CAS_TRIES; i++) {
    const stored = await getSchedule(kv, scheduleId);
    if (!stored) return undefined;
    const next = mutate(stored.record);
    if (!next) return { record: stored.record, changed: false };
    try {
      await retryTransient(`updating schedule ${scheduleId}`, () => kv.update(scheduleId, encodeJson(next), stored.revision));
      return { record: next, changed: true };
    } catch (err) {
      // Another server or client wrote first: read again and decide again.
      if (!isWrongLastSequence(err)) throw err;
    }
  }
  throw new DfutError("aborted", `could not update schedule ${scheduleId}: too many concurrent writers`);
}

/** updateSchedule for a schedule that must exist: ScheduleNotFoundError otherwise. */
export async function updateExistingSchedule(
  kv: KV,
  scheduleId: string,
  mutate: (current: ScheduleRecord) => ScheduleRecord | undefined,
): Promise<ScheduleRecord> {
  const result = await updateSchedule(kv, scheduleId, mutate);
  if (!result) throw new ScheduleNotFoundError(scheduleId);
  return result.record;
}

/** Removes the schedule (its workflows stay); ScheduleNotFoundError when there is none. */
export async function deleteSchedule(kv: KV, scheduleId: string): Promise<void> {
  const stored = await getSchedule(kv, scheduleId);
  if (!stored) throw new ScheduleNotFoundError(scheduleId);
  await retryTransient(`deleting schedule ${scheduleId}`, () => kv.delete(scheduleId));
}

export interface ListedSchedule {
  scheduleId: string;
  /** Undefined when the stored bytes are not a schedule record. */
  record?: ScheduleRecord;
}

/** Every schedule, by id. Reads the whole bucket with direct gets. */
export async function listSchedules(connection: DfutConnection): Promise<ListedSchedule[]> {
  const entries = await retryTransient("listing schedules", () => readBucket(connection.jsm, SCHEDULES_BUCKET)).catch((err: unknown) => {
    if (isNotFound(err)) return openSchedules(connection).then(() => []);
    throw err;
  });
  return entries
    .map(({ key, value }) => ({ scheduleId: key, record: decodeSchedule(value) }))
    .sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** A schedule record, or undefined when the bytes are not one. */
export function decodeSchedule(data: Uint8Array): ScheduleRecord | undefined {
  try {
    const r = decodeJson<ScheduleRecord>(data);
    const ok =
      typeof r === "object" &&
      r !== null &&
      typeof r.scheduleId === "string" &&
      typeof r.spec === "object" &&
      typeof r.action?.workflowType === "string" &&
      Array.isArray(r.action.args) &&
      typeof r.policies?.overlap === "string" &&
      typeof r.lastNominalFire === "string" &&
      Array.isArray(r.pending) &&
      Array.isArray(r.recent) &&
      typeof r.counters === "object";
    return ok && validSpec(r.spec) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a stored spec can be computed with (an edited record may hold anything). */
function validSpec(spec: ScheduleSpec): boolean {
  try {
    if (typeof spec.jitterMs !== "number" || !(spec.jitterMs >= 0)) return false;
    if (spec.everyMs !== undefined) return Number.isInteger(spec.everyMs) && spec.everyMs >= 1000 && spec.everyMs % 1000 === 0;
    parseCron(spec.cron ?? "");
    if (spec.timezone !== undefined) validateTimeZone(spec.timezone);
    return true;
  } catch {
    return false;
  }
}

export type FireStart =
  | { outcome: "started"; runId: string }
  /** The fire's workflow id has a run already: this fire happened (here or on another server). */
  | { outcome: "already-started" }
  /** Refused for good (too large, a bad id): retrying cannot help. */
  | { outcome: "refused"; error: string };

/**
 * Starts the fire's workflow with id reuse "reject", so that however often this is called (by
 * racing servers, after a crash) the fire's workflow starts once. Transient failures throw:
 * the fire stays pending and is tried again.
 */
export async function startFire(connection: DfutConnection, record: ScheduleRecord, fire: PendingFire): Promise<FireStart> {
  const { workflowType, args, queue } = record.action;
  const event = { type: "WorkflowStarted", time: nowIso(), workflowType, args, queue, options: { queue } } as const;
  const msgId = eventMsgIds.clientWrite(fire.workflowId, crypto.randomUUID().replaceAll("-", "").slice(0, 16));
  try {
    const seq = await retryTransient(`starting ${fire.workflowId} for schedule ${record.scheduleId}`, () =>
      startRun(connection, fire.workflowId, event, { idReuse: "reject", msgId, maxPayload: connection.maxPayload }),
    );
    return { outcome: "started", runId: String(seq) };
  } catch (err) {
    if (err instanceof WorkflowAlreadyStartedError) return { outcome: "already-started" };
    if (isDfutError(err) && err.code === "invalid_argument" && !isTransient(err)) return { outcome: "refused", error: err.message };
    throw err;
  }
}
