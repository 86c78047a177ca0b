/** Options every command understands, spelled like the nats CLI's, and what they mean for a connection. */
import { Option, type Command } from "commander";
import type { ConnectionOptions } from "../common/connection.ts";

export interface GlobalOptions {
  nats?: string;
  creds?: string;
  user?: string;
  password?: string;
  token?: string;
  tlscert?: string;
  tlskey?: string;
  tlsca?: string;
}

export type OutputFormat = "text" | "json";

export function addGlobalOptions(program: Command): Command {
  return program
    .option("--nats <url>", "NATS server URL(s), comma separated, may hold user:password@ (default: $NATS_URL, else nats://127.0.0.1:4222)")
    .option("--creds <file>", "NATS user credentials file (default: $NATS_CREDS)")
    .option("--user <name>", "NATS user name (default: $NATS_USER)")
    .option("--password <password>", "NATS password (default: $NATS_PASSWORD, which stays out of ps)")
    .option("--token <token>", "NATS authentication token (default: $NATS_TOKEN)")
    .option("--tlscert <file>", "TLS client certificate")
    .option("--tlskey <file>", "TLS client key")
    .option("--tlsca <file>", "TLS certificate authority for the server's certificate");
}

export function outputOption(): Option {
  return new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text");
}

/** True when the user named a NATS server (--nats or NATS_URL): then dfut never starts its own. */
export function natsUrlGiven(options: GlobalOptions): boolean {
  return Boolean(options.nats || process.env.NATS_URL);
}

export function connectionOptions(options: GlobalOptions, name: string): ConnectionOptions {
  return {
    servers: options.nats || undefined,
    creds: options.creds,
    user: options.user,
    password: options.password,
    token: options.token,
    tlsCert: options.tlscert,
    tlsKey: options.tlskey,
    tlsCa: options.tlsca,
    name,
  };
}
