/** A client for one command, closed when the command is done. */
import { DfutClient } from "../client/client.ts";
import { connectionOptions, type GlobalOptions } from "./globals.ts";

export async function withClient<T>(options: GlobalOptions, run: (client: DfutClient) => Promise<T>): Promise<T> {
  const client = await DfutClient.connect({ ...connectionOptions(options, "dfut cli"), timeout: 3000 });
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}
