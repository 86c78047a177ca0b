/** A client for one command, closed when the command is done. */
import type { DfutClient } from "../client/client.ts";
import { connectionOptions, type GlobalOptions } from "./globals.ts";

export async function withClient<T>(options: GlobalOptions, run: (client: DfutClient) => Promise<T>): Promise<T> {
  // Loaded here, not at start-up: `dfut --help` need not parse the NATS client.
  const { DfutClient } = await import("../client/client.ts");
  const client = await DfutClient.connect({ ...connectionOptions(options, "dfut cli"), timeout: 3000 });
  try {
    // One cheap request that turns "stream not found" and timeouts into "run dfut server first".
    await client.ping();
    return await run(client);
  } finally {
    await client.close();
  }
}
