/** The web UI and API of `dfut server` and `dfut dev`. */
import { Option, type Command } from "commander";
import type { HttpServer } from "../api/http.ts";
import { parseAddress } from "../api/address.ts";
import type { DfutConnection } from "../common/connection.ts";
import { DfutError } from "../common/errors.ts";

export interface HttpCliOptions {
  /** false with --no-http. */
  http: string | false;
  authToken?: string;
  insecureNoAuth?: boolean;
}

export function addHttpOptions(command: Command): Command {
  return command
    .option("--http <addr>", "serve the web UI and API on host:port", "127.0.0.1:8080")
    .option("--no-http", "do not serve the web UI and API")
    .addOption(new Option("--auth-token <token>", "bearer token the API requires to start, signal and cancel").env("DFUT_AUTH_TOKEN"))
    .option("--insecure-no-auth", "allow a non-loopback --http address without --auth-token");
}

/** Checks the address before anything else starts, so a typo fails fast. */
export function validateHttpOptions(options: HttpCliOptions): void {
  if (options.http !== false) parseAddress(options.http);
}

export async function startHttp(options: HttpCliOptions, connection: DfutConnection): Promise<HttpServer | undefined> {
  if (options.http === false) return undefined;
  const { startHttpServer } = await import("../api/http.ts");
  const started = startHttpServer({
    connection,
    addr: options.http,
    authToken: options.authToken,
    insecureNoAuth: options.insecureNoAuth,
    report: (err) => console.error(`dfut: api: ${(err as Error)?.message ?? err}`),
  });
  return started.catch((err: unknown) => {
    if (err instanceof DfutError && err.code === "unavailable") {
      throw new DfutError("unavailable", `${err.message}; pass --http <host:port> for another address, or --no-http`);
    }
    throw err;
  });
}
