import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DfutClient, DfutServer, Worker, connectDfut, type DfutConnection, type WorkerOptions } from "dfut";
import { silentLogger } from "../../src/common/logger.ts";
import { NatsServer } from "./nats-server.ts";

/** A real nats-server, a dfut server and a client, for one test file. */
export interface TestEnv {
  nats: NatsServer;
  server: DfutServer;
  client: DfutClient;
  connection: DfutConnection;
  worker(options: Omit<WorkerOptions, "connection">): Promise<Worker>;
  stop(): Promise<void>;
}

export async function startEnv(): Promise<TestEnv> {
  const nats = await NatsServer.start();
  const connection = await connectDfut({ servers: nats.url });
  const server = await DfutServer.start({ connection, logger: silentLogger });
  const client = await DfutClient.connect(connection);
  const workers: Worker[] = [];
  return {
    nats,
    server,
    client,
    connection,
    async worker(options) {
      const w = await Worker.create({ ackWaitMs: 2000, logger: silentLogger, ...options, connection: { servers: nats.url } });
      workers.push(w);
      return w;
    },
    async stop() {
      await Promise.allSettled(workers.map((w) => w.stop()));
      await server.stop().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await nats.stop();
    },
  };
}

const workerMain = fileURLToPath(new URL("../fixtures/worker-main.ts", import.meta.url));
const serverMain = fileURLToPath(new URL("../fixtures/server-main.ts", import.meta.url));

/** A worker or a dfut server in a process of its own, so that a test can kill -9 it. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once it is up (a worker: registered and taking tasks). */
  ready: Promise<void>;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** A worker in its own process, so a test can kill -9 it. */
export function spawnWorker(natsUrl: string, module: string, env: Record<string, string> = {}): WorkerProcess {
  return spawnFixture(workerMain, [natsUrl, fileURLToPath(new URL(`../fixtures/${module}`, import.meta.url))], env, "worker ready");
}

/** A dfut server in its own process. */
export function spawnServer(natsUrl: string): WorkerProcess {
  return spawnFixture(serverMain, [natsUrl], {}, "server ready");
}

function spawnFixture(script: string, args: string[], env: Record<string, string>, readyLine: string): WorkerProcess {
  // The fixtures' `import … from "dfut"` means the sources: package.json's "dfut-source" condition.
  const child = spawn(process.execPath, ["--conditions=dfut-source", script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (out.includes(readyLine)) resolve();
    };
    child.stdout?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before it was ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  return {
    child,
    ready,
    output: () => out,
    kill: async (signal = "SIGKILL") => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill(signal);
      await exited;
    },
  };
}

export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
}
