import type { Command } from "commander";
import type { DfutServer } from "../../server/server.ts";
import { parsePositiveInt } from "../args.ts";
import { addEmbeddedNatsOptions, logFormatOption } from "../common-options.ts";
import { addHttpOptions, startHttp, validateHttpOptions, type HttpCliOptions } from "../http.ts";
import { openNats, type NatsOptions } from "../nats.ts";
import { printLine } from "../output.ts";
import { cleanUp, untilSignal } from "../shutdown.ts";
import { loggerFor, type LogFormat } from "../../common/logger.ts";
import { DEFAULT_RETENTION_MS, parseRetention } from "../../server/retention.ts";
import { UsageError } from "../errors.ts";

function parseRetentionOption(text: string): number {
  try {
    return parseRetention(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

interface ServerCliOptions extends NatsOptions, HttpCliOptions {
  replicas?: number;
  partitions?: number;
  retention: number;
  logFormat: LogFormat;
}

export function serverCommand(program: Command): void {
  const command = program
    .command("server")
    .description("provision dfut on NATS, dispatch tasks, fire timers, serve the web UI and API")
    .option("--replicas <n>", "replicas of dfut's streams and KV buckets (default 1)", parsePositiveInt("--replicas"))
    .option(
      "--partitions <n>",
      "history streams to spread writes over, on a fresh NATS (default: what is provisioned, else 1)",
      parsePositiveInt("--partitions"),
    )
    .option("--retention <duration>", "remove workflows closed longer ago than this (7d, 12h, 30m; 0 = keep forever)", parseRetentionOption, DEFAULT_RETENTION_MS)
    .addOption(logFormatOption());
  addEmbeddedNatsOptions(command);
  addHttpOptions(command);
  command.addHelpText(
    "after",
    "\nWithout --nats or NATS_URL, dfut connects to nats://127.0.0.1:4222, or starts an embedded\n" +
      "nats-server there (with JetStream, data in --data-dir) when none is running.",
  );
  command.action(async (_options: ServerCliOptions, cmd: Command) => {
    const options = cmd.optsWithGlobals<ServerCliOptions>();
    validateHttpOptions(options);
    const { DfutServer } = await import("../../server/server.ts");
    const nats = await openNats(options, "dfut server");
    let server: DfutServer | undefined;
    let http: Awaited<ReturnType<typeof startHttp>>;
    const logger = loggerFor(options.logFormat);
    try {
      server = await DfutServer.start({
        connection: nats.connection,
        replicas: options.replicas,
        partitions: options.partitions,
        retentionMs: options.retention,
        logger,
      });
      http = await startHttp(options, nats.connection);
    } catch (err) {
      await cleanUp([() => server?.stop() ?? Promise.resolve(), nats.connection.close, nats.embedded?.stop]);
      throw err;
    }
    const ready = `dfut server ready: NATS ${nats.url}${http ? `, web UI and API at ${http.url}` : ""}`;
    if (options.logFormat === "json") logger.info(ready, { nats: nats.url, ...(http ? { http: http.url } : {}) });
    else printLine(ready);
    const signal = await untilSignal();
    if (options.logFormat === "json") logger.info(`dfut server: ${signal}, stopping`);
    else printLine(`dfut server: ${signal}, stopping`);
    await cleanUp([http?.close, () => server.stop(), nats.connection.close, nats.embedded?.stop]);
  });
}
