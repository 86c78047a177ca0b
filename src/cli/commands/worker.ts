import type { Command } from "commander";
import { addWorkerOptions } from "../common-options.ts";
import { UsageError } from "../errors.ts";
import { connectionOptions, type GlobalOptions } from "../globals.ts";
import { cleanUp, untilSignal } from "../shutdown.ts";
import type { WorkerCliOptions } from "../worker-run.ts";

export function workerCommand(program: Command): void {
  const command = program
    .command("worker")
    .description("load workflow and activity modules (TypeScript or JavaScript) and run them");
  addWorkerOptions(command);
  command.option("--metrics <host:port>", "serve Prometheus metrics at http://<host:port>/metrics (e.g. 127.0.0.1:9464)");
  command.addHelpText(
    "after",
    "\nFunctions marked with defineWorkflow/defineActivity are what they say; otherwise exported\n" +
      "functions named *Workflow are workflows and the other exported functions activities.\n\n" +
      "Example:\n  dfut worker --load ./order.ts",
  );
  command.action(async (_options: WorkerCliOptions, cmd: Command) => {
    const options = cmd.optsWithGlobals<WorkerCliOptions & GlobalOptions & { metrics?: string }>();
    if (options.load.length === 0) throw new UsageError("dfut worker needs --load <module>, e.g. dfut worker --load ./order.ts");
    const { runWorker } = await import("../worker-run.ts");
    const { serveMetrics } = await import("../../common/metrics-http.ts");
    const endpoint = options.metrics ? await serveMetrics(options.metrics) : undefined;
    const worker = await runWorker(options, { ...connectionOptions(options, "dfut worker"), timeout: 5000 }).catch(async (err: unknown) => {
      await endpoint?.close();
      throw err;
    });
    if (endpoint) console.log(`  metrics:    ${endpoint.url}`);
    const signal = await untilSignal();
    console.log(`dfut worker: ${signal}, stopping`);
    await cleanUp([() => worker.stop(), () => endpoint?.close() ?? Promise.resolve()]);
  });
}
