import type { Command } from "commander";
import type { DfutServer } from "../../server/server.ts";
import type { Worker } from "../../worker/worker.ts";
import { addEmbeddedNatsOptions, addWorkerOptions } from "../common-options.ts";
import { UsageError } from "../errors.ts";
import { addHttpOptions, startHttp, validateHttpOptions, type HttpCliOptions } from "../http.ts";
import { openNats, type NatsOptions } from "../nats.ts";
import { printLine } from "../output.ts";
import { cleanUp, untilSignal } from "../shutdown.ts";
import type { WorkerCliOptions } from "../worker-run.ts";
import { loggerFor } from "../../common/logger.ts";

type DevOptions = NatsOptions & HttpCliOptions & WorkerCliOptions;

export function devCommand(program: Command): void {
  const command = program
    .command("dev")
    .description("server and worker in one process, with an embedded nats-server, for local work");
  addWorkerOptions(command);
  addEmbeddedNatsOptions(command);
  addHttpOptions(command);
  command.addHelpText("after", "\nExample:\n  dfut dev --load ./order.ts\n  dfut start OrderWorkflow Bob widget-1000 1000 2 --wait");
  command.action(async (_options: DevOptions, cmd: Command) => {
    const options = cmd.optsWithGlobals<DevOptions>();
    if (options.load.length === 0) throw new UsageError("dfut dev needs --load <module>, e.g. dfut dev --load ./order.ts");
    validateHttpOptions(options);
    const { runWorker } = await import("../worker-run.ts");
    const { DfutServer } = await import("../../server/server.ts");
    const nats = await openNats(options, "dfut dev");
    let server: DfutServer | undefined;
    let worker: Worker | undefined;
    let http: Awaited<ReturnType<typeof startHttp>>;
    try {
      server = await DfutServer.start({ connection: nats.connection, logger: loggerFor(options.logFormat) });
      http = await startHttp(options, nats.connection);
      worker = await runWorker(options, nats.connection);
    } catch (err) {
      await cleanUp([() => worker?.stop() ?? Promise.resolve(), http?.close, () => server?.stop() ?? Promise.resolve(), nats.connection.close, nats.embedded?.stop]);
      throw err;
    }
    printLine(`dfut dev ready: NATS ${nats.url}${http ? `, web UI and API at ${http.url}` : ""}; Ctrl-C stops`);
    const signal = await untilSignal();
    printLine(`dfut dev: ${signal}, stopping`);
    await cleanUp([() => worker.stop(), http?.close, () => server.stop(), nats.connection.close, nats.embedded?.stop]);
  });
}
