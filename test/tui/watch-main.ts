// Runs `dfut watch [id]` without the CLI: connects to NATS_URL and renders the watch UI on this
// process's terminal. The pty test bundles it when the dfut executable is not built.
import { DfutClient } from "dfut";
import { runWatch } from "../../src/tui/watch.tsx";

const client = await DfutClient.connect({ servers: process.env.NATS_URL });
try {
  await runWatch({ client, workflowId: process.argv[2] });
} finally {
  await client.close();
}
process.exit(0);
