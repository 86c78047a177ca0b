import type { KV } from "@nats-io/kv";
import { connectDfut, type ConnectionOptions, type DfutConnection } from "../common/connection.ts";
import { appendEvent, HistoryConflictError, lastEvent, nowIso, readCurrentRun, readRun } from "../common/history.ts";
import {
  isFinalClose,
  isTerminal,
  statusOf,
  unhandled,
  writtenByClient,
  type ErrorInfo,
  type FinalCloseEvent,
  type HistoryEvent,
  type IdReusePolicy,
  type NewEvent,
  type WorkflowStarted,
  type WorkflowStatus,
} from "../common/events.ts";
import { appendToOpenRun, ID_REUSE_POLICIES, startRun } from "../common/runs.ts";
import { decodeEvent } from "../common/event-codec.ts";
import {
  DfutError,
  isDfutError,
  InvalidArgumentError,
  WorkflowCanceledError,
  WorkflowClosedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowTerminatedError,
  PayloadError,
  QueryFailedError,
  UpdateFailedError,
  UpdateRejectedError,
} from "../common/errors.ts";
import { decodeReply, type RequestReply, type WorkflowRequest } from "../common/requests.ts";
import { ScheduleClient } from "./schedules.ts";
import { intercept, type ClientInterceptor } from "../common/interceptors.ts";
import { isNoResponders, isRequestTimeout } from "../common/jetstream-errors.ts";
import { decodeRecord, getExecution, listExecutions, type ExecutionRecord, type ListFilter } from "../common/executions.ts";
import { newWorkflowId, validateQueue, validateWorkflowId } from "../common/ids.ts";
import { DEFAULT_QUEUE, EXECUTIONS_BUCKET, subjects } from "../common/names.ts";

/** How long a client waits for dfut to be provisioned before it says it is not. */
const PROVISIONING_GRACE_MS = 5000;
/** How long one query or update request waits for a worker's answer. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** While an accepted update runs, it is asked after again this often (a missed notice). */
const UPDATE_POLL_MS = 2000;
import { assertJsonSerializable, encodeJson } from "../common/payload.ts";
import { eventMsgIds } from "../common/msg-ids.ts";
import { retryTransient } from "../common/retry.ts";
import { awaitProvisioned, notProvisioned, openKv } from "../common/resources.ts";
import { nameOf, type WorkflowFunction } from "../workflow/definitions.ts";
import { readRegistrations, serves, type WorkerRegistration } from "../common/registry.ts";

export interface StartOptions {
  args?: unknown[];
  /** Workflow id; default: the type name and a random suffix. */
  workflowId?: string;
  /** Task queue. Default "default". */
  queue?: string;
  /**
   * Whether the id may start again once its last run closed: "allow" (default), "failed-only"
   * (not after it completed), "reject" (never, while its history is kept). An open run always refuses.
   */
  idReuse?: IdReusePolicy;
}

export interface ClientOptions {
  /** Around starts, signals, queries and updates (tracing: `openTelemetryInterceptors().client`). */
  interceptors?: ClientInterceptor[];
}

export interface UpdateOptions {
  args?: unknown[];
  /** The update's id: the same id sent again runs the update once, and answers with its result. Default: a fresh one. */
  updateId?: string;
  /** Give up waiting after this long (the update, once accepted, still runs). */
  timeoutMs?: number;
}

export interface QueryOptions {
  /** How long to wait for a worker's answer. Default 10 s. */
  timeoutMs?: number;
}

export interface ResetOptions {
  /** The last event to keep (its seq, as `dfut history` shows it), or the last event before the run's first failed workflow task or its close. */
  to: number | "last-workflow-task";
  /** An earlier run to reset from instead of the current one. */
  runId?: string;
  reason?: string;
}

export interface HistoryOptions {
  /** An earlier run (its id, from describe) instead of the current one. */
  runId?: string;
}

export interface ResultOptions {
  timeoutMs?: number;
  /**
   * Told whenever the reason the workflow is not progressing changes (a missing worker, a failing
   * task, an undecodable event; undefined once it moves again), while the result is awaited.
   */
  onProblem?: (problem: string | undefined) => void;
}

