import type { Command } from "commander";
import type { DfutClient } from "../../client/client.ts";
import type { GlobalOptions } from "../globals.ts";
import { HistoryView } from "../history-view.ts";
import { printLine, table } from "../output.ts";
import { withClient } from "../session.ts";
import { loadWatchUi } from "../watch-ui.ts";
import { formatDateTime } from "../../tui/format.ts";

export function watchCommand(program: Command): void {
  program
    .command("watch")
    .description("live terminal view of a workflow's events, or of all executions")
    .argument("[workflowId]", "the workflow to watch; without it, the list of executions")
    .addHelpText("after", "\nKeys: q quits. When stdin or stdout is not a terminal, prints the history (or the list) once.")
    .action(async (workflowId: string | undefined, _options: GlobalOptions, command: Command) => {
      const options = command.optsWithGlobals<GlobalOptions>();
      const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
      const runWatch = interactive ? await loadWatchUi() : undefined;
      await withClient(options, async (client) => {
        if (runWatch) return runWatch({ client, workflowId });
        console.error("dfut: not a terminal; printing a snapshot instead of the live view");
        await printSnapshot(client, workflowId);
      });
    });
}

async function printSnapshot(client: DfutClient, workflowId: string | undefined): Promise<void> {
  if (workflowId) {
    printLine(new HistoryView().table(await client.history(workflowId)));
    return;
  }
  const t = table(["workflow id", "type", "status", "started"]);
  for (const r of await client.list({ limit: 50 })) t.push([r.workflowId, r.workflowType ?? "", r.status, formatDateTime(r.startedAt)]);
  printLine(t.toString());
}
