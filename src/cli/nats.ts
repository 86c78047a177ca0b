/** The NATS connection of `dfut server` and `dfut dev`: the one given, one already running, or an embedded one. */
import type { DfutConnection } from "../common/connection.ts";
import { NatsUnavailableError } from "../common/errors.ts";
import { EMBEDDED_HOST, isListening, startEmbeddedNatsServer, type EmbeddedNatsServer } from "../embedded/nats-server.ts";
import { connectionOptions, natsUrlGiven, type GlobalOptions } from "./globals.ts";

export interface NatsOptions extends GlobalOptions {
  dataDir: string;
  embeddedPort: number;
}

export interface NatsSetup {
  connection: DfutConnection;
  url: string;
  embedded?: EmbeddedNatsServer;
}

export async function openNats(options: NatsOptions, name: string): Promise<NatsSetup> {
  const { connectDfut, describeServers } = await import("../common/connection.ts");
  const connect = (servers?: string) => connectDfut({ ...connectionOptions(options, name), ...(servers ? { servers } : {}) });
  if (natsUrlGiven(options)) {
    const url = describeServers(options.nats || undefined);
    try {
      return { connection: await connect(), url };
    } catch (err) {
      if (!(err instanceof NatsUnavailableError) || !err.message.startsWith("cannot reach")) throw err;
      const source = options.nats ? "--nats" : "NATS_URL";
      throw new NatsUnavailableError(`${err.message.replace(/; start one with .*$/, "")}; it was named by ${source}, so dfut does not start its own`);
    }
  }
  const defaultUrl = `nats://${EMBEDDED_HOST}:${options.embeddedPort}`;
  if (await isListening(EMBEDDED_HOST, options.embeddedPort)) {
    return { connection: await connect(defaultUrl), url: defaultUrl };
  }
  const embedded = await startEmbeddedNatsServer({ dataDir: options.dataDir, port: options.embeddedPort });
  console.log(`dfut: no NATS server at ${defaultUrl}; started an embedded nats-server with JetStream there (data in ${embedded.dataDir})`);
  try {
    return { connection: await connect(embedded.url), url: embedded.url, embedded };
  } catch (err) {
    await embedded.stop();
    throw err;
  }
}