/**
 * "requested": recorded for the workflow's code, which sees it at its next await. "canceled":
 * no workflow code had run yet and no worker can run it, so the cancel closed it right away.
 */
export type CancelOutcome = "requested" | "canceled";

type WorkflowResult<W> = W extends WorkflowFunction<infer _A, infer R> ? R : unknown;

/** A handle on one workflow execution. */
export class WorkflowHandle<R = unknown> {
  private readonly client: DfutClient;
  readonly workflowId: string;
  /** The run this handle's start began (undefined for a handle made from an id). */
  readonly runId: string | undefined;
  constructor(client: DfutClient, workflowId: string, runId?: string) {
    this.client = client;
    this.workflowId = workflowId;
    this.runId = runId;
  }
  /**
   * Waits for the workflow to close; resolves with its result or rejects with its failure. A
   * run that continued as new is followed to the run that closes for good.
   */
  result(options: ResultOptions = {}): Promise<R> {
    return this.client.result<R>(this.workflowId, options);
  }
  /** result() under the name Go-style futures use, for code ported from such SDKs. */
  get(): Promise<R> {
    return this.result();
  }
  describe(): Promise<ExecutionRecord> {
    return this.client.describe(this.workflowId);
  }
  history(options?: HistoryOptions): Promise<HistoryEvent[]> {
    return this.client.history(this.workflowId, options);
  }
  signal(name: string, payload?: unknown): Promise<void> {
    return this.client.signal(this.workflowId, name, payload);
  }
  cancel(reason?: string): Promise<CancelOutcome> {
    return this.client.cancel(this.workflowId, reason);
  }
  terminate(reason?: string): Promise<void> {
    return this.client.terminate(this.workflowId, reason);
  }
  query<T = unknown>(name: string, ...args: unknown[]): Promise<T> {
    return this.client.query<T>(this.workflowId, name, ...args);
  }
  update<T = unknown>(name: string, ...args: unknown[]): Promise<T> {
    return this.client.update<T>(this.workflowId, name, ...args);
  }
}

/** Starts workflows, sends them signals, and reads their state. */
export class DfutClient {
  #executions?: KV;
  #schedules?: ScheduleClient;
  readonly #interceptors: readonly ClientInterceptor[];

  readonly connection: DfutConnection;
  private readonly ownsConnection: boolean;
  private constructor(connection: DfutConnection, ownsConnection: boolean, options: ClientOptions) {
    this.connection = connection;
    this.ownsConnection = ownsConnection;
    this.#interceptors = options.interceptors ?? [];
  }

  static async connect(options: ConnectionOptions | DfutConnection = {}, clientOptions: ClientOptions = {}): Promise<DfutClient> {
    if ("nc" in options) return new DfutClient(options, false, clientOptions);
    return new DfutClient(await connectDfut(options), true, clientOptions);
  }

