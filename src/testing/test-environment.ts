/**
 * A dfut for tests, in the test's own process: an embedded nats-server on a free port with a
 * temporary store, a dfut server and a worker of the workflows and activities under test, and a
 * client. With time skipping (the default), whenever nothing is left to do but wait for timers,
 * dfut's clock jumps to the next timer's due time: a workflow that sleeps 30 days finishes in
 * milliseconds, and `ctx.now()` shows the skipped time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DfutClient } from "../client/client.ts";
import { clock } from "../common/clock.ts";
import { connectDfut, type DfutConnection } from "../common/connection.ts";
import { InvalidArgumentError } from "../common/errors.ts";
import { silentLogger, type Logger } from "../common/logger.ts";
import { consumerNames, DEFAULT_QUEUE, DISPATCHER_CONSUMER, TASK_STREAM, TIMER_STREAM } from "../common/names.ts";
import { decodeTimerTask } from "../common/tasks.ts";
import { startEmbeddedNatsServer, type EmbeddedNatsServer } from "../embedded/nats-server.ts";
import { DfutServer } from "../server/server.ts";
import { Worker } from "../worker/worker.ts";
import type { ActivityFunction, WorkflowFunction } from "../workflow/definitions.ts";

export interface TestEnvironmentOptions {
  workflows?: Record<string, WorkflowFunction>;
  activities?: Record<string, ActivityFunction>;
  /** The worker's task queue. Default "default". */
  queue?: string;
  /** Skip time while only timers are left to wait for. Default true. */
  timeSkipping?: boolean;
  /** Use this NATS instead of starting one (the caller owns it and what is on it). */
  natsUrl?: string;
  /** Keep the embedded nats-server's store here instead of a temporary folder (left in place). */
  dataDir?: string;
  /** Default: silent. */
  logger?: Logger;
}

/** How often the environment looks whether only timers are left. */
const IDLE_POLL_MS = 10;
/** In real time, a timer message is held back at most this long while time can jump. */
const TIMER_WAIT_CAP_MS = 50;
/** dfut's clock is the process's: it goes back to real time when the last environment closes. */
let openEnvironments = 0;

