import type { JetStreamClient, JetStreamManager, StoredMsg } from "@nats-io/jetstream";
import { isWrongLastSequence } from "./jetstream-errors.ts";
import { HISTORY_STREAM, subjects } from "./names.ts";
import type { HistoryEvent, NewEvent } from "./events.ts";
import { encodeJson, assertFits } from "./payload.ts";
import { decodeEvent } from "./event-codec.ts";
import { WorkflowAlreadyStartedError } from "./errors.ts";

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
  jsm: JetStreamManager,
  workflowId: string,
  afterSeq = 0,
  /** Stop once this sequence was read (later events, if any, are left for the next read). */
  untilSeq = Number.POSITIVE_INFINITY,
): Promise<HistoryEvent[]> {
  const subject = subjects.history(workflowId);
  const events: HistoryEvent[] = [];
  let next = afterSeq + 1;
  while (next <= untilSeq) {
    const msg: StoredMsg | null = await jsm.direct.getMessage(HISTORY_STREAM, { seq: next, next_by_subj: subject });
    if (!msg) break;
    events.push(decodeEvent(msg));
    next = msg.seq + 1;
  }
  return events;
}

/** The newest event of a workflow, or undefined when it has none. */
export async function lastEvent(jsm: JetStreamManager, workflowId: string): Promise<HistoryEvent | undefined> {
  const msg = await jsm.direct.getMessage(HISTORY_STREAM, { last_by_subj: subjects.history(workflowId) });
  return msg ? decodeEvent(msg) : undefined;
}

/** The event stored at a stream sequence. */
export async function eventAt(jsm: JetStreamManager, seq: number): Promise<HistoryEvent | undefined> {
  const msg = await jsm.direct.getMessage(HISTORY_STREAM, { seq });
  return msg ? decodeEvent(msg) : undefined;
}

/** The first event of a workflow (its WorkflowStarted), or undefined. */
export async function firstEvent(jsm: JetStreamManager, workflowId: string): Promise<HistoryEvent | undefined> {
  const msg = await jsm.direct.getMessage(HISTORY_STREAM, { seq: 1, next_by_subj: subjects.history(workflowId) });
  return msg ? decodeEvent(msg) : undefined;
}

export interface AppendOptions {
  /** Fence: the append succeeds only if this is the subject's last sequence (0 = empty). */
  expectLastSeq?: number;
  /** Deduplication id; the same id within the duplicate window is stored once. */
  msgId?: string;
  maxPayload?: number;
}

export interface Appended {
  seq: number;
  duplicate: boolean;
}

export async function appendEvent(
  js: JetStreamClient,
  workflowId: string,
  event: NewEvent,
  options: AppendOptions = {},
): Promise<Appended> {
  const data = encodeJson(event);
  if (options.maxPayload) assertFits(data, options.maxPayload, `the ${event.type} event of ${workflowId}`);
  try {
    const ack = await js.publish(subjects.history(workflowId), data, {
      msgID: options.msgId,
      expect: options.expectLastSeq === undefined ? undefined : { lastSubjectSequence: options.expectLastSeq },
    });
    // JetStream checks the message id before the fence: a fenced append whose id is already
    // stored says "duplicate" even when the history has moved on. For a fenced writer that is
    // a conflict: what is stored may not be what this writer would have written there.
    if (ack.duplicate && options.expectLastSeq !== undefined) {
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


export const nowIso = () => new Date().toISOString();