  /** The interceptors' steps for one kind of call, outermost first. */
  #steps<K extends keyof ClientInterceptor>(kind: K): NonNullable<ClientInterceptor[K]>[] {
    return this.#interceptors.flatMap((i) => {
      const step = i[kind] as ((...args: unknown[]) => unknown) | undefined;
      return step ? [step.bind(i) as NonNullable<ClientInterceptor[K]>] : [];
    });
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await this.connection.close();
  }

  /** Durable schedules that start workflows from dfut server: create, list, describe, pause, resume, trigger, delete. */
  get schedules(): ScheduleClient {
    return (this.#schedules ??= new ScheduleClient(this.connection));
  }

  /** Records WorkflowStarted. A second start of the same id is refused by JetStream itself. */
  async start<W extends WorkflowFunction | string>(
    workflow: W,
    options: StartOptions = {},
  ): Promise<WorkflowHandle<W extends WorkflowFunction ? Awaited<WorkflowResult<W>> : unknown>> {
    await this.#ready();
    const workflowType = typeof workflow === "string" ? workflow : nameOf(workflow);
    if (!workflowType) throw new InvalidArgumentError("the workflow type is empty");
    const args = options.args ?? [];
    if (!Array.isArray(args)) throw new InvalidArgumentError("workflow arguments must be an array");
    assertJsonSerializable(args, `the arguments of workflow ${workflowType}`);
    const workflowId = validateWorkflowId(options.workflowId ?? newWorkflowId(workflowType));
    const queue = validateQueue(options.queue ?? DEFAULT_QUEUE);
    const idReuse = options.idReuse ?? "allow";
    if (!ID_REUSE_POLICIES.includes(idReuse)) {
      throw new InvalidArgumentError(`idReuse must be one of ${ID_REUSE_POLICIES.join(", ")}, got ${JSON.stringify(idReuse)}`);
    }
    // A start retried after a lost answer finds its own first attempt by this id, and reports
    // the same workflow instead of "already started".
    const msgId = eventMsgIds.clientWrite(workflowId, newRequestId());
    const runId = await intercept(this.#steps("startWorkflow"), { workflowId, workflowType, args, headers: {} }, async (input) => {
      const headers = Object.keys(input.headers).length > 0 ? { headers: input.headers } : {};
      const event = { type: "WorkflowStarted", time: nowIso(), workflowType, args: input.args, queue, options: { queue }, ...headers } as const;
      const seq = await retryTransient(`starting workflow ${workflowId}`, () =>
        startRun(this.connection, workflowId, event, { idReuse, msgId, maxPayload: this.connection.maxPayload }),
      ).catch((err: unknown) => {
        throw notProvisioned(err);
      });
      return String(seq);
    });
    return new WorkflowHandle(this, workflowId, runId);
  }

  /** Starts a workflow and waits for its result. */
  async execute<W extends WorkflowFunction | string>(workflow: W, options: StartOptions = {}) {
    const handle = await this.start(workflow, options);
    return handle.result();
  }

  handle<R = unknown>(workflowId: string): WorkflowHandle<R> {
    return new WorkflowHandle<R>(this, validateWorkflowId(workflowId));
  }

  /**
   * Waits for the workflow's terminal event: subscribes to close notices first, then looks at
   * the last stored event, so a close between the two is never missed; looks again after a
   * reconnect in case the close happened while disconnected.
   */
  async result<R = unknown>(workflowId: string, options: ResultOptions = {}): Promise<R> {
    await this.#ready();
    validateWorkflowId(workflowId);
    const stopWatching = options.onProblem ? await this.#watchProblem(workflowId, options.onProblem) : undefined;
    let terminal: FinalCloseEvent;
    try {
      terminal = await this.#waitForClose(workflowId, options.timeoutMs);
    } finally {
      stopWatching?.();
    }
    switch (terminal.type) {
      case "WorkflowCompleted":
        return terminal.result as R;
      case "WorkflowFailed":
        throw new WorkflowFailedError(workflowId, terminal.error);
      case "WorkflowCanceled":
        throw new WorkflowCanceledError(workflowId, terminal.reason);
      case "WorkflowTerminated":
        throw new WorkflowTerminatedError(workflowId, terminal.reason);
      default:
        return unhandled(terminal);
    }
  }

  /** Follows the execution record's problem note; returns the function that stops following. */
  async #watchProblem(workflowId: string, onProblem: (problem: string | undefined) => void): Promise<() => void> {
    const kv = await this.#executionsKv();
    const watch = await kv.watch({ key: workflowId });
    let shown: string | undefined;
    // Nobody notes a problem for a workflow whose queue has no worker at all: look once here.
    void this.#unserved(workflowId)
      .then((problem) => {
        if (problem && shown === undefined) onProblem((shown = problem));
      })
      .catch(() => undefined);
    void (async () => {
      for await (const entry of watch) {
        const problem = entry.operation === "PUT" && entry.value.length > 0 ? decodeRecord(entry.value)?.problem : undefined;
        if (problem === shown) continue;
        shown = problem;
        onProblem(problem);
      }
    })().catch(() => undefined);
    return () => watch.stop();
  }

  /**
   * Resolves with the stored terminal event. Workers announce a close on a core subject once it
   * is stored (and again whenever one rebuilds a closed run, which covers a worker that died in
   * between). That notice is not durable, so the client also looks at the last stored event:
   * once after subscribing (a close before the subscription) and after every reconnect (a notice
   * lost while disconnected).
   */
  #waitForClose(workflowId: string, timeoutMs?: number): Promise<FinalCloseEvent> {
    const { nc } = this.connection;
    return new Promise<FinalCloseEvent>((resolve, reject) => {
      let done = false;
      let looking: Promise<void> | undefined;
      let lookAgain = false;
      const statuses = nc.status()[Symbol.asyncIterator]();
      const timer = timeoutMs
        ? setTimeout(() => finish(() => reject(new DfutError("deadline_exceeded", `workflow ${workflowId} did not close within ${timeoutMs} ms`))), timeoutMs)
        : undefined;
      const notices = nc.subscribe(subjects.closed(workflowId), {
        callback: (err, msg) => {
          if (err) return;
          const close = decodeEvent({ seq: 0, data: msg.data });
          if (isFinalClose(close)) finish(() => resolve(close));
        },
      });
      const finish = (settle: () => void) => {
        if (done) return;
        done = true;
        notices.unsubscribe();
        clearTimeout(timer);
        void statuses.return?.();
        settle();
      };
      const look = () => {
        if (looking) {
          lookAgain = true;
          return;
        }
        looking = (async () => {
          do {
            lookAgain = false;
            const last = await retryTransient(`waiting for ${workflowId}`, () => lastEvent(this.connection, workflowId));
            if (!last) finish(() => reject(new WorkflowNotFoundError(workflowId)));
            else if (isFinalClose(last)) finish(() => resolve(last));
          } while (lookAgain && !done);
        })()
          .catch((err) => finish(() => reject(notProvisioned(err))))
          .finally(() => (looking = undefined));
      };
      void (async () => {
        for (;;) {
          const next = await statuses.next();
          if (next.done || done) return;
          if (next.value.type === "reconnect") look();
        }
      })();
      look();
    });
  }

  async signal(workflowId: string, name: string, payload?: unknown): Promise<void> {
    await this.#ready();
    if (!name) throw new InvalidArgumentError("a signal needs a name");
    assertJsonSerializable(payload, `the payload of signal ${name}`);
    await intercept(this.#steps("signalWorkflow"), { workflowId, name, args: [payload] }, async (input) => {
      await this.#appendToOpen(input.workflowId, { type: "SignalReceived", time: nowIso(), name: input.name, payload: input.args[0] ?? null });
    });
  }

  /**
   * Records a cancellation request. A workflow whose code never ran (only client events in its
   * history) and that no live worker can run is closed as canceled at once: there is no code to
   * tell. Both appends are fenced, so a worker that starts it meanwhile wins or loses cleanly.
   */
  async cancel(workflowId: string, reason = ""): Promise<CancelOutcome> {
    await this.#ready();
    const requested = await this.#appendToOpen(workflowId, { type: "CancelRequested", time: nowIso(), reason });
    if (!(await this.#stranded(workflowId, requested.seq))) return "requested";
    const canceled: NewEvent = { type: "WorkflowCanceled", time: nowIso(), reason };
    try {
      const { seq } = await appendEvent(this.connection, workflowId, canceled, { expectLastSeq: requested.seq });
      this.#announceClose(workflowId, { ...canceled, seq });
      return "canceled";
    } catch (err) {
      if (err instanceof HistoryConflictError) return "requested";
      throw err;
    }
  }

  /**
   * Ends a workflow at once: records WorkflowTerminated, which no workflow code sees. Running
   * activities are aborted, timers and retries find it closed. For stuck workflows (no worker
   * for its type, code that awaits something other than dfut) and emergencies.
   */
  async terminate(workflowId: string, reason = ""): Promise<void> {
    await this.#ready();
    const stored = await this.#appendToOpen(workflowId, { type: "WorkflowTerminated", time: nowIso(), reason });
    this.#announceClose(workflowId, stored);
  }

  /**
   * Asks the workflow's `ctx.onQuery` handler: answered by a worker of its type from the state
   * after the last recorded event (open or closed, while its history is kept); nothing is
   * recorded. Fails at once when no worker serves the type.
   */
  async query<T = unknown>(workflowId: string, name: string, ...args: unknown[]): Promise<T> {
    return this.queryWithOptions<T>(workflowId, name, args);
  }

  async queryWithOptions<T = unknown>(workflowId: string, name: string, args: unknown[] = [], options: QueryOptions = {}): Promise<T> {
    if (!name) throw new InvalidArgumentError("a query needs a name");
    assertJsonSerializable(args, `the arguments of query ${name}`);
    return intercept(this.#steps("queryWorkflow"), { workflowId, name, args }, async (input) => {
      const reply = await this.#request(workflowId, { kind: "query", workflowId, name: input.name, args: input.args }, options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
      if (reply.kind === "answer") return reply.result;
      if (reply.kind === "refused") throw new QueryFailedError(workflowId, name, reply.error);
      throw new DfutError("internal", `a worker answered query ${name} with a ${reply.kind} reply`);
    }) as Promise<T>;
  }

  /**
   * Sends an update to the workflow's `ctx.onUpdate` handler and waits for its result. Its
   * validator runs first (a refusal leaves no trace but UpdateRejectedError); an accepted update
   * is recorded and runs even if a worker dies. The same `updateId` sent twice runs once.
   */
  async update<T = unknown>(workflowId: string, name: string, ...args: unknown[]): Promise<T> {
    return this.executeUpdate<T>(workflowId, name, { args });
  }

  async executeUpdate<T = unknown>(workflowId: string, name: string, options: UpdateOptions = {}): Promise<T> {
    if (!name) throw new InvalidArgumentError("an update needs a name");
    return intercept(this.#steps("updateWorkflow"), { workflowId, name, args: options.args ?? [] }, (input) =>
      this.#executeUpdate(workflowId, input.name, { ...options, args: input.args }),
    ) as Promise<T>;
  }

  async #executeUpdate(workflowId: string, name: string, options: UpdateOptions): Promise<unknown> {
    const args = options.args ?? [];
    assertJsonSerializable(args, `the arguments of update ${name}`);
    const updateId = options.updateId ?? newRequestId();
    const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
    const request = { kind: "update", workflowId, name, args, updateId } as const;
    // The outcome's notice, subscribed to before asking; asking again (same id) is the fallback
    // when a notice was missed: it answers with the recorded outcome once there is one.
    const notices = this.connection.nc.subscribe(subjects.updated(validateWorkflowId(workflowId)));
    let completed: ((event: HistoryEvent) => void) | undefined;
    const noticed = new Promise<HistoryEvent>((resolve) => (completed = resolve));
    void (async () => {
      for await (const msg of notices) {
        const event = decodeEvent({ seq: 0, data: msg.data });
        if (event.type === "UpdateCompleted" && event.updateId === updateId) completed?.(event);
      }
    })().catch(() => undefined);
    let accepted = false;
    try {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw new DfutError("deadline_exceeded", `update ${name} of workflow ${workflowId} did not complete within ${options.timeoutMs} ms (update id ${updateId})`);
        let reply: RequestReply;
        try {
          reply = await this.#request(workflowId, request, Math.min(left, DEFAULT_REQUEST_TIMEOUT_MS));
        } catch (err) {
          // Once accepted, the update is recorded and runs whenever a worker takes the workflow:
          // no worker to ask right now (one crashed) is a reason to wait, not to give up.
          if (!accepted || !isDfutError(err) || (err.code !== "unavailable" && err.code !== "deadline_exceeded")) throw err;
          reply = { kind: "accepted" };
        }
        if (reply.kind === "accepted") accepted = true;
        let outcome: { result?: unknown; error?: ErrorInfo } | undefined;
        if (reply.kind === "refused") throw new UpdateRejectedError(workflowId, name, reply.error);
        if (reply.kind === "completed") outcome = reply;
        if (reply.kind === "accepted") {
          const wait = Math.min(deadline - Date.now(), UPDATE_POLL_MS);
          const event = await Promise.race([noticed, new Promise<undefined>((resolve) => setTimeout(resolve, Math.max(0, wait)))]);
          if (event?.type === "UpdateCompleted") outcome = event;
        }
        if (!outcome) continue;
        if (outcome.error) throw new UpdateFailedError(workflowId, name, outcome.error);
        return outcome.result;
      }
    } finally {
      notices.unsubscribe();
    }
  }

  /** Sends a query or an update to a worker of the workflow's type and queue. */
  async #request(workflowId: string, request: WorkflowRequest, timeoutMs: number): Promise<RequestReply> {
    await this.#ready();
    validateWorkflowId(workflowId);
    const record = await this.#record(workflowId);
    let { workflowType, queue } = record ?? {};
    if (!workflowType || !queue) {
      const [started] = await this.history(workflowId);
      if (started?.type !== "WorkflowStarted") throw new WorkflowNotFoundError(workflowId);
      ({ workflowType, queue } = started);
    }
    let msg;
    try {
      msg = await this.connection.nc.request(subjects.request(queue, workflowType), encodeJson(request), { timeout: timeoutMs });
    } catch (err) {
      if (isNoResponders(err)) {
        throw new DfutError(
          "unavailable",
          `no worker on queue "${queue}" serves workflow type ${workflowType}, so none can answer for ${workflowId}; start one that does`,
          { cause: err },
        );
      }
      if (isRequestTimeout(err)) {
        throw new DfutError("deadline_exceeded", `no worker answered the ${request.kind} of ${workflowId} within ${timeoutMs} ms`, { cause: err });
      }
      throw err;
    }
    const reply = decodeReply(msg.data);
    if (!reply.ok) throw new DfutError("internal", `a worker's answer cannot be read: ${reply.problem}`);
    if (reply.value.kind === "refused" && reply.value.code === "not_found") throw new WorkflowNotFoundError(workflowId);
    return reply.value;
  }

  /**
   * Starts a new run whose history is this run's up to `to`, so that a workflow stuck on a bug
   * (or failed by one) goes on with fixed code from there: the old run is terminated if still
   * open, and the new run names it (`WorkflowStarted.reset`). Returns the new run's id.
   */
  async reset(workflowId: string, options: ResetOptions): Promise<{ runId: string; toSeq: number; fromRunId: string }> {
    await this.#ready();
    const run = await this.history(workflowId, { runId: options.runId });
    const { start, toSeq } = resetPoint(workflowId, run, options.to);
    const reason = options.reason ?? "";
    const close = run.find(isTerminal);
    if (!close) {
      // Another run may begin meanwhile (a racing reset): then the terminate finds it and ends that, so look first.
      const stored = await this.#appendToOpen(workflowId, { type: "WorkflowTerminated", time: nowIso(), reason: `reset to event ${toSeq}${reason ? `: ${reason}` : ""}` });
      this.#announceClose(workflowId, stored);
    }
    const event = {
      type: "WorkflowStarted",
      time: nowIso(),
      workflowType: start.workflowType,
      args: start.args,
      queue: start.queue,
      options: start.options,
      ...(start.parent ? { parent: start.parent } : {}),
      reset: { fromRunId: String(start.seq), toSeq, firstStep: start.firstStep ?? 1, reason, events: resetPrefix(workflowId, start, run, toSeq) },
    } as const;
    const msgId = eventMsgIds.clientWrite(workflowId, newRequestId());
    const seq = await retryTransient(`resetting ${workflowId}`, () =>
      startRun(this.connection, workflowId, event, { idReuse: "allow", msgId, maxPayload: this.connection.maxPayload }),
    ).catch((err: unknown) => {
      if (err instanceof PayloadError) {
        throw new InvalidArgumentError(`the history of ${workflowId} up to event ${toSeq} is too large to carry into a new run (${err.message}); reset to an earlier event`);
      }
      throw notProvisioned(err);
    });
    return { runId: String(seq), toSeq, fromRunId: String(start.seq) };
  }

  /** Clients waiting on the result learn of a close they wrote themselves as they would of a worker's. */
  #announceClose(workflowId: string, close: HistoryEvent): void {
    this.connection.nc.publish(subjects.closed(workflowId), encodeJson(close));
  }

  /** Why no worker will take the workflow's first task, if that is so. */
  async #unserved(workflowId: string): Promise<string | undefined> {
    const started = await this.#stranded(workflowId);
    return started && `no worker on queue "${started.queue}" has registered workflow type ${started.workflowType}; start one that does`;
  }

  /**
   * The start of a workflow that no live worker can run and whose code never ran (its history,
   * up to `untilSeq`, holds only client events), or undefined. The registry is asked first, so
   * the history is read only for a workflow nobody serves.
   */
  async #stranded(workflowId: string, untilSeq = Number.POSITIVE_INFINITY): Promise<WorkflowStarted | undefined> {
    const record = await this.#record(workflowId);
    if (record?.queue && record.workflowType && serves(await this.registrations(), record.queue, "workflow", record.workflowType)) return undefined;
    const run = await retryTransient(`reading ${workflowId}`, () => readCurrentRun(this.connection, workflowId, record?.runId));
    const started = run[0];
    if (started?.type !== "WorkflowStarted") return undefined;
    if (serves(await this.registrations(), started.queue, "workflow", started.workflowType)) return undefined;
    return run.filter((e) => e.seq <= untilSeq).every(writtenByClient) ? started : undefined;
  }

  /** Appends to a workflow that exists and is open; fenced, so it never lands after its close. */
  async #appendToOpen(workflowId: string, event: NewEvent): Promise<HistoryEvent> {
    validateWorkflowId(workflowId);
    // Retries of this call (after a lost answer) reuse the id and find their own landed append.
    const msgId = eventMsgIds.clientWrite(workflowId, newRequestId());
    return appendToOpenRun(this.connection, workflowId, event, { msgId, maxPayload: this.connection.maxPayload }).catch((err: unknown) => {
      throw notProvisioned(err);
    });
  }

  /**
   * The events of the workflow's current run (a workflow id's runs share one history; each
   * begins with its WorkflowStarted), or of an earlier one.
   */
  async history(workflowId: string, options: HistoryOptions = {}): Promise<HistoryEvent[]> {
    await this.#ready();
    validateWorkflowId(workflowId);
    const what = `reading the history of ${workflowId}`;
    const { runId } = options;
    if (runId !== undefined) {
      const run = await retryTransient(what, () => readRun(this.connection, workflowId, runId)).catch((err) => {
        throw notProvisioned(err);
      });
      if (run) return run;
      const exists = await retryTransient(what, () => lastEvent(this.connection, workflowId));
      if (!exists) throw new WorkflowNotFoundError(workflowId);
      throw new DfutError("not_found", `workflow ${workflowId} has no run ${JSON.stringify(runId)} (or it is no longer kept); 'dfut describe ${workflowId}' lists its runs`);
    }
    const hint = (await this.#record(workflowId))?.runId;
    const events = await retryTransient(what, () => readCurrentRun(this.connection, workflowId, hint)).catch((err) => {
      throw notProvisioned(err);
    });
    if (events.length === 0) throw new WorkflowNotFoundError(workflowId);
    return events;
  }

  /** The index record, if there is one (a hint: it may lag behind the history). */
  async #record(workflowId: string): Promise<ExecutionRecord | undefined> {
    const kv = await this.#executionsKv();
    return retryTransient(`describing ${workflowId}`, () => getExecution(kv, workflowId)).catch(() => undefined);
  }

  /** The execution's index record; falls back to history when the index has not caught up. */
  async describe(workflowId: string): Promise<ExecutionRecord> {
    await this.#ready();
    validateWorkflowId(workflowId);
    const kv = await this.#executionsKv();
    const record = await retryTransient(`describing ${workflowId}`, () => getExecution(kv, workflowId));
    if (record) return record;
    const events = await this.history(workflowId);
    const started = events[0];
    const last = events.at(-1)!;
    return {
      workflowId,
      workflowType: started.type === "WorkflowStarted" ? started.workflowType : undefined,
      queue: started.type === "WorkflowStarted" ? started.queue : undefined,
      args: started.type === "WorkflowStarted" ? started.args : undefined,
      startedAt: started.time,
      status: isTerminal(last) ? closedStatus(last) : "running",
      statusSeq: last.seq,
      runId: String(started.seq),
    };
  }

  async list(filter: ListFilter = {}): Promise<ExecutionRecord[]> {
    return retryTransient("listing workflows", () => listExecutions(this.connection.jsm, filter)).catch((err: unknown) => {
      throw notProvisioned(err);
    });
  }

  /** What running workers registered: workflow and activity types per queue. */
  async registrations(): Promise<WorkerRegistration[]> {
    return retryTransient("reading the worker registry", () => readRegistrations(this.connection.jsm)).catch((err: unknown) => {
      throw notProvisioned(err);
    });
  }

  /**
   * Checks that dfut is provisioned on this NATS, waiting a few seconds for a server that is
   * provisioning it right now (`onWait` is told so), and learns where histories live.
   */
  async ping(options: { onWait?: (message: string) => void } = {}): Promise<void> {
    await awaitProvisioned(this.connection, { timeoutMs: PROVISIONING_GRACE_MS, onWait: options.onWait });
  }

  async #ready(): Promise<void> {
    if (!this.connection.layout) await this.ping();
  }

  async #executionsKv(): Promise<KV> {
    return (this.#executions ??= await openKv(this.connection.nc, EXECUTIONS_BUCKET));
  }

}