export class TestEnvironment {
  readonly client: DfutClient;
  readonly connection: DfutConnection;
  readonly natsUrl: string;
  /** The embedded nats-server's store (removed by close() when the environment made it). */
  readonly dataDir: string | undefined;
  readonly #nats: EmbeddedNatsServer | undefined;
  readonly #server: DfutServer;
  #worker: Worker | undefined;
  readonly #queue: string;
  readonly #ownDir: string | undefined;
  readonly #fakes = new Map<string, ActivityFunction>();
  #skipping: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(parts: {
    client: DfutClient;
    connection: DfutConnection;
    natsUrl: string;
    nats: EmbeddedNatsServer | undefined;
    server: DfutServer;
    worker: Worker | undefined;
    queue: string;
    ownDir: string | undefined;
  }) {
    this.client = parts.client;
    this.connection = parts.connection;
    this.natsUrl = parts.natsUrl;
    this.dataDir = parts.nats?.dataDir;
    this.#nats = parts.nats;
    this.#server = parts.server;
    this.#worker = parts.worker;
    this.#queue = parts.queue;
    this.#ownDir = parts.ownDir;
  }

  /** Starts everything; `close()` stops it and removes what it created. */
  static async create(options: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
    const logger = options.logger ?? silentLogger;
    const queue = options.queue ?? DEFAULT_QUEUE;
    const ownDir = options.natsUrl || options.dataDir ? undefined : mkdtempSync(join(tmpdir(), "dfut-test-"));
    let nats: EmbeddedNatsServer | undefined;
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      if (!options.natsUrl) {
        nats = await startEmbeddedNatsServer({ dataDir: options.dataDir ?? ownDir!, port: await freePort() });
        cleanups.push(() => nats!.stop());
      }
      const natsUrl = options.natsUrl ?? nats!.url;
      const connection = await connectDfut({ servers: natsUrl, name: "dfut test environment" });
      cleanups.push(() => connection.close());
      const server = await DfutServer.start({ connection, logger, retentionMs: 0 });
      cleanups.push(() => server.stop());
      const env = new TestEnvironment({ client: await DfutClient.connect(connection), connection, natsUrl, nats, server, worker: undefined, queue, ownDir });
      env.#worker = await env.#startWorker(options, logger);
      cleanups.push(async () => env.#worker?.stop());
      openEnvironments++;
      // Timers are held back briefly in real time, so that time moved on (by skipping or env.sleep) reaches them.
      clock.capWaits(TIMER_WAIT_CAP_MS);
      if (options.timeSkipping !== false) env.#startSkipping();
      return env;
    } catch (err) {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
      throw err;
    }
  }

  async #startWorker(options: TestEnvironmentOptions, logger: Logger): Promise<Worker | undefined> {
    const workflows = options.workflows ?? {};
    const activities = options.activities ?? {};
    if (Object.keys(workflows).length === 0 && Object.keys(activities).length === 0) return undefined;
    // Each activity runs through a stand-in, so that a test can put a fake in its place.
    const standIns = Object.fromEntries(
      Object.entries(activities).map(([name, fn]) => {
        if (typeof fn !== "function") throw new InvalidArgumentError(`activity ${name} is not a function`);
        const standIn = (...args: unknown[]) => (this.#fakes.get(name) ?? fn)(...(args as never[]));
        Object.defineProperty(standIn, "name", { value: fn.name || name });
        return [name, standIn as ActivityFunction];
      }),
    );
    return Worker.create({ connection: { servers: this.natsUrl }, queue: this.#queue, workflows, activities: standIns, ackWaitMs: 5000, logger });
  }

  /**
   * Runs `fake` instead of the activity registered under `name` until `restoreActivities()`:
   * the workflow code is unchanged, and histories record the fake's results.
   */
  fakeActivity(name: string, fake: ActivityFunction): void {
    if (typeof fake !== "function") throw new InvalidArgumentError(`the fake of activity ${name} must be a function`);
    this.#fakes.set(name, fake);
  }

  restoreActivities(): void {
    this.#fakes.clear();
  }

  /** dfut's time now: the real time plus all the time skipped. */
  now(): Date {
    return new Date(clock.now());
  }

  /** Moves dfut's time forward by hand (timers due meanwhile fire), then lets what that wakes run. */
  async sleep(ms: number): Promise<void> {
    clock.advance(ms);
    await new Promise((resolve) => setTimeout(resolve, TIMER_WAIT_CAP_MS * 2));
  }

  /** Stops the worker, the server and the nats-server it started, and removes the temporary store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#skipping);
    await this.#worker?.stop().catch(() => undefined);
    await this.#server.stop().catch(() => undefined);
    await this.client.close().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
    await this.#nats?.stop();
    if (--openEnvironments === 0) clock.reset();
    if (this.#ownDir) rmSync(this.#ownDir, { recursive: true, force: true });
  }

  #startSkipping(): void {
    let idleRounds = 0;
    const tick = async () => {
      if (this.#closed) return;
      try {
        const next = (await this.#onlyTimersLeft()) ? await this.#nextTimerDue() : undefined;
        // Idle twice in a row: a task published right after a look is not missed.
        idleRounds = next !== undefined ? idleRounds + 1 : 0;
        if (next !== undefined && idleRounds >= 2 && next > clock.now()) {
          clock.advance(next - clock.now());
          idleRounds = 0;
        }
      } catch {
        // A look that failed (the environment is closing): try again on the next round.
      }
      if (!this.#closed) this.#skipping = setTimeout(() => void tick(), IDLE_POLL_MS);
    };
    this.#skipping = setTimeout(() => void tick(), IDLE_POLL_MS);
  }

  /** No workflow or activity task waits or runs, and dfut server has dispatched every event. */
  async #onlyTimersLeft(): Promise<boolean> {
    const { jsm } = this.connection;
    for (const name of [consumerNames.workflowTasks(this.#queue), consumerNames.activityTasks(this.#queue)]) {
      const info = await jsm.consumers.info(TASK_STREAM, name).catch(() => undefined);
      if (info && (info.num_pending > 0 || info.num_ack_pending > 0)) return false;
    }
    for (const stream of this.connection.layout?.streams() ?? []) {
      const info = await jsm.consumers.info(stream, DISPATCHER_CONSUMER).catch(() => undefined);
      if (info && info.num_pending > 0) return false;
    }
    return true;
  }

  /** The earliest due time of the timers waiting in the timer stream. */
  async #nextTimerDue(): Promise<number | undefined> {
    const { jsm } = this.connection;
    const { state } = await jsm.streams.info(TIMER_STREAM);
    if (state.messages === 0) return undefined;
    let next: number | undefined;
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(TIMER_STREAM, { seq }).catch(() => null);
      if (!msg) continue;
      const decoded = decodeTimerTask(msg.data);
      if (!decoded.ok) continue;
      const due = Date.parse(decoded.value.fireAt);
      if (next === undefined || due < next) next = due;
    }
    return next;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}
