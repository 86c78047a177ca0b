/** The nats-server `dfut server` and `dfut dev` start when no NATS is reachable. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { DfutError } from "../common/errors.ts";
import { extractAsset, hasAsset } from "./sea.ts";

export const EMBEDDED_HOST = "127.0.0.1";
export const EMBEDDED_PORT = 4222;

/** $XDG_DATA_HOME/dfut, else ~/.local/share/dfut. */
export function defaultDataDir(): string {
  if (process.env.XDG_DATA_HOME) return join(process.env.XDG_DATA_HOME, "dfut");
  return join(process.env.HOME || homedir(), ".local", "share", "dfut");
}

/** The embedded binary inside the executable, else nats-server from PATH or the sbin folders. */
export function findNatsServerBinary(): string {
  if (hasAsset("nats-server")) return extractAsset("nats-server");
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    const candidate = join(dir, "nats-server");
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new DfutError(
    "unavailable",
    "no NATS server is reachable and no nats-server binary was found to start one; install nats-server or pass --nats <url>",
  );
}

/** True when something accepts TCP connections at host:port. */
export function isListening(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export interface EmbeddedNatsServer {
  url: string;
  dataDir: string;
  binary: string;
  /** SIGTERM, and waits for the process to exit (SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export async function startEmbeddedNatsServer(options: { dataDir: string; port?: number }): Promise<EmbeddedNatsServer> {
  const port = options.port ?? EMBEDDED_PORT;
  const binary = findNatsServerBinary();
  try {
    mkdirSync(options.dataDir, { recursive: true });
  } catch (err) {
    throw new DfutError("invalid_argument", `cannot create the data directory ${options.dataDir}: ${(err as Error).message}; pass --data-dir <dir>`);
  }
  const child = spawn(binary, ["-a", EMBEDDED_HOST, "-p", String(port), "-js", "-sd", options.dataDir], {
    stdio: ["ignore", "ignore", "pipe"],
    // Its own process group: Ctrl-C in the terminal reaches dfut only, which stops the
    // nats-server after everything that uses it.
    detached: true,
  });
  // However dfut ends (an uncaught error, process.exit), the nats-server it started ends too.
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  await waitUntilReady(child, port, () => log);
  child.stderr?.removeAllListeners("data");
  child.stderr?.resume();
  return {
    url: `nats://${EMBEDDED_HOST}:${port}`,
    dataDir: options.dataDir,
    binary,
    stop: () => stopChild(child),
  };
}

async function waitUntilReady(child: ChildProcess, port: number, log: () => string): Promise<void> {
  let exited = false;
  let spawnError: Error | undefined;
  child.once("exit", () => (exited = true));
  child.once("error", (err) => (spawnError = err));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (spawnError) throw new DfutError("unavailable", `cannot start nats-server: ${spawnError.message}`);
    if (exited) {
      const reason = lastLogLine(log()) ?? "it exited at once";
      throw new DfutError("unavailable", `the embedded nats-server did not start: ${reason}`);
    }
    // "Server is ready" comes after JetStream has recovered its store.
    if (log().includes("Server is ready") && (await isListening(EMBEDDED_HOST, port))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  await stopChild(child);
  throw new DfutError("unavailable", `the embedded nats-server did not become ready on port ${port} within 15 s`);
}

function lastLogLine(log: string): string | undefined {
  const lines = log.split("\n").map((l) => l.replace(/^\[\d+\]\s+\S+\s+\S+\s+\[\w+\]\s*/, "").trim()).filter(Boolean);
  return lines.findLast((l) => /error|fatal|fail|in use/i.test(l)) ?? lines.at(-1);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
