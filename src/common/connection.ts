import { readFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { connect } from "@nats-io/transport-node";
import { credsAuthenticator, type NatsConnection, type ConnectionOptions as NatsOptions } from "@nats-io/nats-core";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { NatsUnavailableError, InvalidArgumentError } from "./errors.ts";
import type { HistoryLayout } from "./layout.ts";

export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/**
 * How to reach NATS. Spelled like the nats CLI's flags. Credentials come from these options,
 * else from the URL, else from NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS.
 */
export interface ConnectionOptions {
  /**
   * One URL or several, comma separated. Default: NATS_URL, else nats://127.0.0.1:4222.
   * Credentials may be in the URL: nats://user:password@host:port, nats://token@host:port.
   */
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
  /** Where histories live; known once dfut is provisioned on this NATS (see awaitLayout). */
  layout?: HistoryLayout;
  close(): Promise<void>;
}

export function resolveServers(servers?: string | string[]): string[] {
  const raw = servers ?? process.env.NATS_URL ?? DEFAULT_NATS_URL;
  const list = (Array.isArray(raw) ? raw : raw.split(",")).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new InvalidArgumentError("no NATS URL given");
  return list;
}

interface Credentials {
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
}

/** `nats://user:pass@host` or `nats://token@host` (the scheme is optional): the URL without them, and them. */
function splitCredentials(server: string): { server: string; credentials: Credentials } {
  const match = /^([a-z][a-z\d+.-]*:\/\/)?([^/]*)@/i.exec(server);
  if (!match) return { server, credentials: {} };
  const stripped = (match[1] ?? "") + server.slice(match[0].length);
  const colon = match[2].indexOf(":");
  if (colon < 0) return { server: stripped, credentials: { token: decodeUserinfo(match[2]) } };
  return { server: stripped, credentials: { user: decodeUserinfo(match[2].slice(0, colon)), password: decodeUserinfo(match[2].slice(colon + 1)) } };
}

/** A password with @ or : in it is written %40, %3A in a URL. */
function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The servers as messages may show them: without credentials. */
export function describeServers(servers?: string | string[]): string {
  return resolveServers(servers)
    .map((server) => splitCredentials(server).server)
    .join(", ");
}

/** The options' credentials, else those in a URL, else NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS. */
function chooseCredentials(options: ConnectionOptions, inUrls: Credentials[]): Credentials {
  const env = process.env;
  const fromEnv: Credentials = { user: env.NATS_USER, password: env.NATS_PASSWORD, token: env.NATS_TOKEN, creds: env.NATS_CREDS };
  return [options, ...inUrls, fromEnv].find((c) => c.user || c.token || c.creds) ?? {};
}

export async function connectDfut(options: ConnectionOptions = {}): Promise<DfutConnection> {
  const split = resolveServers(options.servers).map(splitCredentials);
  const servers = split.map((s) => s.server);
  const where = servers.join(", ");
  const credentials = chooseCredentials(options, split.map((s) => s.credentials));
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
  if (credentials.user) {
    natsOptions.user = credentials.user;
    natsOptions.pass = credentials.password;
  }
  if (credentials.token) natsOptions.token = credentials.token;
  if (credentials.creds) natsOptions.authenticator = credsAuthenticator(readFile(credentials.creds, "credentials file"));
  if (Boolean(options.tlsCert) !== Boolean(options.tlsKey)) {
    throw new InvalidArgumentError("a TLS client certificate needs its key: pass --tlscert <file> and --tlskey <file> together");
  }
  if (options.tlsCert || options.tlsKey || options.tlsCa) {
    const pem = (path: string | undefined, what: string) => (path ? readFile(path, what).toString("utf8") : undefined);
    natsOptions.tls = {
      cert: pem(options.tlsCert, "TLS certificate (--tlscert)"),
      key: pem(options.tlsKey, "TLS key (--tlskey)"),
      ca: pem(options.tlsCa, "TLS certificate authority (--tlsca)"),
    };
  }
  let nc: NatsConnection;
  try {
    nc = await connect(natsOptions);
  } catch (err) {
    throw new NatsUnavailableError(await connectFailure(err, where, servers[0], credentials, options), { cause: err });
  }
  const js = jetstream(nc);
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (err) {
    await nc.close();
    throw new NatsUnavailableError(
      `NATS at ${where} has no JetStream (${(err as Error).message}); run nats-server with -js`,
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

/** Node's codes for a server certificate that does not chain to a trusted authority. */
const UNTRUSTED_CERTIFICATE = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
]);

/** Why the first connection failed, in words that point at the option to change. */
async function connectFailure(err: unknown, where: string, first: string, credentials: Credentials, options: ConnectionOptions): Promise<string> {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as NodeJS.ErrnoException).code ?? "";
  // Node appends advice for the node command line ("try running Node.js with --use-system-ca").
  const reason = error.message.split(";")[0].trim();
  const credentialFlags = "--user/--password, --token, --creds or NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_CREDS";
  if (error.name === "AuthorizationError" || error.name === "UserAuthenticationExpiredError") {
    return credentials.user || credentials.token || credentials.creds
      ? `NATS at ${where} refused the credentials (${reason.toLowerCase()}); check ${credentialFlags}`
      : `NATS at ${where} requires credentials (${reason.toLowerCase()}); pass --user/--password, --token or --creds, or set NATS_USER/NATS_PASSWORD, NATS_TOKEN or NATS_CREDS`;
  }
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return `NATS at ${where} presented a TLS certificate dfut does not trust (${reason}); pass the authority that signed it with --tlsca <file>`;
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID" || code.startsWith("CERT_") || code.startsWith("ERR_SSL_")) {
    return `the TLS handshake with NATS at ${where} failed (${reason}); check --tlscert, --tlskey and --tlsca`;
  }
  if (/does not support 'tls'/.test(reason)) return `NATS at ${where} does not offer TLS; leave out --tlscert, --tlskey and --tlsca`;
  // A server that wants a client certificate and gets none closes the connection after the
  // handshake, which the client only sees as a timeout; what the server asks for says why.
  if (error.name === "TimeoutError" && (await readServerInfo(first))?.tls_verify) {
    return options.tlsCert
      ? `NATS at ${where} did not accept the TLS client certificate; check that --tlscert and --tlskey are signed by an authority the server trusts`
      : `NATS at ${where} requires a TLS client certificate; pass --tlscert <file> and --tlskey <file>`;
  }
  return `cannot reach NATS at ${where} (${reason}); start one with 'dfut server' or pass --nats <url>`;
}

/** What a server asks of clients, from the INFO it sends on connect. */
interface ServerInfo {
  /** A client certificate is required. */
  tls_verify?: boolean;
}

function readServerInfo(server: string, timeoutMs = 1000): Promise<ServerInfo | undefined> {
  let url: URL;
  try {
    url = new URL(server.includes("://") ? server : `nats://${server}`);
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const socket = netConnect(Number(url.port) || 4222, url.hostname.replace(/^\[(.*)\]$/, "$1"));
    let received = "";
    const done = (info?: ServerInfo) => {
      socket.destroy();
      resolve(info);
    };
    socket.setTimeout(timeoutMs, () => done());
    socket.once("error", () => done());
    socket.once("close", () => done());
    socket.on("data", (data) => {
      received += data;
      const line = /^INFO\s+(.*?)\s*\r?\n/.exec(received);
      if (!line) return;
      try {
        done(JSON.parse(line[1]) as ServerInfo);
      } catch {
        done();
      }
    });
  });
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}
