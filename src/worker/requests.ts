/**
 * Queries and updates from clients, answered by a worker of the workflow's type. A query runs its
 * handler on the run's state after its last stored event and records nothing. An update's
 * validator runs the same way; an accepted update is recorded as UpdateAccepted, fenced on the
 * event the validator saw (a workflow that moved meanwhile is validated again), and its handler
 * runs as workflow code from that event on, in whichever worker takes the workflow's next task.
 */
import type { Msg, Subscription } from "@nats-io/nats-core";
import type { DfutConnection } from "../common/connection.ts";
import { isDfutError, toErrorInfo, WorkflowNotFoundError } from "../common/errors.ts";
import { appendEvent, HistoryConflictError, nowIso } from "../common/history.ts";
import type { Logger } from "../common/logger.ts";
import { eventMsgIds } from "../common/msg-ids.ts";
import { subjects } from "../common/names.ts";
import { encodeJson, storedForm } from "../common/payload.ts";
import { decodeRequest, type RequestReply, type WorkflowRequest } from "../common/requests.ts";
import type { WorkflowExecution } from "../workflow/execution.ts";

/** How a worker brings a workflow's run up to its last event (the workflow task handler does). */
export interface CurrentRuns {
  withCurrentRun<T>(workflowId: string, fn: (execution: WorkflowExecution) => Promise<T> | T): Promise<T>;
}

const MAX_ACCEPT_TRIES = 8;
/** Queue group: one worker of a queue and type answers each request. */
const QUEUE_GROUP = "dfut-requests";

export class RequestHandler {
  readonly #connection: DfutConnection;
  readonly #runs: CurrentRuns;
  readonly #logger: Logger;
  readonly #subscriptions: Subscription[] = [];

  constructor(options: { connection: DfutConnection; runs: CurrentRuns; logger: Logger }) {
    this.#connection = options.connection;
    this.#runs = options.runs;
    this.#logger = options.logger;
  }

  /** Answers requests for these workflow types on the queue. */
  listen(queue: string, workflowTypes: readonly string[]): void {
    for (const type of workflowTypes) {
      this.#subscriptions.push(
        this.#connection.nc.subscribe(subjects.request(queue, type), {
          queue: QUEUE_GROUP,
          callback: (err, msg) => {
            if (!err) void this.#answer(msg);
          },
        }),
      );
    }
  }

  stop(): void {
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe();
  }

  async #answer(msg: Msg): Promise<void> {
    const decoded = decodeRequest(msg.data);
    let reply: RequestReply;
    if (!decoded.ok) reply = { kind: "refused", error: { name: "InvalidRequest", message: `the request is not a query or an update: ${decoded.problem}` } };
    else {
      try {
        reply = await this.#handle(decoded.value);
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) this.#logger.warn(`request for workflow ${decoded.value.workflowId} failed: ${(err as Error)?.message ?? err}`, { workflowId: decoded.value.workflowId });
        reply = { kind: "refused", error: toErrorInfo(err), ...(err instanceof WorkflowNotFoundError ? { code: "not_found" as const } : {}) };
      }
    }
    msg.respond(encodeJson(reply));
  }

  async #handle(request: WorkflowRequest): Promise<RequestReply> {
    if (request.kind === "query") {
      return this.#runs.withCurrentRun(request.workflowId, (execution) => {
        try {
          // The answer in its stored form, as everything the workflow's callers see.
          return { kind: "answer", result: storedForm(execution.query(request.name, request.args) ?? null) };
        } catch (err) {
          if (isDfutError(err)) throw err;
          return { kind: "refused", error: toErrorInfo(err) };
        }
      });
    }
    for (let attempt = 0; attempt < MAX_ACCEPT_TRIES; attempt++) {
      const reply = await this.#runs.withCurrentRun(request.workflowId, (execution) => this.#accept(execution, request));
      if (reply) return reply;
    }
    return { kind: "refused", error: { name: "Busy", message: `workflow ${request.workflowId} kept moving while the update was validated; try again` } };
  }

  /** Validates and records an update; undefined when the history moved meanwhile (validate again). */
  async #accept(execution: WorkflowExecution, request: Extract<WorkflowRequest, { kind: "update" }>): Promise<RequestReply | undefined> {
    const { accepted, outcome } = execution.updateState(request.updateId);
    if (outcome) return outcome.ok ? { kind: "completed", result: outcome.result } : { kind: "completed", error: outcome.error };
    if (accepted) return { kind: "accepted" };
    try {
      execution.validateUpdate(request.name, request.args);
    } catch (err) {
      return { kind: "refused", error: toErrorInfo(err) };
    }
    try {
      await appendEvent(
        this.#connection,
        request.workflowId,
        { type: "UpdateAccepted", time: nowIso(), updateId: request.updateId, name: request.name, args: request.args },
        { expectLastSeq: execution.lastSeq, msgId: eventMsgIds.updateAccepted(request.workflowId, request.updateId), maxPayload: this.#connection.maxPayload },
      );
    } catch (err) {
      if (err instanceof HistoryConflictError) return undefined;
      throw err;
    }
    return { kind: "accepted" };
  }
}
