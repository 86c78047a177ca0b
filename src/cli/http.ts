/** The web UI and API of `dfut server` and `dfut dev`. */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { Option, type Command } from "commander";
import type { HttpServer, TlsFiles } from "../api/http.ts";
import { parseAddress } from "../api/address.ts";
import type { DfutConnection } from "../common/connection.ts";
import { DfutError } from "../common/errors.ts";
import { UsageError } from "./errors.ts";

export interface HttpCliOptions {
  /** false with --no-http. */
  http: string | false;
  authToken?: string;
  insecureNoAuth?: boolean;
  /** PEM files; both or neither. */
  tlsCert?: string;
  tlsKey?: string;
}

export function addHttpOptions(command: Command): Command {
  return command
    .option(
      "--http <addr>",
      "serve the web UI and API on host:port: HTTP/1.1 and HTTP/2 on one port, for Connect, gRPC-Web and gRPC (h2c without TLS)",
      "127.0.0.1:8080",
    )
    .option("--no-http", "do not serve the web UI and API")
    .addOption(new Option("--auth-token <token>", "bearer token the API requires to start, signal and cancel").env("DFUT_AUTH_TOKEN"))
    .option("--insecure-no-auth", "allow a non-loopback --http address without --auth-token")
    .option("--tls-cert <file>", "serve --http over TLS only, with this PEM certificate chain (needs --tls-key); HTTP/2 or HTTP/1.1 by ALPN")
    .option("--tls-key <file>", "the PEM private key of --tls-cert");
}

/** Checks the address and the TLS files before anything else starts, so a typo fails fast. */
export function validateHttpOptions(options: HttpCliOptions): void {
  if (options.http === false) {
    if (options.tlsCert || options.tlsKey) throw new UsageError("--tls-cert and --tls-key are for --http, which --no-http turns off; drop one or the other");
    return;
  }
  parseAddress(options.http);
  const tls = readTls(options);
  if (!tls) return;
  try {
    createSecureContext(tls);
  } catch (err) {
    throw new UsageError(`--tls-cert ${options.tlsCert} and --tls-key ${options.tlsKey} cannot be used: ${(err as Error).message}`);
  }
}

function readTls(options: HttpCliOptions): TlsFiles | undefined {
  if (!options.tlsCert && !options.tlsKey) return undefined;
  if (!options.tlsCert || !options.tlsKey) throw new UsageError("--tls-cert and --tls-key go together: pass both, or neither for cleartext HTTP");
  const read = (flag: string, file: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`cannot read ${flag} ${file}: ${(err as Error).message}`);
    }
  };
  return { cert: read("--tls-cert", options.tlsCert), key: read("--tls-key", options.tlsKey) };
}

export async function startHttp(options: HttpCliOptions, connection: DfutConnection): Promise<HttpServer | undefined> {
  if (options.http === false) return undefined;
  const { startHttpServer } = await import("../api/http.ts");
  const started = startHttpServer({
    connection,
    addr: options.http,
    authToken: options.authToken,
    insecureNoAuth: options.insecureNoAuth,
    tls: readTls(options),
    report: (err) => console.error(`dfut: api: ${(err as Error)?.message ?? err}`),
  });
  return started.catch((err: unknown) => {
    if (err instanceof DfutError && err.code === "unavailable") {
      throw new DfutError("unavailable", `${err.message}; pass --http <host:port> for another address, or --no-http`);
    }
    throw err;
  });
}
