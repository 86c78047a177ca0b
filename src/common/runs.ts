/**
 * Starting a run of a workflow id: the first, or a new one after the last run closed, as the id
 * reuse policy allows. Exactly one of racing starts wins: each is fenced on the last event it
 * saw, so JetStream itself refuses the others.
 */
import { DfutError, WorkflowAlreadyStartedError, WorkflowClosedError, WorkflowNotFoundError } from "./errors.ts";
import {
  isFinalClose,
  isTerminal,
  statusOf,
  type HistoryEvent,
  type IdReusePolicy,
  type NewEvent,
  type WorkflowStarted,
  type WorkflowStatus,
} from "./events.ts";
import { appendEvent, HistoryConflictError, lastEvent, readCurrentRun } from "./history.ts";
import type { HistoryAccess } from "./layout.ts";
import { retryTransient } from "./retry.ts";

/** How long a signal, cancel or terminate waits for the next run after a continue-as-new. */
const BETWEEN_RUNS_WAIT_MS = 10_000;

export const ID_REUSE_POLICIES: readonly IdReusePolicy[] = ["allow", "failed-only", "reject"];

export interface StartRunOptions {
  idReuse?: IdReusePolicy;
  /** The start's deduplication id, fresh per call (its retries find their own landed start). */
  msgId: string;
  maxPayload?: number;
  /** Whether a run already there is this very start, written earlier (a child start redone by dfut server). */
  isOwn?: (started: WorkflowStarted) => boolean;
}

/**
 * Appends the run's WorkflowStarted; returns its sequence, the run's id. Tried first as the id's
 * first run (fenced on an empty history: no read for a new id); only when the id has history is
 * its last event read and the reuse policy asked.
 */
export async function startRun(access: HistoryAccess, workflowId: string, event: NewEvent & { type: "WorkflowStarted" }, options: StartRunOptions): Promise<number> {
  const policy = options.idReuse ?? "allow";
  let start: NewEvent = event;
  let expectLastSeq = 0;
  for (;;) {
    try {
      const { seq } = await appendEvent(access, workflowId, start, {
        expectLastSeq,
        msgId: options.msgId,
        ownMsgId: true,
        maxPayload: options.maxPayload,
      });
      return seq;
    } catch (err) {
      // Someone else wrote first: look again (a racing start won, or the history moved).
      if (!(err instanceof WorkflowAlreadyStartedError) && !(err instanceof HistoryConflictError)) throw err;
    }
    const last = await lastEvent(access, workflowId);
    start = event;
    expectLastSeq = 0;
    if (!last) continue;
    const status = await closedStatus(access, workflowId, last);
    if (status === "running") {
      const current = await readCurrentRun(access, workflowId);
      const started = current[0];
      if (started?.type === "WorkflowStarted" && options.isOwn?.(started)) return started.seq;
      throw new WorkflowAlreadyStartedError(workflowId);
    }
    if (policy === "reject" || (policy === "failed-only" && status === "completed")) {
      throw new WorkflowAlreadyStartedError(workflowId, status, policy);
    }
    // Step ordinals of a new run go on past every earlier run's (each of whose steps has an
    // event, so none numbers past the last sequence): no message id or late answer of theirs
    // is taken for this run's.
    start = { ...event, firstStep: last.seq + 1 };
    expectLastSeq = last.seq;
  }
}

/**
 * Appends to the workflow's open run, fenced on its last event so that it never lands after a
 * close (WorkflowClosedError then). Between two runs (a continue-as-new whose next start dfut
 * server is appending) it waits for the next run. Transient JetStream errors are retried.
 */
export async function appendToOpenRun(
  access: HistoryAccess,
  workflowId: string,
  event: NewEvent,
  options: { msgId: string; maxPayload?: number },
): Promise<HistoryEvent> {
  const what = `${event.type} for ${workflowId}`;
  for (;;) {
    const last = await retryTransient(what, () => lastEvent(access, workflowId));
    if (!last) throw new WorkflowNotFoundError(workflowId);
    if (last.type === "WorkflowContinuedAsNew") {
      await nextRunBegun(access, workflowId, last.seq);
      continue;
    }
    if (isTerminal(last)) throw new WorkflowClosedError(workflowId, statusOf(last)!);
    try {
      const { seq } = await retryTransient(what, () =>
        appendEvent(access, workflowId, event, { expectLastSeq: last.seq, maxPayload: options.maxPayload, msgId: options.msgId, ownMsgId: true }),
      );
      return { ...event, seq } as HistoryEvent;
    } catch (err) {
      if (!(err instanceof HistoryConflictError)) throw err;
    }
  }
}

/** Waits (a while) for the run after a continue-as-new to begin. */
async function nextRunBegun(access: HistoryAccess, workflowId: string, continuedSeq: number): Promise<void> {
  const deadline = Date.now() + BETWEEN_RUNS_WAIT_MS;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const last = await retryTransient(`waiting for the next run of ${workflowId}`, () => lastEvent(access, workflowId));
    if (last && last.seq !== continuedSeq) return;
  }
  throw new DfutError(
    "unavailable",
    `workflow ${workflowId} continued as new and its next run has not begun within ${BETWEEN_RUNS_WAIT_MS / 1000} s: dfut server starts it; is one running?`,
  );
}

/**
 * Whether the workflow's current run is closed for good, and how. The last event usually says;
 * an event that landed after a close (a late activity outcome) makes the run's own events say.
 */
async function closedStatus(access: HistoryAccess, workflowId: string, last: NonNullable<Awaited<ReturnType<typeof lastEvent>>>): Promise<WorkflowStatus> {
  if (isFinalClose(last)) return statusOf(last)!;
  if (last.type === "WorkflowStarted" || last.type === "WorkflowContinuedAsNew") return "running";
  const close = (await readCurrentRun(access, workflowId)).find(isFinalClose);
  return close ? statusOf(close)! : "running";
}
