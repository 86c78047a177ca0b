import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { readBucket } from "./kv-keys.ts";
import { EXECUTIONS_BUCKET } from "./names.ts";
import type { ErrorInfo, ParentRef, WorkflowStatus } from "./events.ts";
import { decodeJson, encodeJson } from "./payload.ts";
import { isWrongLastSequence } from "./jetstream-errors.ts";
import { DfutError } from "./errors.ts";

/** One row of the execution index: a projection of the workflow's history. */
export interface ExecutionRecord {
  workflowId: string;
  workflowType?: string;
  queue?: string;
  status: WorkflowStatus;
  startedAt?: string;
  closedAt?: string;
  args?: unknown[];
  result?: unknown;
  error?: ErrorInfo;
  /** Why the workflow is not progressing, when dfut knows (a missing worker, a failing task). */
  problem?: string;
  /** Sequence of the event that set `status`; older events never override it. */
  statusSeq: number;
  /** The current run (the sequence of its WorkflowStarted); `startedAt` is its start. */
  runId?: string;
  /** Ids of the runs of this workflow id, oldest first (the last 50), the current one last. */
  runs?: string[];
  /** The run the current one continues (continue-as-new). */
  continuedFrom?: string;
  /** Set when the workflow is a child: its parent. */
  parent?: ParentRef;
}

const MAX_CAS_TRIES = 20;

/**
 * Read-modify-write of one execution record with optimistic concurrency: several dispatchers
 * and workers may touch the same record, so each write names the revision it read.
 */
export async function updateExecution(
  kv: KV,
  workflowId: string,
  mutate: (current: ExecutionRecord | undefined) => ExecutionRecord | undefined,
  options: { likelyNew?: boolean } = {},
): Promise<void> {
  if (options.likelyNew) {
    // One request instead of a read and a write; falls through to the read when it exists.
    const fresh = mutate(undefined);
    if (!fresh) return;
    try {
      await kv.create(workflowId, encodeJson(fresh));
      return;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }
  for (let i = 0; i < MAX_CAS_TRIES; i++) {
    const entry = await kv.get(workflowId);
    const exists = entry !== null && entry.operation === "PUT" && entry.value.length > 0;
    // A record that does not decode is replaced: the index is a projection of the history.
    const current = exists ? decodeRecord(entry.value) : undefined;
    const next = mutate(current);
    if (!next) return;
    try {
      // A deleted key still has a revision to update from.
      if (entry) await kv.update(workflowId, encodeJson(next), entry.revision);
      else await kv.create(workflowId, encodeJson(next));
      return;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw err;
    }
  }
  throw new DfutError("aborted", `could not update the execution record of ${workflowId}: too many concurrent writers`);
}


/** Notes why a running workflow is not progressing (shown by describe, list and the UIs); best effort. */
export async function setProblem(kv: KV, workflowId: string, problem: string): Promise<void> {
  await updateExecution(kv, workflowId, (record) =>
    record && record.status === "running" && record.problem !== problem ? { ...record, problem } : undefined,
  ).catch(() => undefined);
}

/** Not a record dfut wrote: shown rather than failing every listing. */
function undecodableRecord(workflowId: string): ExecutionRecord {
  return { workflowId, status: "running", statusSeq: 0, problem: "its execution index record cannot be decoded" };
}

/** An index record, or undefined when the bytes are not one. */
export function decodeRecord(data: Uint8Array): ExecutionRecord | undefined {
  try {
    return decodeJson<ExecutionRecord>(data);
  } catch {
    return undefined;
  }
}

/** Removes a problem note once the workflow moves again. */
export async function clearProblem(kv: KV, workflowId: string): Promise<void> {
  await updateExecution(kv, workflowId, (record) => (record?.problem ? { ...record, problem: undefined } : undefined)).catch(
    () => undefined,
  );
}

export async function getExecution(kv: KV, workflowId: string): Promise<ExecutionRecord | undefined> {
  const entry = await kv.get(workflowId);
  if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return undefined;
  return decodeRecord(entry.value) ?? undecodableRecord(workflowId);
}

export interface ListFilter {
  status?: WorkflowStatus;
  workflowType?: string;
  idPrefix?: string;
  limit?: number;
}

/** Whether a record passes the filter (its limit aside). */
export function matchesFilter(record: ExecutionRecord, filter: ListFilter): boolean {
  if (filter.status && record.status !== filter.status) return false;
  if (filter.workflowType && record.workflowType !== filter.workflowType) return false;
  if (filter.idPrefix && !record.workflowId.startsWith(filter.idPrefix)) return false;
  return true;
}

/** The one order of execution lists: newest start first; the id breaks ties, so the order is total. */
export function compareExecutions(a: ExecutionRecord, b: ExecutionRecord): number {
  return (b.startedAt ?? "").localeCompare(a.startedAt ?? "") || a.workflowId.localeCompare(b.workflowId);
}

/** Executions, newest first. Reads the whole index: fine for thousands, not for millions. */
export async function listExecutions(jsm: JetStreamManager, filter: ListFilter = {}): Promise<ExecutionRecord[]> {
  const records: ExecutionRecord[] = [];
  for (const { key, value } of await readBucket(jsm, EXECUTIONS_BUCKET)) {
    if (filter.idPrefix && !key.startsWith(filter.idPrefix)) continue;
    const record = decodeRecord(value) ?? undecodableRecord(key);
    if (matchesFilter(record, filter)) records.push(record);
  }
  records.sort(compareExecutions);
  return filter.limit ? records.slice(0, filter.limit) : records;
}
