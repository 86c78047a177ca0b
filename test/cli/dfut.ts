/** Builds the dfut executable once for a test file and runs it as a user would. */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Runs build.mjs into a temporary folder; returns the executable's path and a clean-up. */
export function buildExecutable(): { exe: string; remove(): void } {
  const out = mkdtempSync(join(tmpdir(), "dfut-build-"));
  try {
    execFileSync(process.execPath, [join(ROOT, "build.mjs"), "--out", out], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    rmSync(out, { recursive: true, force: true });
    throw err;
  }
  return { exe: join(out, "dfut"), remove: () => rmSync(out, { recursive: true, force: true }) };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Replace the environment instead of adding to it. */
  cleanEnv?: boolean;
  cwd?: string;
}

function environment(options: RunOptions): NodeJS.ProcessEnv {
  if (options.cleanEnv) return options.env ?? {};
  const env = { ...process.env };
  delete env.NATS_URL;
  return { ...env, ...options.env };
}

/** Runs a command to its end. */
export function run(exe: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(exe, args, { cwd: options.cwd ?? ROOT, env: environment(options), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export interface Background {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains `text`; rejects if the process ends first. */
  waitFor(text: string): Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running command (server, worker, dev, history --follow). */
export function start(exe: string, args: string[], options: RunOptions = {}): Background {
  const child = spawn(exe, args, { cwd: options.cwd ?? ROOT, env: environment(options), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d;
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) resolve();
        };
        waiters.push(check);
        check();
        void exited.then((code) => reject(new Error(`${args.join(" ")} exited with ${code} before printing ${JSON.stringify(text)}:\n${out}`)));
      }),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