function closedStatus(event: HistoryEvent): WorkflowStatus {
  return statusOf(event) ?? "running";
}


/** The run's start and the last event a reset keeps, checked. */
function resetPoint(workflowId: string, run: HistoryEvent[], to: ResetOptions["to"]): { start: WorkflowStarted; toSeq: number } {
  const [start] = run;
  if (start?.type !== "WorkflowStarted") throw new InvalidArgumentError(`the history of ${workflowId} does not begin with its WorkflowStarted; it cannot be reset`);
  const end = run.findIndex((e) => e.type === "WorkflowTaskFailed" || isTerminal(e));
  if (to === "last-workflow-task") return { start, toSeq: (end === -1 ? run.at(-1)! : run[end - 1]).seq };
  if (!Number.isSafeInteger(to)) throw new InvalidArgumentError(`--to must be an event's seq (from 'dfut history ${workflowId}') or last-workflow-task, not ${JSON.stringify(to)}`);
  const target = run.find((e) => e.seq === to);
  if (!target) throw new InvalidArgumentError(`the run of ${workflowId} has no event seq ${to} (its events are seq ${start.seq}..${run.at(-1)!.seq}); see 'dfut history ${workflowId}'`);
  if (isTerminal(target)) throw new InvalidArgumentError(`event seq ${to} closes the run; reset to an event before it`);
  return { start, toSeq: to };
}

