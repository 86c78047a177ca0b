import { hostname } from "node:os";
import type { KV } from "@nats-io/kv";
import { connectDfut, type ConnectionOptions, type DfutConnection } from "../common/connection.ts";
import { runTaskLoop, type TaskLoop } from "../common/consume.ts";
import { InvalidArgumentError } from "../common/errors.ts";
import { validateQueue } from "../common/ids.ts";
import { consumerNames, DEFAULT_QUEUE, EXECUTIONS_BUCKET, REGISTRY_BUCKET, TASK_STREAM } from "../common/names.ts";
import { awaitProvisioned, ensureTaskConsumers, openKv } from "../common/resources.ts";
import { announce, withdraw, type WorkerRegistration } from "../common/registry.ts";
import { RequestHandler } from "./requests.ts";
import { dfutMetrics } from "../common/metrics.ts";
import { taskFields } from "../common/logger.ts";
import type { WorkerInterceptor } from "../common/interceptors.ts";
import type { JsMsg } from "@nats-io/jetstream";
import { markedKind, nameOf, parameterNames, type ActivityFunction, type WorkflowFunction } from "../workflow/definitions.ts";
import { ActivityTaskHandler } from "./activity-task-handler.ts";
import { consoleLogger, type Logger } from "../common/logger.ts";
import { MissingTypeHandler } from "./missing-type.ts";
import { WorkflowTaskHandler } from "./workflow-task-handler.ts";

type Registrations<F> = Record<string, F> | F[];

export interface WorkerOptions {
  /** An open connection, or how to open one. */
  connection?: DfutConnection | ConnectionOptions;
  /** Task queue to serve. Default "default". */
  queue?: string;
  workflows?: Registrations<WorkflowFunction>;
  activities?: Registrations<ActivityFunction>;
  /** Activity attempts run at once. Default 100. */
  activityConcurrency?: number;
  /** Workflow tasks buffered at once. Default 100. */
  workflowConcurrency?: number;
  /** Crash detection: a task without ack or heartbeat for this long goes to another worker. Default 30 000 ms. */
  ackWaitMs?: number;
  /** Workflow executions cached in memory. Default 10 000. */
  cacheSize?: number;
  /**
   * Run a workflow's next activity right in this worker, when it has that activity and nothing
   * else was scheduled with it, instead of through the queue. Saves two hops per step. Default true.
   */
  eagerActivities?: boolean;
  /**
   * A replayed activity whose arguments differ from those its history records: "warn" logs both
   * and goes on with the recorded step; "fail" fails the workflow task as non-determinism (the
   * workflow waits for fixed code). Default "warn".
   */
  argumentMismatch?: "warn" | "fail";
  identity?: string;
  logger?: Logger;
  /** Around workflow tasks and activity attempts (tracing: `openTelemetryInterceptors().worker`). */
  interceptors?: WorkerInterceptor[];
}


const REGISTRATION_REFRESH_MS = 20_000;

export class Worker {
  readonly identity: string;
  readonly queue: string;
  readonly #loops: TaskLoop[] = [];
  #requests: RequestHandler | undefined;
  readonly #gauges: (() => void)[] = [];
  #refresh?: NodeJS.Timeout;
  #stopped = false;

  private readonly connection: DfutConnection;
  private readonly ownsConnection: boolean;
  private readonly registry: KV;
  private readonly registration: WorkerRegistration;
  private readonly activityHandler: ActivityTaskHandler;
  private readonly workflowHandler: WorkflowTaskHandler;
  private constructor(
    connection: DfutConnection,
    ownsConnection: boolean,
    registry: KV,
    registration: WorkerRegistration,
    activityHandler: ActivityTaskHandler,
    workflowHandler: WorkflowTaskHandler) {
    this.connection = connection;
    this.ownsConnection = ownsConnection;
    this.registry = registry;
    this.registration = registration;
    this.activityHandler = activityHandler;
    this.workflowHandler = workflowHandler;
    this.identity = registration.identity;
    this.queue = registration.queue;
  }

  get registered(): WorkerRegistration {
    return this.registration;
  }

  /** Connects (if needed), registers, and starts taking tasks. */
  static async create(options: WorkerOptions): Promise<Worker> {
    const queue = validateQueue(options.queue ?? DEFAULT_QUEUE);
    const workflows = toMap(options.workflows ?? {}, "workflow");
    const activities = toMap(options.activities ?? {}, "activity");
    if (workflows.size === 0 && activities.size === 0) {
      throw new InvalidArgumentError("a worker needs at least one workflow or activity");
    }
    const ownsConnection = !isConnection(options.connection);
    const connection = isConnection(options.connection) ? options.connection : await connectDfut(options.connection ?? {});
    try {
      const identity = options.identity ?? `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 6)}`;
      const logger = options.logger ?? consoleLogger;
      const requestedAckWaitMs = options.ackWaitMs ?? 30_000;
      await awaitProvisioned(connection, { onWait: (message) => logger.warn(message) });
      const executions = await openKv(connection.nc, EXECUTIONS_BUCKET);
      const registry = await openKv(connection.nc, REGISTRY_BUCKET);
      const ackWaitMs = await ensureTaskConsumers(connection.jsm, queue, { ackWaitMs: requestedAckWaitMs });
      if (ackWaitMs !== requestedAckWaitMs) {
        logger.warn(`queue ${queue} has an ack wait of ${ackWaitMs} ms, set by its first worker; this worker uses it instead of ${requestedAckWaitMs} ms`);
      }
      const registration: WorkerRegistration = {
        identity,
        queue,
        workflows: [...workflows].map(([name, fn]) => ({ name, parameters: parameterNames(fn, true) })),
        activities: [...activities].map(([name, fn]) => ({ name, parameters: parameterNames(fn, false) })),
        startedAt: new Date().toISOString(),
      };
      const missingTypes = new MissingTypeHandler(connection.jsm, executions, logger);
      const activityHandler = new ActivityTaskHandler({
        connection,
        executions,
        queue,
        identity,
        activities,
        ackWaitMs,
        missingTypes,
        logger,
        interceptors: options.interceptors,
      });
      const workflowHandler = new WorkflowTaskHandler({
        connection,
        executions,
        queue,
        identity,
        workflows,
        cacheSize: options.cacheSize ?? 10_000,
        argumentMismatch: options.argumentMismatch ?? "warn",
        missingTypes,
        eager: options.eagerActivities === false || activities.size === 0 ? undefined : activityHandler,
        logger,
        interceptors: options.interceptors,
      });
      const worker = new Worker(connection, ownsConnection, registry, registration, activityHandler, workflowHandler);
      await worker.#start(logger, options);
      return worker;
    } catch (err) {
      if (ownsConnection) await connection.close();
      throw err;
    }
  }

