import type { JsMsg } from "@nats-io/jetstream";
import type { DfutConnection } from "../common/connection.ts";
import { UndecodableEventError, toErrorInfo } from "../common/errors.ts";
import type { ErrorInfo, HistoryEvent } from "../common/events.ts";
import { appendEvent, HistoryConflictError, nowIso } from "../common/history.ts";
import { taskBackoff } from "../common/consume.ts";
import { dfutMetrics } from "../common/metrics.ts";
import type { Logger } from "../common/logger.ts";

/**
 * Workflow tasks whose code failed (non-determinism, a bug, an undecodable event): each failure
 * is recorded once as WorkflowTaskFailed, so history and the execution index show it, and the
 * task is retried with backoff until fixed code is deployed.
 */
export class TaskFailures {
  readonly #connection: DfutConnection;
  readonly #identity: string;
  readonly #logger: Logger;

  constructor(options: { connection: DfutConnection; identity: string; logger: Logger }) {
    this.#connection = options.connection;
    this.#identity = options.identity;
    this.#logger = options.logger;
  }

  async failed(workflowId: string, events: readonly HistoryEvent[], err: unknown, msg: JsMsg): Promise<void> {
    const error = toErrorInfo(err);
    const [first] = events;
    dfutMetrics.workflowTaskFailures.inc({ workflow_type: first?.type === "WorkflowStarted" ? first.workflowType : "unknown" });
    const last = events.at(-1);
    const alreadyRecorded = last?.type === "WorkflowTaskFailed" && last.error.message === error.message;
    this.#logger.error(`workflow ${workflowId}: task failed: ${error.name}: ${error.message}`, {
      workflowId,
      ...(first?.type === "WorkflowStarted" ? { runId: String(first.seq) } : {}),
    });
    if (!alreadyRecorded && last) {
      await this.#record(workflowId, last.seq, error).catch((e: unknown) => {
        if (!(e instanceof HistoryConflictError)) throw e;
      });
    }
    // A message that is not an event fails every replay the same way: retrying cannot help until
    // someone repairs the history, and the next event they add (a signal) brings a new task.
    if (err instanceof UndecodableEventError) msg.term();
    else msg.nak(taskBackoff(msg.info.deliveryCount));
  }

  /** Code that went on after its task ended: make the failure visible (the caller drops the run). */
  async strayed(workflowId: string, lastSeq: number, error: Error): Promise<void> {
    this.#logger.error(`workflow ${workflowId}: ${error.message}`, { workflowId });
    await this.#record(workflowId, lastSeq, toErrorInfo(error)).catch(() => undefined);
  }

  async #record(workflowId: string, afterSeq: number, error: ErrorInfo): Promise<void> {
    await appendEvent(this.#connection,
      workflowId,
      { type: "WorkflowTaskFailed", time: nowIso(), error, worker: this.#identity },
      { expectLastSeq: afterSeq },
    );
  }
}
