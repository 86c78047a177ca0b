/** Loads the user's modules and runs a worker for them. */
import * as sdk from "../index.ts";
import type { DfutConnection } from "../common/connection.ts";
import type { ConnectionOptions } from "../common/connection.ts";
import { Worker } from "../worker/worker.ts";
import type { RegisteredFunction } from "../common/registry.ts";
import { loadUserModules } from "../loader/user-module.ts";
import { UsageError } from "./errors.ts";
import { printLine } from "./output.ts";
import { jsonLogger, loggerFor, type LogFormat } from "../common/logger.ts";

export interface WorkerCliOptions {
  load: string[];
  queue: string;
  concurrency?: number;
  argumentMismatch?: "warn" | "fail";
  logFormat?: LogFormat;
}

export async function runWorker(options: WorkerCliOptions, connection: DfutConnection | ConnectionOptions): Promise<Worker> {
  const { workflows, activities } = await loadUserModules(options.load, sdk);
  if (Object.keys(workflows).length === 0 && Object.keys(activities).length === 0) {
    throw new UsageError(
      `${options.load.join(", ")} export no functions; export async functions (names ending in Workflow are workflows, the others activities)`,
    );
  }
  const worker = await Worker.create({
    connection,
    queue: options.queue,
    workflows,
    activities,
    activityConcurrency: options.concurrency,
    workflowConcurrency: options.concurrency,
    argumentMismatch: options.argumentMismatch,
    logger: loggerFor(options.logFormat),
  });
  const names = (fns: RegisteredFunction[]) => fns.map((f) => f.name).join(",");
  if (options.logFormat === "json") {
    jsonLogger().info("dfut worker ready", { worker: worker.identity, queue: worker.queue, workflows: names(worker.registered.workflows), activities: names(worker.registered.activities) });
    return worker;
  }
  const show = (fns: RegisteredFunction[]) => (fns.length ? fns.map((f) => `${f.name}(${f.parameters.join(", ")})`).join(", ") : "none");
  printLine(`dfut worker ${worker.identity} on queue ${worker.queue}`);
  printLine(`  workflows:  ${show(worker.registered.workflows)}`);
  printLine(`  activities: ${show(worker.registered.activities)}`);
  return worker;
}