  async #start(logger: Logger, options: WorkerOptions): Promise<void> {
    const { js } = this.connection;
    const onError = (err: unknown, msg?: JsMsg) =>
      logger.error(`task failed, will be retried: ${(err as Error)?.message ?? err}`, msg ? taskFields(msg.data) : undefined);
    const onEnd = (err: Error | undefined) => logger.warn(`taking tasks stopped${err ? ` (${err.message})` : ""}; starting again`);
    await this.#announce();
    this.#collectGauges();
    this.#refresh = setInterval(() => void this.#announce().catch(() => undefined), REGISTRATION_REFRESH_MS);
    if (this.registration.workflows.length > 0) {
      this.#requests = new RequestHandler({ connection: this.connection, runs: this.workflowHandler, logger });
      this.#requests.listen(this.queue, this.registration.workflows.map((w) => w.name));
      this.#loops.push(
        await runTaskLoop(js, TASK_STREAM, consumerNames.workflowTasks(this.queue), this.workflowHandler.handle, {
          maxMessages: options.workflowConcurrency ?? 100,
          onError,
          onEnd,
        }),
      );
    }
    if (this.registration.activities.length > 0) {
      this.#loops.push(
        await runTaskLoop(js, TASK_STREAM, consumerNames.activityTasks(this.queue), this.activityHandler.handle, {
          maxMessages: options.activityConcurrency ?? 100,
          onError,
          onEnd,
        }),
      );
    }
  }

  /** Cache size and task backlog, read when metrics are scraped. */
  #collectGauges(): void {
    const queue = this.queue;
    if (this.registration.workflows.length > 0) {
      this.#gauges.push(dfutMetrics.cacheSize.collect(() => [[{ queue, worker: this.identity }, this.workflowHandler.cachedExecutions]]));
    }
    const kinds = [
      ...(this.registration.workflows.length > 0 ? [["workflow", consumerNames.workflowTasks(queue)] as const] : []),
      ...(this.registration.activities.length > 0 ? [["activity", consumerNames.activityTasks(queue)] as const] : []),
    ];
    this.#gauges.push(
      dfutMetrics.taskBacklog.collect(async () => {
        const values: [Record<string, string>, number][] = [];
        for (const [kind, consumer] of kinds) {
          const info = await this.connection.jsm.consumers.info(TASK_STREAM, consumer);
          values.push([{ queue, kind, state: "pending" }, info.num_pending], [{ queue, kind, state: "in_progress" }, info.num_ack_pending]);
        }
        return values;
      }),
    );
  }

  async #announce(): Promise<void> {
    await announce(this.registry, this.registration);
  }

  /** Stops taking tasks, hands running activities back to the queue, and closes. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#refresh);
    for (const remove of this.#gauges.splice(0)) remove();
    this.#requests?.stop();
    this.activityHandler.abortAll("worker is shutting down");
    await Promise.all(this.#loops.map((l) => l.stop()));
    await withdraw(this.registry, this.identity).catch(() => undefined);
    if (this.ownsConnection) await this.connection.close();
  }
}

function isConnection(c: DfutConnection | ConnectionOptions | undefined): c is DfutConnection {
  return c !== undefined && "nc" in c && "js" in c;
}

function toMap<F extends Function>(registrations: Registrations<F>, kind: "workflow" | "activity"): Map<string, F> {
  const entries: [string, F][] = Array.isArray(registrations)
    ? registrations.map((fn) => [nameOf(fn), fn])
    : Object.entries(registrations).map(([key, fn]) => [markedName(fn) ?? key, fn]);
  const map = new Map<string, F>();
  for (const [name, fn] of entries) {
    if (typeof fn !== "function") throw new InvalidArgumentError(`${kind} ${name} is not a function`);
    if (!name) throw new InvalidArgumentError(`a ${kind} function has no name; register it under a key`);
    if (markedKind(fn) && markedKind(fn) !== kind) {
      throw new InvalidArgumentError(`${name} is marked as ${markedKind(fn)} but registered as ${kind}`);
    }
    map.set(name, fn);
  }
  return map;
}

function markedName(fn: Function): string | undefined {
  const name = nameOf(fn);
  return name !== fn.name ? name : undefined;
}
