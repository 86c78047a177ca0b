import type { KV } from "@nats-io/kv";
import { connectDfut, type ConnectionOptions, type DfutConnection } from "../common/connection.ts";
import { runTaskLoop, type TaskLoop } from "../common/consume.ts";
import { DISPATCHER_CONSUMER, EXECUTIONS_BUCKET, SCHEDULES_BUCKET, TIMER_CONSUMER, TIMER_STREAM } from "../common/names.ts";
import { openKv, provision } from "../common/resources.ts";
import { consoleLogger, type Logger } from "../common/logger.ts";
import { Dispatcher } from "./dispatcher.ts";
import { DEFAULT_RETENTION_MS, RetentionSweeper } from "./retention.ts";
import { Scheduler } from "./scheduler.ts";
import { TimerService } from "./timers.ts";

export interface ServerOptions {
  connection?: DfutConnection | ConnectionOptions;
  /** Stream and KV replicas. Default 1. */
  replicas?: number;
  /** History partitions on a fresh NATS (see HistoryLayout); default: what is provisioned, else 1. */
  partitions?: number;
  /**
   * Histories and index records of workflows closed longer ago than this are removed, ms;
   * 0 keeps them forever. Default 7 days.
   */
  retentionMs?: number;
  /**
   * Whether this server fires schedules (any number of servers may; each fire happens once).
   * Default true; off, `tickSchedules()` still fires what is due.
   */
  schedules?: boolean;
  /** History events dispatched at once, per partition. Default 256. */
  concurrency?: number;
  logger?: Logger;
}

/** The dispatcher, the timer service, the execution index and the scheduler, over one connection. */
export class DfutServer {
  readonly #loops: TaskLoop[] = [];
  #retention: RetentionSweeper | undefined;
  #scheduler: Scheduler | undefined;

  readonly connection: DfutConnection;
  private readonly ownsConnection: boolean;
  readonly executions: KV;
  private constructor(
    connection: DfutConnection,
    ownsConnection: boolean,
    executions: KV) {
    this.connection = connection;
    this.ownsConnection = ownsConnection;
    this.executions = executions;
  }

  static async start(options: ServerOptions = {}): Promise<DfutServer> {
    const given = options.connection;
    const ownsConnection = !(given && "nc" in given);
    const connection = given && "nc" in given ? given : await connectDfut(given ?? {});
    try {
      connection.layout = await provision(connection.nc, connection.jsm, { replicas: options.replicas, partitions: options.partitions });
      const executions = await openKv(connection.nc, EXECUTIONS_BUCKET);
      const server = new DfutServer(connection, ownsConnection, executions);
      const logger = options.logger ?? consoleLogger;
      const onError = (err: unknown) => logger.error(`dispatch failed, will be retried: ${(err as Error)?.message ?? err}`);
      const onEnd = (err: Error | undefined) => logger.warn(`consuming stopped${err ? ` (${err.message})` : ""}; starting again`);
      const streams = connection.layout.streams();
      const dispatcher = new Dispatcher(connection, executions, { logger });
      const timers = new TimerService(connection, { logger, executions });
      // One dispatcher loop per history partition.
      for (const stream of streams) {
        server.#loops.push(
          await runTaskLoop(connection.js, stream, DISPATCHER_CONSUMER, dispatcher.handle, {
            maxMessages: options.concurrency ?? 256,
            onError,
          onEnd,
          }),
        );
      }
      server.#loops.push(await runTaskLoop(connection.js, TIMER_STREAM, TIMER_CONSUMER, timers.handle, { maxMessages: 256, onError, onEnd }));
      server.#retention = new RetentionSweeper(connection, executions, { retentionMs: options.retentionMs ?? DEFAULT_RETENTION_MS, logger });
      server.#retention.start();
      server.#scheduler = new Scheduler(connection, await openKv(connection.nc, SCHEDULES_BUCKET), executions, { logger });
      if (options.schedules !== false) server.#scheduler.start();
      return server;
    } catch (err) {
      if (ownsConnection) await connection.close();
      throw err;
    }
  }

  /** Removes what the retention period has passed now, instead of at the next sweep; returns how many. */
  sweepRetention(): Promise<number> {
    return this.#retention?.sweep() ?? Promise.resolve(0);
  }

  /** Fires what schedules have due now, instead of at the next tick; returns how many workflows it started. */
  tickSchedules(): Promise<number> {
    return this.#scheduler?.tick() ?? Promise.resolve(0);
  }

  async stop(): Promise<void> {
    await this.#scheduler?.stop();
    await this.#retention?.stop();
    await Promise.all(this.#loops.map((l) => l.stop()));
    if (this.ownsConnection) await this.connection.close();
  }
}
