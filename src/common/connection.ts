import { readFileSync } from "node:fs";
import { connect } from "@nats-io/transport-node";
import { credsAuthenticator, type NatsConnection, type ConnectionOptions as NatsOptions } from "@nats-io/nats-core";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { NatsUnavailableError, InvalidArgumentError } from "./errors.ts";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** How to reach NATS. Spelled like the nats CLI's flags. */
export interface ConnectionOptions {
  /** One URL or several, comma separated. Default: NATS_URL, else nats://127.0.0.1:4222. */
  servers?: string | string[];
  user?: string;
  password?: string;
  token?: string;
  /** Path of a .creds file. */
  creds?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  /** Connection name shown by the server. */
  name?: string;
  /** Milliseconds to wait for the first connection. Default 5000. */
  timeout?: number;
}

/** One NATS connection with the JetStream handles dfut uses. */
export interface DfutConnection {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Largest message the server accepts, bytes. */
  maxPayload: number;
  close(): Promise<void>;
}

export function resolveServers(servers?: string | string[]): string[] {
  const raw = servers ?? process.env.NATS_URL ?? DEFAULT_NATS_URL;
  const list = (Array.isArray(raw) ? raw : raw.split(",")).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError("no NATS URL given");
  return list;
}

export async function connectDfut(options: ConnectionOptions = {}): Promise<DfutConnection> {
  const servers = resolveServers(options.servers);
  const natsOptions: NatsOptions = {
    servers,
    name: options.name ?? "dfut",
    timeout: options.timeout ?? 5000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 100,
    pingInterval: 10_000,
    ignoreClusterUpdates: true,
    // Every request would otherwise capture a stack trace up front: measurable CPU on the step path.
    noAsyncTraces: true,
  };
  if (options.user) {
    natsOptions.user = options.user;
    natsOptions.pass = options.password;
  }
  if (options.token) natsOptions.token = options.token;
  if (options.creds) natsOptions.authenticator = credsAuthenticator(readFile(options.creds, "credentials file"));
  if (options.tlsCert || options.tlsKey || options.tlsCa) {
    natsOptions.tls = {
      certFile: options.tlsCert,
      keyFile: options.tlsKey,
      caFile: options.tlsCa,
    };
  }
  let nc: NatsConnection;
  try {
    nc = await connect(natsOptions);
  } catch (err) {
    throw new NatsUnavailableError(
      `cannot reach NATS at ${servers.join(", ")} (${(err as Error).message}); start one with 'dfut server' or pass --nats <url>`,
      { cause: err },
    );
  }
  const js = jetstream(nc);
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (err) {
    await nc.close();
    throw new NatsUnavailableError(
      `NATS at ${servers.join(", ")} has no JetStream (${(err as Error).message}); run nats-server with -js`,
      { cause: err },
    );
  }
  return {
    nc,
    js,
    jsm,
    maxPayload: nc.info?.max_payload ?? 1024 * 1024,
    close: async () => {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

function readFile(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}