/**
 * The events a reset run carries: the run's own up to `toSeq` (after an earlier reset's, moved
 * into this run's step numbering), without failed tasks. Child workflow steps are refused: their
 * children exist already, and a new run would start them again.
 */
function resetPrefix(workflowId: string, start: WorkflowStarted, run: HistoryEvent[], toSeq: number): NewEvent[] {
  const inherited = (start.reset?.events ?? []).map((e) => shiftStep(e, (start.firstStep ?? 1) - start.reset!.firstStep));
  const own = run.slice(1).filter((e) => e.seq <= toSeq && e.type !== "WorkflowTaskFailed");
  for (const event of own) {
    if (event.type === "Undecodable") throw new InvalidArgumentError(`event seq ${event.seq} of ${workflowId} cannot be decoded; reset to an event before it`);
    if (event.type.startsWith("ChildWorkflow")) {
      throw new InvalidArgumentError(`event seq ${event.seq} of ${workflowId} is a child workflow step, which a reset does not carry; reset to an event before it`);
    }
  }
  return [...inherited, ...own.map(({ seq: _seq, ...rest }) => rest as NewEvent)];
}

function shiftStep(event: NewEvent, shift: number): NewEvent {
  const moved = { ...event } as NewEvent & { activityId?: number; timerId?: number; stepId?: number };
  if (moved.activityId !== undefined) moved.activityId += shift;
  if (moved.timerId !== undefined) moved.timerId += shift;
  if (moved.stepId !== undefined) moved.stepId += shift;
  return moved;
}

function newRequestId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}
