// Runs `dfut watch [--wait-start] [id]` without the CLI: connects to NATS_URL and renders the
// watch UI on this process's terminal. The pty test bundles it when the dfut executable is not built.
import { DfutClient } from "dfut";
import { runWatch } from "../../src/tui/watch.tsx";

const args = process.argv.slice(2);
const client = await DfutClient.connect({ servers: process.env.NATS_URL });
let status = 0;
try {
  await runWatch({ client, workflowId: args.find((a) => !a.startsWith("--")), waitStart: args.includes("--wait-start") });
} catch (err) {
  process.stderr.write(`dfut: ${(err as Error).message}\n`);
  status = 1;
} finally {
  await client.close();
}
process.exit(status);
