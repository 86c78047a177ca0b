/** Options shared by several commands. */
import { Option, type Command } from "commander";
import { DEFAULT_QUEUE } from "../common/names.ts";
import { defaultDataDir, EMBEDDED_PORT } from "../embedded/nats-server.ts";
import { parsePositiveInt } from "./args.ts";
import { UsageError } from "./errors.ts";

const collect = (value: string, previous: string[]) => [...previous, value];

export function addEmbeddedNatsOptions(command: Command): Command {
  return command
    .option("--data-dir <dir>", "JetStream data of the embedded nats-server", defaultDataDir())
    .option("--embedded-port <port>", "port of the embedded nats-server", parsePort, EMBEDDED_PORT);
}

export function addWorkerOptions(command: Command): Command {
  return command
    .option("--load <module>", "a TypeScript or JavaScript module with workflows and activities (repeatable)", collect, [])
    .option("--queue <queue>", "task queue to serve", DEFAULT_QUEUE)
    .option("--concurrency <n>", "activities and workflow tasks run at once (default 100)", parsePositiveInt("--concurrency"))
    .addOption(
      new Option("--argument-mismatch <what>", "a replayed activity called with other arguments than its history records")
        .choices(["warn", "fail"])
        .default("warn"),
    )
    .addOption(logFormatOption());
}

/** --log-format text|json, for the commands that run a server or a worker. */
export function logFormatOption(): Option {
  return new Option("--log-format <format>", "text for people, or json: one object per line (time, level, workflowId, runId, activity, attempt, message)")
    .choices(["text", "json"])
    .default("text");
}

function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--embedded-port must be a port number, not ${JSON.stringify(text)}`);
  return n;
}
