import type { DirectMsgRequest, JetStreamManager, MsgRequest, StoredMsg } from "@nats-io/jetstream";
import { isWrongLastSequence } from "./jetstream-errors.ts";
import { layoutOf, type HistoryAccess } from "./layout.ts";
import type { HistoryEvent, NewEvent } from "./events.ts";
import { encodeJson, assertFits } from "./payload.ts";
import { decodeEvent } from "./event-codec.ts";
import { WorkflowAlreadyStartedError } from "./errors.ts";
import { clock } from "./clock.ts";

/** Another writer advanced the history since this one last read it. */
export class HistoryConflictError extends Error {
  readonly workflowId: string;
  readonly expectedLastSeq: number;
  constructor(workflowId: string, expectedLastSeq: number) {
    super(`history of ${workflowId} moved past seq ${expectedLastSeq}`);
    this.workflowId = workflowId;
    this.expectedLastSeq = expectedLastSeq;
    this.name = "HistoryConflictError";
  }
}

export { decodeEvent } from "./event-codec.ts";

/**
 * Events of one workflow with a sequence above `afterSeq`, in order. Uses direct gets, which
 * every server since 2.9 answers without creating a consumer: cheap for the short tails the
 * hot path reads.
 */
export async function readHistory(
  access: HistoryAccess,
  workflowId: string,
  afterSeq = 0,
  /** Stop once this sequence was read (later events, if any, are left for the next read). */
  untilSeq = Number.POSITIVE_INFINITY,
): Promise<HistoryEvent[]> {
  const layout = layoutOf(access);
  const stream = layout.stream(workflowId);
  const subject = layout.subject(workflowId);
  const events: HistoryEvent[] = [];
  let next = afterSeq + 1;
  while (next <= untilSeq) {
    const msg = await getStored(access, stream, { seq: next, next_by_subj: subject });
    if (!msg) break;
    events.push(decodeEvent(msg));
    next = msg.seq + 1;
  }
  return events;
}

/**
 * The events of one run: from its WorkflowStarted (at the sequence that is its id) to the next
 * run's start. Undefined when no run of the workflow starts there (a wrong id, or purged).
 */
export async function readRun(access: HistoryAccess, workflowId: string, runId: string): Promise<HistoryEvent[] | undefined> {
  const start = Number(runId);
  if (!Number.isSafeInteger(start) || start < 1) return undefined;
  const events = await readHistory(access, workflowId, start - 1);
  if (events[0]?.type !== "WorkflowStarted" || events[0].seq !== start) return undefined;
  const next = events.findIndex((e, i) => i > 0 && e.type === "WorkflowStarted");
  return next === -1 ? events : events.slice(0, next);
}

/**
 * The events of the workflow's current run (the run at `untilSeq`, when given). `hint` is a run
 * known to be no later than that (the execution index's): reading starts there, not at the first.
 */
export async function readCurrentRun(access: HistoryAccess, workflowId: string, hint?: string, untilSeq?: number): Promise<HistoryEvent[]> {
  const from = hint === undefined ? 0 : Number(hint);
  if (Number.isSafeInteger(from) && from > 0) {
    const events = await readHistory(access, workflowId, from - 1, untilSeq);
    if (events[0]?.type === "WorkflowStarted" && events[0].seq === from) return currentRunOf(events);
  }
  return currentRunOf(await readHistory(access, workflowId, 0, untilSeq));
}

/** The events from the last run start on (all of them when there is none). */
export function currentRunOf(events: HistoryEvent[]): HistoryEvent[] {
  const start = events.findLastIndex((e) => e.type === "WorkflowStarted");
  return start <= 0 ? events : events.slice(start);
}

/** The newest event of a workflow, or undefined when it has none. */
export async function lastEvent(access: HistoryAccess, workflowId: string): Promise<HistoryEvent | undefined> {
  const layout = layoutOf(access);
  const msg = await getStored(access, layout.stream(workflowId), { last_by_subj: layout.subject(workflowId) });
  return msg ? decodeEvent(msg) : undefined;
}

/** The event stored at a sequence of the workflow's history stream. */
export async function eventAt(access: HistoryAccess, workflowId: string, seq: number): Promise<HistoryEvent | undefined> {
  const msg = await getStored(access, layoutOf(access).stream(workflowId), { seq });
  return msg ? decodeEvent(msg) : undefined;
}

function getStored(access: HistoryAccess, stream: string, query: DirectMsgRequest): Promise<StoredMsg | null> {
  return readStored(access.jsm, stream, query, layoutOf(access).replicated);
}

/**
 * One stored message without a consumer: a direct get, answered by any replica, or from the
 * stream leader when the stream is replicated, so that a read after a write sees the write (a
 * follower that is behind may answer a direct get).
 */
export function readStored(jsm: JetStreamManager, stream: string, query: DirectMsgRequest, replicated: boolean): Promise<StoredMsg | null> {
  if (!replicated) return jsm.direct.getMessage(stream, query);
  // STREAM.MSG.GET takes next_by_subj since 2.9 too; nats.js types it for direct gets only.
  return jsm.streams.getMessage(stream, query as MsgRequest);
}

export interface AppendOptions {
  /** Fence: the append succeeds only if this is the subject's last sequence (0 = empty). */
  expectLastSeq?: number;
  /** Deduplication id; the same id within the duplicate window is stored once. */
  msgId?: string;
  /**
   * The message id is this call's own (fresh per call, reused only by its retries): a duplicate
   * is an earlier attempt of this call that landed, not a conflict.
   */
  ownMsgId?: boolean;
  maxPayload?: number;
}

export interface Appended {
  seq: number;
  duplicate: boolean;
}

export async function appendEvent(
  access: HistoryAccess,
  workflowId: string,
  event: NewEvent,
  options: AppendOptions = {},
): Promise<Appended> {
  const data = encodeJson(event);
  if (options.maxPayload) assertFits(data, options.maxPayload, `the ${event.type} event of ${workflowId}`);
  try {
    const ack = await access.js.publish(layoutOf(access).subject(workflowId), data, {
      msgID: options.msgId,
      expect: options.expectLastSeq === undefined ? undefined : { lastSubjectSequence: options.expectLastSeq },
    });
    // JetStream checks the message id before the fence: a fenced append whose id is already
    // stored says "duplicate" even when the history has moved on. For a fenced writer that is
    // a conflict: what is stored may not be what this writer would have written there.
    if (ack.duplicate && options.expectLastSeq !== undefined && !options.ownMsgId) {
      throw new HistoryConflictError(workflowId, options.expectLastSeq);
    }
    return { seq: ack.seq, duplicate: ack.duplicate };
  } catch (err) {
    if (err instanceof HistoryConflictError) throw err;
    if (isWrongLastSequence(err)) {
      if (event.type === "WorkflowStarted" && options.expectLastSeq === 0) throw new WorkflowAlreadyStartedError(workflowId);
      throw new HistoryConflictError(workflowId, options.expectLastSeq ?? -1);
    }
    throw err;
  }
}


/** The time an event is recorded with: dfut's clock (a test environment may run it ahead). */
export const nowIso = () => clock.nowIso();
